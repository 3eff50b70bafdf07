"""Polite HTTP fetching for rechecks: per-host pacing, retries, redirects, capped bodies.

    Fetcher.fetch(url) -> Fetched        never raises for network trouble: failures come back
                                          as a short reason code (connect-timeout, reset, ...)

- Politeness: per host (scheme-less `host:port`) at most `per_host_concurrency` requests in flight
  and at least `per_host_interval` seconds between request starts and from the end of one request
  to the start of the next; at most `concurrency` requests in flight across hosts.
  A 429 or a block page doubles the host's interval (up to `slowdown_max` times) and a
  `Retry-After` holds every request to the host until it has passed; a host asking for a longer
  pause than `max_wait` is asked nothing more in the run (its items end `rate_limited`).
- Retries: connection failures, timeouts, resets, 429 and 5xx are retried `retries` times with
  exponential backoff and jitter; `Retry-After` (seconds or HTTP date) is honoured up to `max_wait`.
- Redirects are followed by hand so each hop is paced and recorded; a loop or more than
  `max_redirects` hops ends the fetch.
- Bodies are decompressed here (gzip, deflate) with a cap on the decoded size and on its ratio to
  the bytes received, so neither a huge body nor a decompression bomb is ever held in memory.
- Addresses: connections go only to global addresses (never loopback, private, link-local...),
  checked after DNS resolution on every hop; see `toolkit.recheck.addresses`. A refused one is
  the reason `blocked-address`.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sized
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from http.cookiejar import LoadError, MozillaCookieJar
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import httpx

from toolkit import __version__
from toolkit.dates import parse_http_date, utcnow
from toolkit.errors import InputError
from toolkit.recheck.addresses import AddressGuard, BlockedAddress, GuardedTransport
from toolkit.safeio import limit

if TYPE_CHECKING:
    from toolkit.case import Case

DEFAULT_USER_AGENT = f"toolkit/{__version__} (research recheck; +https://github.com/toolkit)"
REDIRECTS = {301, 302, 303, 307, 308}
RETRY_STATUSES = {429, 500, 502, 503, 504}
RETRY_REASONS = {"connect-timeout", "connect-error", "read-timeout", "total-timeout", "reset", "pool-timeout"}

# Exception type -> reason code; the first match wins, so subclasses come before their bases.
ERROR_CODES: list[tuple[type[BaseException], str]] = [
    (httpx.ConnectTimeout, "connect-timeout"),
    (httpx.ReadTimeout, "read-timeout"),
    (httpx.WriteTimeout, "write-timeout"),
    (httpx.PoolTimeout, "pool-timeout"),
    (httpx.ProxyError, "proxy-error"),
    (httpx.ConnectError, "connect-error"),
    (httpx.ReadError, "reset"),
    (httpx.WriteError, "reset"),
    (httpx.RemoteProtocolError, "protocol-error"),
    (httpx.UnsupportedProtocol, "bad-url"),
    (httpx.InvalidURL, "bad-url"),
    (httpx.DecodingError, "bad-encoding"),
    (ssl.SSLError, "tls-error"),
    (TimeoutError, "total-timeout"),
]


def reason_for(exc: BaseException) -> str:
    """The short, stable code for a network failure."""
    text = str(exc).lower()
    if isinstance(exc, httpx.ConnectError) and ("ssl" in text or "certificate" in text):
        return "tls-error"
    if isinstance(exc, httpx.ConnectError) and ("name or service" in text or "nodename" in text or "getaddrinfo" in text):
        return "dns-error"
    if isinstance(exc, httpx.RemoteProtocolError) and ("disconnect" in text or "reset" in text or "closed" in text):
        return "reset"
    for kind, code in ERROR_CODES:
        if isinstance(exc, kind):
            return code
    return "network-error"


@dataclass
class FetchOptions:
    """How politely and how patiently to fetch. Built from `[recheck]` in case.toml plus flags."""

    per_host_interval: float = 5.0
    per_host_concurrency: int = 1
    concurrency: int = 8
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    max_redirects: int = 10
    max_body_bytes: int = 20 * 1024 * 1024
    user_agent: str = ""
    proxy: str = ""
    cookies: str = ""  # path to a Netscape cookies.txt; the file is read, never copied
    backoff: float = 1.0  # first retry waits about this long, doubling each time
    max_wait: float = 300.0  # a Retry-After beyond this ends the item as rate limited
    slowdown_max: float = 8.0
    # Hosts that may resolve to loopback or private addresses: True for all (see recheck.addresses).
    allow_private_hosts: bool | list[str] = False
    transport: Any = field(default=None, repr=False)  # an httpx transport, for tests and benchmarks

    @classmethod
    def from_config(cls, section: dict[str, Any], **overrides: Any) -> FetchOptions:
        """Options from `[recheck]` (max_body_mb becomes bytes), then non-None overrides."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in section.items() if k in known}
        if "max_body_mb" in section:
            values["max_body_bytes"] = int(float(section["max_body_mb"]) * 1024 * 1024)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def for_case(cls, case: Case, flags: FetchFlags | None = None) -> FetchOptions:
        """Options for a recheck of `case`: `[recheck]` in its case.toml (a relative cookies path
        there is relative to the case folder, like every path in case.toml), then the flags given."""
        section = dict(case.config["recheck"])
        if section.get("cookies") and not Path(section["cookies"]).expanduser().is_absolute():
            section["cookies"] = str(case.root / section["cookies"])
        flags = flags or FetchFlags()
        return cls.from_config(
            section, per_host_interval=flags.interval, per_host_concurrency=flags.per_host,
            concurrency=flags.concurrency, connect_timeout=flags.connect_timeout, read_timeout=flags.read_timeout,
            retries=flags.retries, backoff=flags.backoff, max_redirects=flags.max_redirects,
            user_agent=flags.user_agent, proxy=flags.proxy, cookies=str(flags.cookies) if flags.cookies else None,
            max_body_bytes=int(flags.max_body_mb * 1024 * 1024) if flags.max_body_mb is not None else None)


