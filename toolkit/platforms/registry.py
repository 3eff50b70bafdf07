"""The one registry of platforms, and URL identity over it."""

from __future__ import annotations

from toolkit.models import ItemRef
from toolkit.platforms.base import Platform, host_of, port_of, split
from toolkit.plugins import load_plugins

_REGISTRY: dict[str, Platform] = {}
_loaded = False


def register(platform_class: type[Platform]) -> type[Platform]:
    """Class decorator: add a platform to the registry under its `name`."""
    _REGISTRY[platform_class.name] = platform_class()
    return platform_class


def _load() -> None:
    global _loaded
    if _loaded:
        return
    load_plugins("toolkit.platforms", "toolkit.platforms", register)
    _loaded = True


def platforms() -> dict[str, Platform]:
    _load()
    return dict(_REGISTRY)


def get(name: str) -> Platform | None:
    _load()
    return _REGISTRY.get(name)


def check_url(platform: str | None, url: str) -> str:
    """The address a plain HTTP recheck fetches for an item of `platform` at `url`
    (`Platform.check_url`; the URL itself for an unknown platform)."""
    found = get(platform) if platform else None
    return found.check_url(url) if found is not None and url else url


def platform_for_url(url: str) -> Platform:
    """The platform owning the URL's host, else the generic web platform."""
    _load()
    host = host_of(split(url))
    for platform in _REGISTRY.values():
        if platform.name != "generic" and platform.owns(host):
            return platform
    return _REGISTRY["generic"]


def mirror_host(url: str, platform: str | None) -> str | None:
    """The URL's `host[:port]` when `platform` is named for it and does not own that host (a mirror,
    an alternative front-end, a local test server); None otherwise."""
    if not platform or platform == "generic":
        return None
    chosen = get(platform)
    parts = split(url)
    host = host_of(parts)
    if chosen is None or not host or chosen.owns(host):
        return None
    port = port_of(parts)
    return f"{host}:{port}" if port and port not in (80, 443) else host


def _on_host(ref: ItemRef | None, host: str | None, url: str) -> ItemRef | None:
    """`ref` keyed on the mirror `host` it was found on: `<key>@<host>`, so that the same path on
    two hosts stays two items (a URL list names both on purpose)."""
    if ref is None or host is None:
        return ref
    return ItemRef(ref.platform, ref.kind, f"{ref.key}@{host}", url)


def identify(url: str, platform: str | None = None) -> ItemRef:
    """The item a URL points to. `platform` (e.g. from a URL list's column) overrides the host.

    A URL on a host the named platform does not own (a mirror, a front-end, a local server) is
    keyed with that host (`<key>@<host>`): two different URLs never silently become one item.
    A URL the named platform cannot place still becomes an item: a generic web page keyed by
    its cleaned URL, so nothing a researcher asked to track is dropped.
    """
    _load()
    chosen = _REGISTRY.get(platform) if platform else platform_for_url(url)
    if chosen is not None:
        ref = chosen.identify(url)
        if ref is not None:
            return _on_host(ref, mirror_host(url, platform), url if "://" in url[:12] else f"https://{url}")
    generic = _REGISTRY["generic"].identify(url)
    assert generic is not None
    if platform and platform != "generic":
        return ItemRef(platform, generic.kind, generic.key, generic.url)
    return generic


def parent_of(url: str, platform: str | None = None) -> ItemRef | None:
    """The page, group or channel the item at `url` belongs to, when the URL says."""
    _load()
    chosen = _REGISTRY.get(platform) if platform else platform_for_url(url)
    parent = chosen.parent_of(url) if chosen is not None else None
    host = mirror_host(url, platform)
    if parent is None or host is None:
        return parent
    scheme = split(url).scheme or "https"
    return _on_host(parent, host, f"{scheme}://{host}{split(parent.url).path}" if parent.url else url)
