"""The browser reaches the same addresses as the live fetcher (issue 16, server-side request
forgery): no main document, redirect, frame or subresource from loopback, private or link-local
addresses unless `[recheck] allow_private_hosts` allows them; a refused page is `error`
`blocked-address`, never a removal. Served by the recheck tests' local server (two ports, so that
one may be allowed and the other not); skipped where Playwright or Chromium is missing."""

from __future__ import annotations

import sqlite3

import orjson
import pytest
from _browser_server import SharedBrowser, require_browser
from _recheck_server import RecheckServer, add_item

from toolkit.browser.rechecks import as_fetched
from toolkit.models import Status
from toolkit.recheck.reading import read_response


@pytest.fixture(scope="module")
def server():
    with RecheckServer(hosts=2) as srv:
        yield srv


@pytest.fixture(scope="module")
def guarded(server):
    """A browser that may reach the server's first port only (as `allow_private_hosts = ["127.0.0.1:P"]`)."""
    require_browser()
    browser = SharedBrowser(allow_private_hosts=(server.host(0),))
    yield browser
    browser.close()


def read(visit):
    return read_response(as_fetched(visit), url=visit.url, platform="facebook", observed_at=visit.started_at)


def test_by_default_the_local_server_is_refused_and_never_reached(server):
    require_browser()
    browser = SharedBrowser(allow_private_hosts=False)
    try:
        before = len(server.requests())
        visit = browser.visit(server.base(0) + "/fb/live", platform="facebook")
    finally:
        browser.close()
    assert (visit.reason, visit.html, visit.final_url) == ("blocked-address", None, server.base(0) + "/fb/live")
    assert len(server.requests()) == before
    reading = read(visit)
    assert (reading.status, reading.reason) == (Status.ERROR, "blocked-address")


def test_an_allowed_host_loads(server, guarded):
    visit = guarded.visit(server.base(0) + "/fb/live", platform="facebook")
    assert visit.reason is None and visit.http_status == 200
    assert read(visit).status == Status.AVAILABLE


@pytest.mark.parametrize("target", ["second-port", "http://169.254.169.254/latest/meta-data/", "http://localhost/"])
def test_a_redirect_to_a_private_address_is_refused(server, guarded, target):
    target = server.base(1) + "/fb/live" if target == "second-port" else target
    before = len(server.requests(host=server.host(1)))
    visit = guarded.visit(f"{server.base(0)}/redirect?to={target}", platform="facebook")
    assert (visit.reason, visit.final_url, visit.redirects) == ("blocked-address", target, [(302, target)])
    assert visit.html is None and visit.http_status is None
    assert len(server.requests(host=server.host(1))) == before  # the redirect's target was never reached
    assert (read(visit).status, read(visit).reason) == (Status.ERROR, "blocked-address")


def test_frames_and_subresources_from_a_private_address_are_refused_and_said(server, guarded):
    before = len(server.requests(host=server.host(1)))
    visit = guarded.visit(f"{server.base(0)}/embed?src={server.base(1)}", platform="facebook")
    assert visit.reason is None and read(visit).status == Status.AVAILABLE  # the page itself is allowed
    assert len(server.requests(host=server.host(1))) == before  # neither the image nor the frame was loaded
    (note,) = [n for n in visit.notes if n.startswith("refused ")]
    assert server.base(1) in note and "1 more" in note and "allow_private_hosts" in note


def test_subresources_and_frames_redirected_to_a_private_address_are_refused(server, guarded):
    before = len(server.requests(host=server.host(1)))
    hop = f"{server.base(0)}/hop/{server.host(1)}"  # the allowed host redirects to the other one
    visit = guarded.visit(f"{server.base(0)}/embed?src={hop}", platform="facebook")
    assert visit.reason is None and read(visit).status == Status.AVAILABLE
    assert {r.path for r in server.requests(host=server.host(0))} >= {f"/hop/{server.host(1)}/img.png",
                                                                       f"/hop/{server.host(1)}/frame"}
    assert len(server.requests(host=server.host(1))) == before
    (note,) = [n for n in visit.notes if n.startswith("refused ")]
    assert server.base(1) in note and "1 more" in note


def test_recheck_method_browser_records_error_blocked_address(server, case, invoke):
    require_browser()
    item = add_item(case, "facebook", server.base(0) + "/fb/live")
    config = case / "case.toml"
    config.write_text(config.read_text().replace("allow_private_hosts = true", "allow_private_hosts = false"))
    before = len(server.requests())
    result = invoke("recheck", case, "--all", "--wave", "w1", "--method", "browser", "--interval", "0",
                    "--retries", "0")
    assert result.exit_code == 0, result.output
    assert len(server.requests()) == before
    conn = sqlite3.connect(case / "case.db")
    rows = conn.execute('SELECT item_id, method, status, reason FROM "check"').fetchall()
    conn.close()
    assert rows == [(item, "browser", "error", "blocked-address")]


def test_capture_refuses_a_private_address_and_stores_nothing(server, case, invoke):
    require_browser()
    before = len(server.requests())
    result = invoke("capture", case, server.base(0) + "/fb/live", "--platform", "facebook", "--interval", "0",
                    "--settle", "2", "--format", "json")
    assert len(server.requests()) == before
    rows = orjson.loads(result.stdout)
    assert [(row["outcome"], row["status"]) for row in rows] == [("failed", "blocked-address")], result.output
    conn = sqlite3.connect(case / "case.db")
    assert conn.execute("SELECT count(*) FROM source").fetchone()[0] == 0
    conn.close()