@dataclass(frozen=True)
class FetchFlags:
    """What a command line says about fetching; None leaves case.toml's value (or the default)."""

    interval: float | None = None  # seconds between requests to one host
    per_host: int | None = None  # requests in flight per host
    concurrency: int | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    retries: int | None = None
    backoff: float | None = None
    max_redirects: int | None = None
    max_body_mb: float | None = None
    user_agent: str | None = None
    proxy: str | None = None
    cookies: Path | None = None


@dataclass
class Fetched:
    """The outcome of fetching one URL. `reason` is set when no usable response came back."""

    url: str
    started_at: str
    final_url: str | None = None
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    redirects: list[tuple[int, str]] = field(default_factory=list)
    reason: str | None = None
    attempts: int = 0

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")


class BodyLimit(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CappedBody:
    """Collects a response body, decoding gzip/deflate itself, and stops past `cap` decoded bytes."""

    def __init__(self, encoding: str, cap: int):
        self.cap = cap
        self.ratio = limit("expansion_ratio")
        self.size = 0
        self.raw = 0
        self.parts: list[bytes] = []
        encoding = encoding.strip().lower()
        if encoding in {"", "identity"}:
            self.inflater = None
        elif encoding in {"gzip", "x-gzip"}:
            self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
        else:
            raise BodyLimit("bad-encoding")
        self.encoded = self.inflater is not None

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        # A body that grows far beyond what came over the wire is a decompression bomb: past 1 MB,
        # no more than `expansion_ratio` times the bytes received (HTML compresses 5-20:1).
        if self.encoded and self.size > (1 << 20) and self.size > self.ratio * self.raw:
            raise BodyLimit("decompression-bomb")
        if self.size > self.cap:
            raise BodyLimit("decompression-bomb" if self.encoded and self.size > 20 * self.raw else "body-too-large")
        self.parts.append(data)

    def feed(self, data: bytes) -> None:
        self.raw += len(data)
        if self.inflater is None:
            self._add(data)
            return
        try:
            pending = data
            while pending:
                self._add(self.inflater.decompress(pending, self.cap - self.size + 1))
                pending = self.inflater.unconsumed_tail
        except zlib.error as exc:
            raise BodyLimit("bad-encoding") from exc

    def value(self) -> bytes:
        """The whole decoded body. A compressed stream that stops before its end (the HTTP
        message was complete, the gzip inside it was not) is `bad-encoding`: half a page is
        never read as the page."""
        if self.inflater is not None:
            try:
                self._add(self.inflater.flush())
            except zlib.error as exc:
                raise BodyLimit("bad-encoding") from exc
            # No bytes at all is an empty body (a redirect often says gzip and sends nothing).
            if self.raw and not self.inflater.eof:
                raise BodyLimit("bad-encoding")
        return b"".join(self.parts)


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    when = parse_http_date(value)
    if when is None:
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def host_key(url: str) -> str:
    """The politeness key of a URL: its host and port ("www.facebook.com", "127.0.0.1:8001")."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


async def run_per_host(queues: Iterable[Sized], worker: Callable[[Any], Awaitable[None]], concurrency: int) -> None:
    """Run `worker(queue)` for each host's queue, up to `concurrency` workers a host (never more
    than the queue holds), until all are done. The first failure (a crash in a callback, Ctrl-C)
    is raised as itself, not wrapped in an exception group, so the caller sees what happened."""
    try:
        async with asyncio.TaskGroup() as group:
            for queue in queues:
                for _ in range(min(max(1, concurrency), len(queue))):
                    group.create_task(worker(queue))
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


@dataclass
class HostState:
    slots: asyncio.Semaphore
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0
    hold_until: float = 0.0
    factor: float = 1.0
    rate_limits: int = 0


class Politeness:
    """Per-host pacing and a global limit on requests in flight."""

    def __init__(self, options: FetchOptions):
        self.options = options
        self.hosts: dict[str, HostState] = {}
        self.closed: set[str] = set()  # hosts that asked for a longer pause than `max_wait`
        self.global_slots = asyncio.Semaphore(max(1, options.concurrency))

    def _state(self, host: str) -> HostState:
        state = self.hosts.get(host)
        if state is None:
            state = self.hosts[host] = HostState(asyncio.Semaphore(max(1, self.options.per_host_concurrency)))
        return state

    @asynccontextmanager
    async def slot(self, host: str):
        """Wait for the host's turn and a global slot; the request runs inside the block."""
        loop = asyncio.get_running_loop()
        state = self._state(host)
        async with state.slots:
            async with state.lock:
                # Re-read after each sleep: a 429 on a parallel request may have pushed the time.
                while (delay := max(state.next_at, state.hold_until) - loop.time()) > 0:
                    await asyncio.sleep(delay)
                await self.global_slots.acquire()
                state.next_at = loop.time() + self.options.per_host_interval * state.factor
            try:
                yield
            finally:
                self.global_slots.release()
                # Also count from the end: the server saw the request arrive before it ended, so the
                # next one can never reach it sooner than the interval, whatever the event loop did.
                state.next_at = max(state.next_at, loop.time() + self.options.per_host_interval * state.factor)

    def hold(self, host: str, seconds: float) -> None:
        """No request to `host` starts for `seconds` (Retry-After, backoff)."""
        state = self._state(host)
        state.hold_until = max(state.hold_until, asyncio.get_running_loop().time() + seconds)

    def slow_down(self, host: str) -> None:
        """The host said it is limiting us: double its interval, up to `slowdown_max` times."""
        state = self._state(host)
        state.rate_limits += 1
        state.factor = min(self.options.slowdown_max, state.factor * 2)

    def backoffs(self) -> list[tuple[str, float, float]]:
        """(host, seconds still held, interval factor) for every host currently slowed or held."""
        now = asyncio.get_running_loop().time()
        return sorted(
            (host, max(0.0, state.hold_until - now), state.factor)
            for host, state in self.hosts.items()
            if state.factor > 1 or state.hold_until > now
        )


