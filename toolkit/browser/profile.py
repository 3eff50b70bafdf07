"""The logged-in session: a persistent Chromium profile kept outside the case, and the login.

`toolkit browser login` opens a visible browser on the profile at the platform's login page; the
researcher logs in by hand (toolkit never sees the password: it is typed into the platform's own
page, and only the cookies the platform sets stay, in the profile folder) and says when they are
done, or closes the window. Later browser runs load pages with that profile, headless.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import replace

from toolkit.browser.engine import Browser
from toolkit.browser.options import BrowserOptions
from toolkit.errors import ToolkitError

LOGIN_PAGES = {
    "facebook": "https://www.facebook.com/login/",
    "instagram": "https://www.instagram.com/accounts/login/",
    "tiktok": "https://www.tiktok.com/login",
}


class NoDisplay(ToolkitError):
    """A visible browser was asked for where there is no screen to show it on."""


def has_display() -> bool:
    """Whether a window can be shown: always on macOS and Windows; on Linux and the BSDs only with
    an X11 or Wayland display."""
    if sys.platform in {"darwin", "win32"}:
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def require_display() -> None:
    """Raise NoDisplay with what to do when no window can be shown."""
    if not has_display():
        raise NoDisplay("no display: logging in needs a visible browser window, and this session has none "
                        "(DISPLAY and WAYLAND_DISPLAY are not set)",
                        "Run `toolkit browser login` on the desktop of the machine that runs the rechecks, or over "
                        "`ssh -X`; then copy nothing: later runs use the profile headless")


async def login_async(options: BrowserOptions, start_url: str, until_done: Callable[[], object]) -> str:
    """Show `start_url` in a visible browser on the profile; return (the browser's version) when
    `until_done()` returns or the researcher closes the window. `until_done` runs in a thread of
    its own (it may block on the terminal); the profile is written when the browser closes."""
    if options.profile is None:
        raise ToolkitError("no profile to log in with", "Set [browser] profile in case.toml, or leave it empty for the default")
    require_display()
    loop = asyncio.get_running_loop()
    finished = asyncio.Event()
    async with Browser(replace(options, headless=False)) as browser:
        context = browser.context
        context.on("close", lambda *_: loop.call_soon_threadsafe(finished.set))
        page = context.pages[0] if context.pages else await context.new_page()
        await browser.watch(page)  # the address guard checks its redirects (routing checks the rest)
        page.on("close", lambda *_: None if context.pages else loop.call_soon_threadsafe(finished.set))
        # On failure the window shows the browser's own error page; the researcher can type another address.
        with contextlib.suppress(browser.Error):
            await page.goto(start_url, wait_until="domcontentloaded", timeout=options.navigation_timeout * 1000)

        def wait_for_researcher() -> None:
            try:
                until_done()
            finally:
                loop.call_soon_threadsafe(finished.set)

        # A daemon thread: when the window is closed first, a prompt still waiting must not keep
        # the process alive.
        threading.Thread(target=wait_for_researcher, name="login-prompt", daemon=True).start()
        await finished.wait()
        version = browser.version
    return version


def login(options: BrowserOptions, start_url: str, until_done: Callable[[], object]) -> str:
    """Synchronous entry point for `login_async`."""
    return asyncio.run(login_async(options, start_url, until_done))
