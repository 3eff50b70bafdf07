"""The one registry of platforms, and URL identity over it."""

from __future__ import annotations

from toolkit.models import ItemRef
from toolkit.platforms.base import Platform, host_of, split
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


def platform_for_url(url: str) -> Platform:
    """The platform owning the URL's host, else the generic web platform."""
    _load()
    host = host_of(split(url))
    for platform in _REGISTRY.values():
        if platform.name != "generic" and platform.owns(host):
            return platform
    return _REGISTRY["generic"]


def identify(url: str, platform: str | None = None) -> ItemRef:
    """The item a URL points to. `platform` (e.g. from a URL list's column) overrides the host.

    A URL the named platform cannot place still becomes an item: a generic web page keyed by
    its cleaned URL, so nothing a researcher asked to track is dropped.
    """
    _load()
    chosen = _REGISTRY.get(platform) if platform else platform_for_url(url)
    if chosen is not None:
        ref = chosen.identify(url)
        if ref is not None:
            return ref
    generic = _REGISTRY["generic"].identify(url)
    assert generic is not None
    if platform and platform != "generic":
        return ItemRef(platform, generic.kind, generic.key, generic.url)
    return generic


def parent_of(url: str, platform: str | None = None) -> ItemRef | None:
    """The page, group or channel the item at `url` belongs to, when the URL says."""
    _load()
    chosen = _REGISTRY.get(platform) if platform else platform_for_url(url)
    return chosen.parent_of(url) if chosen is not None else None
