"""The live recheck's address policy, in the browser: no page, frame, redirect or subresource is
loaded from the researcher's own machine or network unless `[recheck] allow_private_hosts` says so.

A browser visit is asked for URLs that come from pages written by the people under investigation
(an og:url, a URL list copied from an export), and the page it loads picks its own redirects,
frames, images and scripts: each of them could aim at 127.0.0.1, the office network or a cloud
metadata service (169.254.169.254). The addresses allowed are the HTTP fetcher's, checked by the
same code (toolkit.recheck.addresses.AddressGuard); only the way in differs:

- Playwright's request routing (`context.route`) sees the first request of every page, frame,
  subresource and worker of the context: each is resolved and checked here, and aborted when its
  host has no allowed address.
- Playwright does not route a redirect's next request (it lets it through itself), so each visited
  page also gets a CDP session with the Fetch domain enabled: a document's redirect is checked at
  its response, before it is followed; any other redirected request is checked when it is paused;
  everything else is let through at once (routing has checked it). Pages a page opens by itself
  (pop-ups) and out-of-process frames have no such session: their first requests are routed and
  checked, their redirects are not.

Chromium resolves names itself, after the check: a name that changes its answer between the two
lookups could get past (the HTTP fetcher has no such window; it connects to the address it
checked). Allowed answers are kept for CACHE_SECONDS, about as long as Chromium keeps its own.

A page whose main document is refused fails with reason `blocked-address` (an `error` check, never
a removal); refused subresources or frames leave the page readable and are said in the visit's
notes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from toolkit.recheck.addresses import AddressGuard, BlockedAddress

CACHE_SECONDS = 60.0
GUARDED_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})


@dataclass
class Refusals:
    """What the guard refused on one page: (URL, why, whether it was the main frame's document)."""

    items: list[tuple[str, BlockedAddress, bool]] = field(default_factory=list)
    main_frame: str = ""  # the CDP id of the page's main frame
    redirect_code: int | None = None  # the main document's redirect (3xx) that led to its refusal

    def document(self) -> tuple[str, BlockedAddress] | None:
        """The last refused main-frame document (the navigation that failed), if any."""
        for url, why, main in reversed(self.items):
            if main:
                return url, why
        return None

    def note(self) -> str | None:
        """One line for the visit's notes: the refused frames and subresources, if any."""
        others = [(url, why) for url, why, main in self.items if not main]
        if not others:
            return None
        url, why = others[0]
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        return f"refused {url[:200]} ({why}){more}: [recheck] allow_private_hosts opens these"


class BrowserGuard:
    """`AddressGuard` applied to a Playwright context and its pages."""

    def __init__(self, allow: bool | tuple[str, ...] | list[str]):
        self.guard = AddressGuard(allow if isinstance(allow, bool) else list(allow))
        self.refusals: dict[Any, Refusals] = {}  # page -> what was refused on it
        self._allowed: dict[tuple[str, int], float] = {}  # (host, port) -> when it was last found allowed

    @property
    def open(self) -> bool:
        """True when every address is allowed (nothing to check)."""
        return self.guard.everything

    async def check(self, url: str) -> None:
        """BlockedAddress when `url`'s host resolves to no address a recheck may reach. URLs without
        a network host (data:, blob:, about:) pass."""
        parts = urlsplit(url)
        if parts.scheme not in GUARDED_SCHEMES or not parts.hostname:
            return
        try:
            key = (parts.hostname, parts.port or (443 if parts.scheme in ("https", "wss") else 80))
        except ValueError:
            return  # a port Chromium will refuse itself
        now = time.monotonic()
        if now - self._allowed.get(key, -CACHE_SECONDS) < CACHE_SECONDS:
            return
        await self.guard.check_url(url)
        self._allowed[key] = now

    async def install(self, context: Any) -> None:
        """Route every request of `context` through the check."""
        await context.route("**/*", self._route)

    async def watch(self, context: Any, page: Any) -> None:
        """Check the redirects of `page` (call before it navigates)."""
        refusals = self.refusals.setdefault(page, Refusals())
        session = await context.new_cdp_session(page)
        refusals.main_frame = (await session.send("Page.getFrameTree"))["frameTree"]["frame"]["id"]
        session.on("Fetch.requestPaused", lambda event: asyncio.ensure_future(self._paused(session, page, event)))
        # Documents are also paused at their response, so that a redirect to a refused address is
        # refused before it is followed, its status known.
        await session.send("Fetch.enable", {"patterns": [
            {"urlPattern": "*", "requestStage": "Request"},
            {"urlPattern": "*", "resourceType": "Document", "requestStage": "Response"}]})

    def forget(self, page: Any) -> Refusals:
        """What was refused on `page`, dropped from the guard (the page is closed)."""
        return self.refusals.pop(page, None) or Refusals()

    def _refused(self, page: Any, url: str, why: BlockedAddress, main: bool) -> None:
        if page is not None:
            self.refusals.setdefault(page, Refusals()).items.append((url, why, main))

    async def _route(self, route: Any) -> None:
        request = route.request
        try:
            await self.check(request.url)
        except BlockedAddress as why:
            page = main = None
            with contextlib.suppress(Exception):  # a worker's request has no frame
                frame = request.frame
                page = frame.page
                main = request.is_navigation_request() and frame == page.main_frame
            self._refused(page, request.url, why, bool(main))
            with contextlib.suppress(Exception):  # the page may be gone
                await route.abort("blockedbyclient")
            return
        with contextlib.suppress(Exception):
            await route.fallback()

    async def _paused(self, session: Any, page: Any, event: dict[str, Any]) -> None:
        answer: tuple[str, dict[str, Any]] = ("Fetch.continueRequest", {"requestId": event["requestId"]})
        code = event.get("responseStatusCode")
        location = next((h["value"] for h in event.get("responseHeaders") or () if h["name"].lower() == "location"), None)
        if code is not None:  # a document's response: a redirect is checked before it is followed
            url = urljoin(event["request"]["url"], location) if 300 <= code < 400 and location else None
        else:  # a request: a redirect's next one was never routed
            url = event["request"]["url"] if event.get("redirectedRequestId") else None
        if url is not None:
            try:
                await self.check(url)
            except BlockedAddress as why:
                refusals = self.refusals.get(page, Refusals())
                main = event.get("resourceType") == "Document" and event.get("frameId") == refusals.main_frame
                if main and code is not None:
                    refusals.redirect_code = code
                self._refused(page, url, why, main)
                answer = ("Fetch.failRequest", {"requestId": event["requestId"], "errorReason": "BlockedByClient"})
        with contextlib.suppress(Exception):  # the page may be gone
            await session.send(*answer)