def load_cookies(path: str) -> MozillaCookieJar:
    """Read a Netscape cookies.txt; the values stay in memory only."""
    jar = MozillaCookieJar()
    try:
        jar.load(path, ignore_discard=True, ignore_expires=True)
    except FileNotFoundError as exc:
        raise InputError(path, "no such cookies file", "Check [recheck] cookies in case.toml or --cookies") from exc
    except (LoadError, OSError, UnicodeDecodeError) as exc:
        raise InputError(path, "not a Netscape cookies.txt file",
                         "Export the cookies again with a cookies.txt browser extension (Netscape format)") from exc
    # Browser extensions write session cookies with expiry 0: keep those as session cookies, and
    # drop only cookies that really expired.
    now = time.time()
    for cookie in list(jar):
        if cookie.expires == 0:
            cookie.expires, cookie.discard = None, True
        elif cookie.expires is not None and cookie.expires < now:
            jar.clear(cookie.domain, cookie.path, cookie.name)
    return jar


class Fetcher:
    """An httpx client with the politeness, retry and body rules above. Use as an async context."""

    def __init__(self, options: FetchOptions):
        self.options = options
        self.politeness = Politeness(options)
        self.guard = AddressGuard(options.allow_private_hosts)
        cookies = load_cookies(str(Path(options.cookies).expanduser())) if options.cookies else None
        limits = httpx.Limits(max_connections=max(1, options.concurrency) * 2,
                              max_keepalive_connections=max(1, options.concurrency))
        transport = options.transport
        if transport is None and not options.proxy and not self.guard.everything:
            transport = GuardedTransport(self.guard, limits)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=options.connect_timeout, read=options.read_timeout,
                                  write=options.read_timeout, pool=None),
            follow_redirects=False,
            headers={
                "User-Agent": options.user_agent or DEFAULT_USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "es,en;q=0.8",
                "Accept-Encoding": "gzip, deflate",
            },
            cookies=cookies,
            proxy=options.proxy or None,
            limits=limits,
            transport=transport,
            # Environment proxies would send a researcher's traffic somewhere they did not choose here.
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def fetch(self, url: str) -> Fetched:
        """GET `url` following redirects by hand; never raises for network or server trouble."""
        result = Fetched(url=url, started_at=utcnow())
        seen = {url}
        current = url
        for hop in range(self.options.max_redirects + 1):
            await self._get(current, result)
            if result.reason is not None:
                return result
            location = result.headers.get("location")
            if result.http_status in REDIRECTS and location:
                target = urljoin(current, location.strip())
                result.redirects.append((result.http_status, target))
                if target in seen:
                    result.reason, result.final_url = "redirect-loop", target
                    return result
                if hop == self.options.max_redirects:
                    result.reason, result.final_url = "too-many-redirects", target
                    return result
                seen.add(target)
                current = target
                continue
            return result
        return result  # the loop returns on every path; this satisfies the type checker

    async def _get(self, url: str, result: Fetched) -> None:
        """One hop with retries; fills status, headers, body and final URL, or a reason."""
        options = self.options
        host = host_key(url)
        budget = options.connect_timeout + 2 * options.read_timeout
        if host in self.politeness.closed:
            result.final_url, result.reason = url, "host-rate-limited"
            return
        for attempt in range(options.retries + 1):
            result.attempts += 1
            status, headers, body, reason = None, {}, None, None
            async with self.politeness.slot(host):
                try:
                    async with asyncio.timeout(budget):
                        if options.proxy:  # the proxy resolves names: checked here first
                            await self.guard.check_url(url)
                        status, headers, body = await self._once(url)
                except BlockedAddress:
                    reason = "blocked-address"
                except BodyLimit as exc:
                    reason = exc.reason
                except (httpx.HTTPError, ssl.SSLError, TimeoutError, OSError) as exc:
                    reason = reason_for(exc)
            result.final_url, result.http_status, result.headers, result.body = url, status, headers, body
            result.reason = reason
            retryable = reason in RETRY_REASONS or (reason is None and status in RETRY_STATUSES)
            if not retryable:
                return
            if status == 429:
                self.politeness.slow_down(host)
            if attempt == options.retries:
                return
            wait = options.backoff * (2 ** attempt) + random.uniform(0, options.backoff)
            asked = retry_after(headers.get("retry-after")) if status in {429, 503} else None
            if asked is not None:
                if asked > options.max_wait:
                    # The host wants us gone for longer than we wait: ask it nothing more in this run.
                    self.politeness.closed.add(host)
                    return
                wait = max(wait, asked)
            self.politeness.hold(host, wait)

    async def _once(self, url: str) -> tuple[int, dict[str, str], bytes]:
        async with self.client.stream("GET", url) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            length = headers.get("content-length", "")
            encoding = headers.get("content-encoding", "")
            if not encoding and length.isdigit() and int(length) > self.options.max_body_bytes:
                raise BodyLimit("body-too-large")
            body = CappedBody(encoding, self.options.max_body_bytes)
            async for chunk in response.aiter_raw():
                body.feed(chunk)
            return response.status_code, headers, body.value()
