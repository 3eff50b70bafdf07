"""The generic web: any URL no platform module claims. Keyed by the cleaned URL."""

from __future__ import annotations

from toolkit.models import ItemRef, Kind
from toolkit.platforms.base import Platform, clean_query, host_of, port_of, rebuild, split
from toolkit.platforms.registry import register


@register
class Generic(Platform):
    name = "generic"

    def owns(self, host: str) -> bool:
        return True

    def parse(self, url: str) -> tuple[ItemRef | None, ItemRef | None]:
        """A web page keyed by its URL: lower-case host without `www.`, default ports, tracking
        parameters and the fragment dropped, query sorted, trailing slash removed."""
        parts = split(url)
        host = host_of(parts)
        if host.startswith("www."):
            host = host[4:]
        port = port_of(parts)
        if port and port not in (80, 443):
            host = f"{host}:{port}"
        path = parts.path.rstrip("/") or "/"
        canonical = rebuild(parts.scheme.lower() or "https", host, path, clean_query(parts.query))
        return ItemRef("generic", Kind.PAGE, canonical, canonical), None
