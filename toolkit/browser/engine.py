"""Chromium through Playwright: find it, start it, and visit one page as a person would see it.

    async with Browser(options) as browser:
        visit = await browser.visit(url, platform="facebook", screenshot=True, mhtml=True)

One browser context serves a whole run (the persistent profile's, or a fresh one); each visit opens
a page and closes it, so memory stays bounded however many pages are visited. A visit never
raises for network or page trouble: failures come back as `Visit.reason`, a short code
(dns-error, connect-error, load-timeout, ...), as the HTTP fetcher's do.

A visit: load the URL until its main document is parsed (bounded by `navigation_timeout`), wait for
the page to settle (no request in flight for half a second, or the platform's content selector
present; bounded by `settle_timeout`), scroll a few screens where the platform loads content as one
scrolls, then read back the rendered HTML, a full-page PNG (cut at `max_screenshot_height`, scaled by
`screenshot_scale`, both done by Chromium) and, when asked, an MHTML snapshot (CDP
Page.captureSnapshot). The main document's HTTP status and the redirect chain come from the
navigation responses of the main frame.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import shutil
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.browser.guard import BrowserGuard, Refusals
from toolkit.browser.options import BrowserOptions
from toolkit.dates import utcnow
from toolkit.errors import ToolkitError

INSTALL_HINT = ("Install the browser extra: pip install 'toolkit[browser]'; then, where no Chromium is installed "
                "(Debian/Ubuntu: apt-get install chromium), fetch Playwright's own: python -m playwright install chromium")

# The system's Chromium or Chrome, by command name, then at the usual install places.
SYSTEM_COMMANDS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SYSTEM_PATHS = {
    "darwin": ("/Applications/Chromium.app/Contents/MacOS/Chromium",
               "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
    "win32": (r"C:\Program Files\Google\Chrome\Application\chrome.exe",
              r"C:\Program Files (x86)\Google\Chrome\Application\chrome.exe"),
}

# Chromium talks to Google's services in the background (updates, sync, field trials): on a closed
# network those connections are refused and slow every start, and a research browser has no use
# for them. QUIC is off so that every request goes through the same (proxied, logged) TCP path.
LAUNCH_ARGS = ("--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-default-apps",
               "--no-default-browser-check")

# Chromium's net error names -> the reason codes the HTTP fetcher uses (toolkit.recheck.fetch).
NET_ERRORS: tuple[tuple[str, str], ...] = (
    ("ERR_NAME_NOT_RESOLVED", "dns-error"),
    ("ERR_NAME_RESOLUTION_FAILED", "dns-error"),
    ("ERR_CONNECTION_TIMED_OUT", "connect-timeout"),
    ("ERR_TIMED_OUT", "read-timeout"),
    ("ERR_CONNECTION_REFUSED", "connect-error"),
    ("ERR_ADDRESS_UNREACHABLE", "connect-error"),
    ("ERR_CONNECTION_FAILED", "connect-error"),
    ("ERR_CONNECTION_RESET", "reset"),
    ("ERR_CONNECTION_CLOSED", "reset"),
    ("ERR_EMPTY_RESPONSE", "reset"),
    ("ERR_TOO_MANY_REDIRECTS", "too-many-redirects"),
    ("ERR_CERT_", "tls-error"),
    ("ERR_SSL_", "tls-error"),
    ("ERR_PROXY_", "proxy-error"),
    ("ERR_TUNNEL_CONNECTION_FAILED", "proxy-error"),
    ("ERR_INVALID_URL", "bad-url"),
    ("ERR_UNKNOWN_URL_SCHEME", "bad-url"),
    ("ERR_DISALLOWED_URL_SCHEME", "bad-url"),
    ("ERR_CONTENT_DECODING_FAILED", "bad-encoding"),
    ("ERR_INVALID_RESPONSE", "protocol-error"),
    ("ERR_INVALID_HTTP_RESPONSE", "protocol-error"),
    ("ERR_RESPONSE_HEADERS_", "protocol-error"),
    ("ERR_BLOCKED_BY_", "blocked"),
    ("ERR_UNSAFE_PORT", "blocked"),
    ("ERR_ABORTED", "aborted"),
    ("Download is starting", "not-a-page"),
)

# What shows that a platform's page has rendered its content, and whether it loads more as one
# scrolls. Platforms without an entry settle on a quiet network alone and are not scrolled.
PLATFORM_PAGES: dict[str, tuple[str, bool]] = {
    "facebook": ('[role="main"], [role="feed"], [data-pagelet]', True),
    "instagram": ("main article, main header, main section", True),
    "tiktok": ('[data-e2e="user-page"], [data-e2e="browse-video"], [data-e2e="video-desc"]', True),
    "telegram": (".tgme_page, .tgme_channel_info, .tgme_widget_message", False),
}
QUIET_SECONDS = 0.5  # no request in flight for this long: the page has settled (Playwright's "networkidle")
SCROLL_QUIET_SECONDS = 2.0  # at most this long after each scroll for what it loads
# Every call into a page runs on the page's main thread, behind its scripts: a page whose script
# never yields (an endless loop, alert() for ever) would hold the call, and the run, for ever.
# Playwright bounds none of these calls (page.content, query_selector, evaluate, CDP sends), so
# each is bounded here: a probe while settling or scrolling by PROBE_SECONDS, reading the page back
# by `navigation_timeout`, closing the page by CLOSE_SECONDS.
PROBE_SECONDS = 1.0
CLOSE_SECONDS = 5.0


class BrowserMissing(ToolkitError):
    """Playwright is not installed."""


class BrowserError(ToolkitError):
    """Chromium could not be found or started."""


@dataclass
class Screenshot:
    """A PNG of the page as rendered, and what it covers."""

    png: bytes
    width: int  # pixels of the PNG
    height: int
    page_height: int  # CSS pixels of the whole page
    cut: bool  # the page was taller than max_screenshot_height
    scale: float

    def describe(self) -> str:
        return (f"{self.width}x{self.height} PNG" + (f" at scale {self.scale:g}" if self.scale != 1 else "")
                + (f", cut from a {self.page_height} px page" if self.cut else ""))


@dataclass
class Visit:
    """What one visit saw. `reason` is set when no page could be read (the fields after it are then
    whatever was known when it failed)."""

    url: str
    started_at: str
    final_url: str | None = None
    http_status: int | None = None
    redirects: list[tuple[int, str]] = field(default_factory=list)
    html: bytes | None = None  # the rendered document, UTF-8
    screenshot: Screenshot | None = None
    mhtml: bytes | None = None
    reason: str | None = None
    settled: str = ""  # network-quiet | selector | timeout
    scrolled: int = 0
    notes: list[str] = field(default_factory=list)
    attempts: int = 1
    second_look: SecondLook | None = None  # the page read again, when the first reading asked for it


@dataclass
class SecondLook:
    """The same page read again `after` seconds later, without reloading it: its document and
    address then, or why it could not be read."""

    after: float
    html: bytes | None = None
    url: str | None = None
    reason: str | None = None


def reason_for(message: str) -> str:
    """The short reason code for a Playwright navigation error's message."""
    for name, code in NET_ERRORS:
        if name in message:
            return code
    return "network-error"


