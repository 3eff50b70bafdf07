"""Live rechecks never reach the researcher's own machine or network (issue 16, server-side request
forgery): loopback, private, link-local and other non-global addresses are refused after DNS
resolution and on every redirect, unless case.toml allows them; a refusal is `error`
`blocked-address`, never a removal. Served by the real local server of the recheck tests."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
from _recheck_server import RecheckServer

from toolkit.recheck.addresses import AddressGuard, BlockedAddress, forbidden
from toolkit.recheck.fetch import Fetcher, FetchOptions

FAST = ["--interval", "0", "--timeout", "2", "--connect-timeout", "2", "--retries", "0"]


@pytest.fixture
def server():
    with RecheckServer(hosts=2) as srv:
        yield srv


def fetch(url: str, **options):
    async def run():
        async with Fetcher(FetchOptions(per_host_interval=0.0, retries=0, connect_timeout=2, read_timeout=2,
                                        **options)) as fetcher:
            return await fetcher.fetch(url)
    return asyncio.run(run())


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254", "2002:7f00:1::1", "not an address",
])
def test_non_global_addresses_are_forbidden(address):
    assert forbidden(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "157.240.1.35", "2a03:2880:f10c:83:face:b00c:0:25de"])
def test_global_addresses_are_not(address):
    assert not forbidden(address)


def test_the_local_server_is_refused_by_default(server):
    fetched = fetch(server.base(0) + "/fb/live")
    assert (fetched.reason, fetched.http_status, fetched.body) == ("blocked-address", None, None)
    assert server.requests() == []


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/admin",
                                    "http://[::1]/", "http://localhost/"])
def test_a_redirect_to_a_private_address_is_refused(server, target):
    allowed = [server.host(0)]  # only the first host may be private: the redirect's target may not
    fetched = fetch(f"{server.base(0)}/redirect?to={target}", allow_private_hosts=allowed)
    assert fetched.redirects == [(302, target)]
    assert (fetched.reason, fetched.final_url) == ("blocked-address", target)


def test_a_redirect_to_another_local_port_is_refused_and_never_reached(server):
    fetched = fetch(f"{server.base(0)}/redirect?to={server.base(1)}/fb/live", allow_private_hosts=[server.host(0)])
    assert fetched.reason == "blocked-address"
    assert server.requests(host=server.host(1)) == []
    assert len(server.requests(host=server.host(0))) == 1


def test_the_address_checked_is_the_address_connected_to(server, monkeypatch):
    """DNS rebinding: the name is resolved once, by the guard, and the connection goes to that very
    address (the system resolver is never asked again: `rebind.test` does not exist there)."""
    port = int(server.host(0).rsplit(":", 1)[1])
    asked = []

    async def resolve(self, host, port_):
        asked.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(AddressGuard, "resolve", resolve)
    blocked = fetch(f"http://rebind.test:{port}/fb/live")
    assert blocked.reason == "blocked-address" and server.requests() == []
    allowed = fetch(f"http://rebind.test:{port}/fb/live", allow_private_hosts=["rebind.test"])
    assert (allowed.reason, allowed.http_status) == (None, 200)
    assert asked == ["rebind.test", "rebind.test"]


def test_a_host_list_allows_only_those_hosts(server):
    fetched = fetch(server.base(1) + "/fb/live", allow_private_hosts=[server.host(0)])
    assert fetched.reason == "blocked-address"
    fetched = fetch(server.base(0) + "/fb/live", allow_private_hosts=[server.host(0)])
    assert (fetched.reason, fetched.http_status) == (None, 200)


def test_through_a_proxy_a_private_target_is_refused_before_the_proxy_is_asked(server):
    proxy = server.base(1)  # the proxy is the researcher's choice, on their machine
    fetched = fetch("http://10.0.0.1/admin", proxy=proxy)
    assert fetched.reason == "blocked-address"
    assert server.requests() == []


def test_blocked_address_is_an_exception_naming_host_and_address():
    with pytest.raises(BlockedAddress, match=r"metadata\.internal resolves to 169\.254\.169\.254"):
        AddressGuard().check("metadata.internal", 80, ["169.254.169.254"])


def test_a_saved_page_pointing_at_a_private_address_is_never_fetched(invoke, case, tmp_path, server):
    """A page whose og:url names the researcher's own machine becomes an item; live recheck records
    `error` `blocked-address` for it and never connects (nothing is stored as evidence)."""
    page = tmp_path / "page.html"
    target = f"{server.base(0)}/secret"
    page.write_text(f'<!DOCTYPE html><html><head><title>Viajes</title><meta property="og:url" content="{target}">'
                    '<meta property="og:title" content="Viajes"></head><body><p>Salidas cada semana</p></body></html>')
    assert invoke("scan", case, page).exit_code == 0
    items = json.loads(invoke("items", case, "--format", "json").stdout)
    assert [item["url"] for item in items] == [target]
    result = invoke("recheck", case, "--all", "--wave", "w1", *FAST, "--format", "json")
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(case / "case.db")
    try:
        checks = conn.execute('SELECT status, reason, evidence_sha256 FROM "check"').fetchall()
    finally:
        conn.close()
    assert checks == [("error", "blocked-address", None)]
    assert server.requests() == []
