"""Items named the way researchers name them: an id (`12`, `#12`) or a URL, canonicalised as in scan."""

from __future__ import annotations

from toolkit.platforms import identify
from toolkit.store.aliases import alias_target, canonical_id
from toolkit.store.db import Connection
from toolkit.store.item_lookup import item_by_id, item_by_identity, items_by_url


def resolve_item(conn: Connection, token: str) -> int | None:
    """The id of the item `token` names, or None when the case has no such item.

    A URL is canonicalised with the platform registry (mobile hosts, tracking parameters, vanity
    forms), so any URL that scan would map to an item finds that item. An item merged into another
    through an alias (see toolkit.store.aliases) resolves to the canonical item, by id, key or alias.
    """
    token = token.strip()
    if not token:
        return None
    number = token[1:] if token.startswith("#") else token
    if number.isascii() and number.isdigit():  # "²" and other digits int() does not read are no id
        return canonical_id(conn, int(number)) if item_by_id(conn, int(number)) is not None else None
    if "." not in token and "/" not in token:
        return None
    ref = identify(token)
    found = item_by_identity(conn, ref.platform, str(ref.kind), ref.key)
    if found is not None:
        return canonical_id(conn, found)
    found = alias_target(conn, ref.platform, str(ref.kind), ref.key)
    if found is not None:
        return found
    for url in (ref.url, token):
        if url:
            ids = items_by_url(conn, url)
            if ids:
                return canonical_id(conn, ids[0])
    return None
