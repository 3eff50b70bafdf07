"""Which addresses a live recheck may connect to: never the researcher's own machine or network.

Item URLs come from pages written by the people being investigated (an og:url, a redirect), so a
live recheck must not become their way into 127.0.0.1, the office network or a cloud metadata
service (169.254.169.254). By default every connection goes only to global unicast addresses:

- `AddressGuard.check(host, addresses)` refuses loopback, private, link-local, multicast, reserved,
  unspecified and shared (100.64/10) addresses, IPv4-mapped and other embedded IPv4 included;
- `GuardedTransport` is httpx's transport with a network backend that resolves each host itself,
  checks every address it gets and connects to a checked address. The check and the connection use
  the same answer, so DNS rebinding (a name that resolves to a public address when checked and to a
  private one when connected) has no window. Every hop of a redirect is a new connection, checked
  the same way.
- Through a proxy the proxy resolves names: `check_url` then resolves the name here first and refuses
  a private answer, which a name changing its answer between the two lookups could get past; the
  proxy's own address is the researcher's choice and is not checked.

`[recheck] allow_private_hosts` in case.toml opens the guard: `true` for every host (a local test
server, an intranet mirror), or a list of hosts (`"127.0.0.1:8001"`, `"mirror.lan"`) allowed to
resolve to private addresses. A refused connection is an `error` check with reason
`blocked-address`, never a removal.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx


class BlockedAddress(Exception):
    """A connection the guard refused: the host resolves to an address a recheck must not reach."""

    def __init__(self, host: str, address: str):
        super().__init__(f"{host} resolves to {address}, which a live recheck does not reach")
        self.host, self.address = host, address


def forbidden(address: str) -> bool:
    """True for an address a recheck must not connect to (anything but global unicast)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and forbidden(str(embedded)):
            return True
    return ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_link_local or not ip.is_global


class AddressGuard:
    """What `[recheck] allow_private_hosts` allows: nothing (False), everything (True) or a list of
    hosts, each `host` or `host:port`, that may resolve to private addresses."""

    def __init__(self, allow: bool | Iterable[str] = False):
        self.everything = allow is True
        self.hosts = frozenset() if isinstance(allow, bool) else frozenset(str(h).strip().lower() for h in allow)

    def allowed_host(self, host: str, port: int | None) -> bool:
        host = host.strip("[]").lower()
        return self.everything or host in self.hosts or (port is not None and f"{host}:{port}" in self.hosts)

    def check(self, host: str, port: int | None, addresses: Iterable[str]) -> list[str]:
        """The addresses that may be connected to, in order; BlockedAddress when there are none."""
        addresses = list(addresses)
        if self.allowed_host(host, port):
            return addresses
        allowed = [a for a in addresses if not forbidden(a)]
        if not allowed:
            raise BlockedAddress(host, addresses[0] if addresses else "no address")
        return allowed

    async def resolve(self, host: str, port: int) -> list[str]:
        """The host's addresses (an IP literal is its own), as the connection will use them."""
        literal = host.strip("[]")
        try:
            ipaddress.ip_address(literal.split("%", 1)[0])
            return [literal]
        except ValueError:
            pass
        answers = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))

    async def check_url(self, url: str) -> None:
        """Refuse (BlockedAddress) a URL whose host resolves to no allowed address. Used where the
        connection is not made here (through a proxy); DNS failures are left to the request."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not host or self.everything:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return
        if self.allowed_host(host, port):
            return
        try:
            addresses = await self.resolve(host, port)
        except OSError:
            return
        self.check(host, port, addresses)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, resolving each host here and connecting only to an address the
    guard allows (the TLS server name stays the host, as httpcore sets it)."""

    def __init__(self, guard: AddressGuard):
        self.guard = guard
        self.backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await asyncio.wait_for(self.guard.resolve(host, port), timeout)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"[Errno -2] Name or service not known: {host} ({exc})") from exc
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        failure: Exception | None = None
        for address in self.guard.check(host, port, addresses):
            try:
                return await self.backend.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                      socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # check() returns at least one address
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress(path, "a local socket")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request and error mapping unchanged) over a connection pool whose
    connections go through a GuardedBackend."""

    def __init__(self, guard: AddressGuard, limits: httpx.Limits):
        super().__init__(limits=limits, trust_env=False)
        # httpx builds its pool with no way to pass a network backend: it is built again here as
        # httpx builds it (its SSL context, the same limits), with one. The SSRF tests fail if a
        # later httpx stops reading `_pool`.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard))