def find_executable(configured: str = "") -> str | None:
    """The Chromium to drive: `configured` (which must exist), else the system's Chromium or Chrome,
    else None, meaning Playwright's own download."""
    if configured:
        path = Path(configured).expanduser()
        found = shutil.which(str(path)) or (str(path) if path.is_file() else None)
        if not found:
            raise BrowserError(f"[browser] executable {configured!r}: no such program",
                               "Fix [browser] executable in case.toml, or leave it empty to use the system's Chromium")
        return found
    for command in SYSTEM_COMMANDS:
        found = shutil.which(command)
        if found:
            return found
    for candidate in SYSTEM_PATHS.get(sys.platform, ()):
        if Path(candidate).is_file():
            return candidate
    return None


def load_playwright():
    """The `playwright.async_api` module, or BrowserMissing saying how to install it."""
    try:
        from playwright import async_api
    except ImportError as exc:
        raise BrowserMissing("this command needs a browser, and Playwright is not installed", INSTALL_HINT) from exc
    return async_api


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header; ValueError when the bytes are not a PNG."""
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])


class _Traffic:
    """Requests in flight on one page, and when that number last changed."""

    def __init__(self, page: Any) -> None:
        self.inflight = 0
        self.changed = asyncio.get_running_loop().time()
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, _request: Any) -> None:
        self.inflight += 1
        self.changed = asyncio.get_running_loop().time()

    def _end(self, _request: Any) -> None:
        self.inflight = max(0, self.inflight - 1)
        self.changed = asyncio.get_running_loop().time()

    def quiet_for(self) -> float:
        """Seconds since the last request ended, 0 while one is in flight."""
        return 0.0 if self.inflight else asyncio.get_running_loop().time() - self.changed


class Browser:
    """One Chromium and one context for a run. Use as an async context manager."""

    def __init__(self, options: BrowserOptions):
        self.options = options
        self.version = ""  # e.g. "Chrome/150.0.7871.100", read when the browser starts
        self._api: Any = None
        self._playwright: Any = None
        self._browser: Any = None
        self.context: Any = None
        self.guard = BrowserGuard(options.allow_private_hosts)

    async def __aenter__(self) -> Browser:
        self._api = load_playwright()
        executable = find_executable(self.options.executable)
        self._playwright = await self._api.async_playwright().start()
        try:
            await self._launch(executable)
            self.version = await self._read_version()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def session(self) -> str:
        """"profile" when pages load with the persistent (logged-in) profile, else "none"."""
        return "profile" if self.options.profile is not None else "none"

    @property
    def label(self) -> str:
        """The browser and the session, as checks record them: "Chrome/150.0... (profile)"."""
        return f"{self.version} ({'logged-in profile' if self.options.profile is not None else 'no profile'})"

    @property
    def Error(self) -> type[Exception]:
        """Playwright's error class, for callers that drive `context` themselves."""
        return self._api.Error

    async def close(self) -> None:
        """Close the context (a persistent profile is written to disk here) and the browser."""
        try:
            if self.context is not None:
                await self.context.close()
            if self._browser is not None:
                await self._browser.close()
        except self._api.Error:
            pass  # already gone (the user closed the window, or it crashed)
        finally:
            self.context = self._browser = None
            if self._playwright is not None:
                await self._playwright.stop()
                self._playwright = None

    async def _launch(self, executable: str | None) -> None:
        options = self.options
        launch: dict[str, Any] = {"executable_path": executable, "headless": options.headless, "args": list(LAUNCH_ARGS),
                                  "timeout": 60_000}
        if options.proxy:
            launch["proxy"] = {"server": options.proxy}
        context: dict[str, Any] = {
            "viewport": {"width": options.viewport_width, "height": options.viewport_height},
            "device_scale_factor": 1,
            # A service worker answers requests the page cannot see, so the page would never look
            # quiet (and could serve a cached copy instead of what the platform serves now).
            "service_workers": "block",
            "accept_downloads": False,
        }
        if options.user_agent:
            context["user_agent"] = options.user_agent
        chromium = self._playwright.chromium
        try:
            if options.profile is not None:
                # Private: the profile holds the session's cookies.
                options.profile.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.context = await chromium.launch_persistent_context(str(options.profile), **launch, **context)
            else:
                self._browser = await chromium.launch(**launch)
                self.context = await self._browser.new_context(**context)
        except self._api.Error as exc:
            raise _launch_error(exc, executable, options.profile) from None
        self.context.set_default_timeout(options.navigation_timeout * 1000)
        if not self.guard.open:
            await self.guard.install(self.context)

    async def new_page(self) -> Any:
        """A new page of the context, its redirects checked by the address guard from the start."""
        page = await self.context.new_page()
        await self.watch(page)
        return page

    async def watch(self, page: Any) -> None:
        """Check `page`'s redirects against the address guard (before it navigates)."""
        if not self.guard.open:
            await self.guard.watch(self.context, page)

    async def _read_version(self) -> str:
        page = await self.context.new_page()
        try:
            session = await self.context.new_cdp_session(page)
            product = (await session.send("Browser.getVersion")).get("product", "")
            await session.detach()
        finally:
            await page.close()
        return product

    async def visit(self, url: str, *, platform: str | None = None, screenshot: bool = True,
                    mhtml: bool = False, look_again: Callable[[Visit], bool] | None = None) -> Visit:
        """Load `url`, let it settle, scroll, and read it back. Never raises for network or page
        trouble (the Visit's `reason` says what went wrong); the page is always closed.

        When `look_again` is given and says yes to what was read, the page is read once more,
        `second_look` seconds later and without reloading it (`Visit.second_look`): a page that
        changes after it settled is then seen to change. The rest of the Visit is the first read."""
        result = Visit(url=url, started_at=utcnow())
        try:
            page = await self.new_page()
        except self._api.Error as exc:
            # Not the page's trouble: the browser itself is gone (it crashed, or its window was closed).
            raise BrowserError(f"the browser stopped: {str(exc).splitlines()[0][:200]}",
                               "Run the same command again: what was done is kept, and it goes on from there") from None
        navigations: list[tuple[int, str]] = []

        def on_response(response: Any) -> None:
            try:
                if response.request.is_navigation_request() and response.frame == page.main_frame:
                    navigations.append((response.status, response.url))
            except self._api.Error:
                pass  # a service worker's or a detached frame's response

        page.on("response", on_response)
        # A page may open pop-ups (window.open): they are not what was asked for, and left open they
        # would go on loading and running their scripts for the rest of the run. Each is closed as
        # it opens; the visit ends when they are closed.
        closing: list[asyncio.Future] = []

        def on_popup(popup: Any) -> None:
            closing.append(asyncio.ensure_future(self._close(popup)))

        page.on("popup", on_popup)
        traffic = _Traffic(page)
        read_at = None  # how many navigations there were, and where the page was, when it was read
        try:
            await self._load(page, result, platform, traffic)
            if result.reason is None:
                await self._read_back(page, result, screenshot, mhtml)
                read_at = (len(navigations), page.url)
            if result.html is not None and look_again is not None and self.options.second_look > 0:
                _fill_navigation(result, navigations, page.url)
                if look_again(result):
                    await self._look_again(page, result)
        finally:
            # The first read's navigation: a page that moves on by itself meanwhile is the second look's.
            seen, where = read_at or (len(navigations), page.url)
            _fill_navigation(result, navigations[:seen], where)
            _refusals(result, self.guard.forget(page))
            await self._close(page)
            await asyncio.gather(*closing)
        return result

    async def _close(self, page: Any) -> None:
        """Close `page`, waiting at most CLOSE_SECONDS; a page already closed is fine. Every request
        the page would still make is refused first: Chromium does not close a tab in the middle of
        a navigation, so a page that reloads itself without end stayed open, reloading, for the
        rest of the run."""
        with contextlib.suppress(self._api.Error, TimeoutError):
            await asyncio.wait_for(page.route("**/*", _refuse), PROBE_SECONDS)
        with contextlib.suppress(self._api.Error, TimeoutError):
            await asyncio.wait_for(page.close(), CLOSE_SECONDS)

    async def _load(self, page: Any, result: Visit, platform: str | None, traffic: _Traffic) -> None:
        options = self.options
        try:
            await page.goto(result.url, wait_until="domcontentloaded", timeout=options.navigation_timeout * 1000)
        except self._api.TimeoutError:
            result.reason = "load-timeout"
            return
        except self._api.Error as exc:
            result.reason = reason_for(str(exc))
            return
        selector, lazy = PLATFORM_PAGES.get(platform or "", ("", False))
        result.settled = await _settle(page, traffic, options.settle_timeout, selector)
        if result.settled == "timeout":
            result.notes.append(f"the page did not settle within {options.settle_timeout:g} s")
        if lazy and options.scroll_screens:
            result.scrolled = await _scroll(page, traffic, options.scroll_screens)

    async def _look_again(self, page: Any, result: Visit) -> None:
        """Wait `second_look` seconds, then read the page's document again (bounded as the first
        read is); the page is not reloaded."""
        look = result.second_look = SecondLook(after=self.options.second_look)
        await asyncio.sleep(look.after)
        try:
            html = await asyncio.wait_for(page.content(), self.options.navigation_timeout)
        except TimeoutError:
            look.reason = "page-unresponsive"
            return
        except self._api.Error:
            look.reason = "page-navigating"
            return
        look.html, look.url = html.encode("utf-8", errors="replace"), page.url

    async def _read_back(self, page: Any, result: Visit, screenshot: bool, mhtml: bool) -> None:
        """Read the rendered HTML, then the screenshot and snapshot. A page whose scripts keep it
        from answering within `navigation_timeout` fails as `page-unresponsive`; a screenshot or
        snapshot that cannot be taken in that time is a note (the HTML is read all the same)."""
        bound = self.options.navigation_timeout
        try:
            html = await asyncio.wait_for(page.content(), bound)
        except TimeoutError:
            result.reason = "page-unresponsive"
            return
        except self._api.Error:
            # The page navigated by itself while being read (a script redirect): read the new one.
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=self.options.settle_timeout * 1000)
                html = await asyncio.wait_for(page.content(), bound)
            except TimeoutError:
                result.reason = "page-unresponsive"
                return
            except self._api.Error:
                result.reason = "page-navigating"
                return
        body = html.encode("utf-8", errors="replace")
        if len(body) > self.options.max_html_bytes:
            result.reason = "body-too-large"
            return
        result.html = body
        if not (screenshot or mhtml):
            return
        session = await self.context.new_cdp_session(page)
        try:
            if screenshot:
                result.screenshot = await asyncio.wait_for(self._screenshot(session), bound)
            if mhtml:
                snapshot = await asyncio.wait_for(session.send("Page.captureSnapshot", {"format": "mhtml"}), bound)
                result.mhtml = snapshot["data"].encode("utf-8")
        except TimeoutError:
            result.notes.append(f"screenshot or snapshot failed: the page did not answer within {bound:g} s")
        except self._api.Error as exc:
            result.notes.append(f"screenshot or snapshot failed: {str(exc).splitlines()[0][:200]}")
        finally:
            with contextlib.suppress(self._api.Error, TimeoutError):
                await asyncio.wait_for(session.detach(), CLOSE_SECONDS)

    async def _screenshot(self, session: Any) -> Screenshot:
        options = self.options
        metrics = await session.send("Page.getLayoutMetrics")
        width = max(1, int(metrics["cssLayoutViewport"]["clientWidth"]))
        page_height = max(1, math.ceil(metrics["cssContentSize"]["height"]))
        height = min(page_height, options.max_screenshot_height)
        shot = await session.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": options.screenshot_scale}})
        data = base64.b64decode(shot["data"])
        png_width, png_height = png_size(data)
        return Screenshot(data, png_width, png_height, page_height, page_height > height, options.screenshot_scale)


