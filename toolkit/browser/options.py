"""`[browser]` in case.toml as one checked set of options.

case.toml declares the keys and their types (toolkit.case.CONFIG_SPEC); this module checks what the
types cannot (a screenshot mode from a closed list, a scale between 0 and 1, a profile folder kept
outside the case) and resolves paths, so that every browser command reads the same options.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from toolkit.errors import CaseError


class ScreenshotMode(StrEnum):
    """Which browser checks keep a screenshot: every one, those whose status differs from the
    item's previous check, or none."""

    ALL = "all"
    CHANGED = "changed"
    NONE = "none"


@dataclass(frozen=True)
class BrowserOptions:
    """How the browser is started and how long a visit may take. Built from `[browser]`."""

    executable: str = ""  # "" = the system's Chromium when present, else Playwright's own
    profile: Path | None = None  # the persistent profile (cookies of a logged-in session); None = none
    pages: int = 2  # pages loading at once in the one browser context
    navigation_timeout: float = 30.0  # seconds until the main document has loaded
    settle_timeout: float = 10.0  # seconds to wait for the network to go quiet (or a platform selector)
    scroll_screens: int = 3  # screens scrolled on platforms that load content as one scrolls
    screenshots: ScreenshotMode = ScreenshotMode.ALL
    screenshot_scale: float = 1.0
    max_screenshot_height: int = 12000  # CSS pixels: an endless feed is cut here
    viewport_width: int = 1280
    viewport_height: int = 900
    wall_streak: int = 3  # walls in a row on one host that pause the host (0 = never)
    # Seconds after a recheck reads a page as gone to read it once more (0 = never): a page that
    # changes in that time is an error, never a removal (toolkit.browser.rechecks.steady).
    second_look: float = 2.0
    max_html_bytes: int = 20 * 1024 * 1024
    user_agent: str = ""
    proxy: str = ""
    headless: bool = True
    # `[recheck] allow_private_hosts`: the browser reaches the same addresses as the HTTP fetcher
    # (toolkit.browser.guard): none private unless True, or these hosts ("host" or "host:port").
    allow_private_hosts: bool | tuple[str, ...] = False

    def without_profile(self) -> BrowserOptions:
        return replace(self, profile=None)

    @classmethod
    def from_config(cls, config: dict[str, dict[str, Any]], case_root: Path, *, use_profile: bool = True,
                    **overrides: Any) -> BrowserOptions:
        """Options from `[browser]` (and the user agent, proxy, body cap and private hosts allowed of
        `[recheck]`), then the
        non-None `overrides`. Raises CaseError naming the key whose value cannot be used."""
        section = config["browser"]
        where = case_root / "case.toml"
        try:
            screenshots = ScreenshotMode(section["screenshots"])
        except ValueError:
            raise CaseError(f"{where}: 'browser.screenshots' must be all, changed or none, not {section['screenshots']!r}",
                            "Fix the value of screenshots under [browser]") from None
        scale = float(section["screenshot_scale"])
        if not 0 < scale <= 1:
            raise CaseError(f"{where}: 'browser.screenshot_scale' must be above 0 and at most 1, not {scale:g}",
                            "Use 1 for full size, 0.5 for half the width and height")
        for key in ("pages", "max_screenshot_height"):
            if section[key] < 1:
                raise CaseError(f"{where}: 'browser.{key}' must be at least 1", f"Fix the value of {key} under [browser]")
        for key in ("navigation_timeout", "settle_timeout"):
            if section[key] <= 0:
                raise CaseError(f"{where}: 'browser.{key}' must be above 0", f"Fix the value of {key} under [browser]")
        if section["second_look"] < 0:
            raise CaseError(f"{where}: 'browser.second_look' must be 0 or more",
                            "Fix the value of second_look under [browser] (0 reads a page once)")
        values: dict[str, Any] = {
            "executable": section["executable"],
            "profile": profile_folder(section["profile"], case_root) if use_profile else None,
            "pages": section["pages"],
            "navigation_timeout": float(section["navigation_timeout"]),
            "settle_timeout": float(section["settle_timeout"]),
            "scroll_screens": max(0, section["scroll_screens"]),
            "screenshots": screenshots,
            "screenshot_scale": scale,
            "max_screenshot_height": section["max_screenshot_height"],
            "wall_streak": max(0, section["wall_streak"]),
            "second_look": float(section["second_look"]),
            "max_html_bytes": int(float(config["recheck"]["max_body_mb"]) * 1024 * 1024),
            "user_agent": config["recheck"]["user_agent"],
            "proxy": config["recheck"]["proxy"],
            "allow_private_hosts": _allowed_hosts(config["recheck"]["allow_private_hosts"]),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _allowed_hosts(value: bool | list[str]) -> bool | tuple[str, ...]:
    return value if isinstance(value, bool) else tuple(str(host) for host in value)


def user_data_dir() -> Path:
    """Where toolkit keeps per-user data: platformdirs' user data folder when installed (it comes
    with the browser extra), else $XDG_DATA_HOME/toolkit or the platform's usual place."""
    try:
        import platformdirs
    except ImportError:
        platformdirs = None
    if platformdirs is not None:
        return Path(platformdirs.user_data_dir("toolkit", appauthor=False))
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "toolkit"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "toolkit"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "toolkit"


def profile_folder(value: str, case_root: Path) -> Path:
    """The profile folder `[browser] profile` names: a path (absolute, or `~/...`), or a bare name
    for a folder under the user's data folder; empty means the profile named "default".

    A profile holds a logged-in session's cookies: it is refused inside the case folder, which
    is shared and bundled as evidence.
    """
    text = value.strip() or "default"
    if "/" in text or "\\" in text or text.startswith("~"):
        folder = Path(text).expanduser()
        if not folder.is_absolute():
            folder = case_root / folder
    else:
        folder = user_data_dir() / "browser-profiles" / text
    resolved = folder.resolve()
    if resolved == case_root.resolve() or case_root.resolve() in resolved.parents:
        raise CaseError(f"{case_root / 'case.toml'}: [browser] profile {value!r} is inside the case folder",
                        "A profile holds the cookies of a logged-in session and must never travel with the case: "
                        "give a folder outside it, or a bare name such as \"research-fb\"")
    return resolved


def pacing(config: dict[str, dict[str, Any]], options: BrowserOptions, **overrides: Any):
    """The live recheck's politeness (`[recheck]`: per-host interval and concurrency, retries,
    backoff), with as many loads at once as the browser has pages; non-None `overrides` win."""
    from toolkit.recheck.fetch import FetchOptions

    return FetchOptions.from_config(config["recheck"], concurrency=options.pages, **overrides)