def started(browser: Browser | None, options: BrowserOptions):
    """An async context giving `browser` as it is (left open: a caller running several jobs on one
    browser), or a new Browser for `options`, closed at the end."""
    return contextlib.nullcontext(browser) if browser is not None else Browser(options)


async def _settle(page: Any, traffic: _Traffic, timeout: float, selector: str) -> str:
    """Wait until no request has been in flight for QUIET_SECONDS, or the platform's content
    selector is on the page, at most `timeout` seconds; say which came first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if traffic.quiet_for() >= QUIET_SECONDS:
            return "network-quiet"
        if selector and await _has(page, selector):
            return "selector"
        await asyncio.sleep(0.1)
    return "timeout"


async def _refuse(route: Any) -> None:
    """A route handler refusing the request (the page is being closed)."""
    with contextlib.suppress(Exception):  # the page may close while the request is refused
        await route.abort()


async def _has(page: Any, selector: str) -> bool:
    """Whether `selector` is on the page; False when the page does not answer within PROBE_SECONDS."""
    try:
        return await asyncio.wait_for(page.query_selector(selector), PROBE_SECONDS) is not None
    except Exception:  # a page navigating away mid-query, or too busy to answer: not there yet
        return False


async def _scroll(page: Any, traffic: _Traffic, screens: int) -> int:
    """Scroll down up to `screens` screens, letting each load what it brings; back to the top."""
    loop = asyncio.get_running_loop()
    done = 0
    for _ in range(screens):
        try:
            moved = await asyncio.wait_for(page.evaluate(
                "() => { const y = window.scrollY; window.scrollBy(0, window.innerHeight); return window.scrollY > y; }"),
                PROBE_SECONDS)
        except Exception:  # the page navigated, or is too busy to answer: stop scrolling it
            break
        if not moved:
            break
        done += 1
        deadline = loop.time() + SCROLL_QUIET_SECONDS
        await asyncio.sleep(0.1)  # let the scroll's requests start
        while loop.time() < deadline and traffic.quiet_for() < QUIET_SECONDS:
            await asyncio.sleep(0.1)
    if done:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(page.evaluate("() => window.scrollTo(0, 0)"), PROBE_SECONDS)
    return done


def _fill_navigation(result: Visit, navigations: list[tuple[int, str]], page_url: str) -> None:
    """The main document's status, the redirect chain and the final URL, from the main frame's
    navigation responses (HTTP redirects, then any script or meta-refresh navigation)."""
    if navigations:
        result.http_status = navigations[-1][0]
        result.redirects = [(code, navigations[i + 1][1]) for i, (code, _) in enumerate(navigations[:-1])]
    if page_url and page_url != "about:blank":
        result.final_url = page_url
    elif navigations:
        result.final_url = navigations[-1][1]


def _refusals(result: Visit, refusals: Refusals) -> None:
    """What the address guard refused on the page: a refused main document is the visit's failure
    (`blocked-address`, its URL the final one, after the redirect that led there); refused frames
    and subresources are a note."""
    document = refusals.document()
    if document is not None and result.html is None:
        url, _why = document
        result.reason = "blocked-address"
        code = refusals.redirect_code or result.http_status
        if code is not None and 300 <= code < 400 and (code, url) not in result.redirects:
            result.redirects.append((code, url))
        result.http_status = None
        result.final_url = url
    note = refusals.note()
    if note:
        result.notes.append(note)


def _launch_error(exc: Exception, executable: str | None, profile: Path | None) -> BrowserError:
    text = str(exc)
    first = next((line.strip() for line in text.splitlines() if line.strip()), text)[:300]
    if "Executable doesn't exist" in text or "executable doesn't exist" in text.lower():
        return BrowserError("no Chromium to drive: none installed on the system and Playwright's own is not downloaded",
                            INSTALL_HINT)
    if profile is not None and ("ProcessSingleton" in text or "profile" in text.lower() or "SingletonLock" in text):
        return BrowserError(f"the browser profile {profile} is in use by another browser",
                            "Close the other window (is `toolkit browser login` still open?), then run this again")
    where = executable or "Playwright's Chromium"
    return BrowserError(f"could not start the browser ({where}): {first}",
                        "Check that the browser runs (chromium --version); set [browser] executable in case.toml to choose another")
