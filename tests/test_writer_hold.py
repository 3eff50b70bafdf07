"""CaptureWriter(hold_updates=True), as the scan uses it: the same item rows as updating per batch."""

from __future__ import annotations

import sqlite3

from toolkit.models import Capture, ItemRef, Kind
from toolkit.store.db import connect
from toolkit.store.writer import CaptureWriter

PAGE = "100000111000001"


def _batches() -> list[list[Capture]]:
    """Batches that give an existing page its URL late, its name later, and times out of order."""
    bare = ItemRef("facebook", Kind.PAGE, PAGE, None)
    page = ItemRef("facebook", Kind.PAGE, PAGE, f"https://www.facebook.com/{PAGE}")
    group = ItemRef("facebook", Kind.GROUP, "555000111", "https://www.facebook.com/groups/555000111")
    post = ItemRef("facebook", Kind.POST, "3000000000000001", f"https://www.facebook.com/{PAGE}/posts/3000000000000001")
    return [
        [Capture(item=bare, observed_at="2021-03-05T00:00:00Z"), Capture(item=group)],
        [Capture(item=post, parent=page, observed_at="2021-03-06T00:00:00Z"), Capture(item=bare)],
        [Capture(item=page, name="Cruce Seguro a USA", observed_at="2021-03-01T00:00:00Z"),
         Capture(item=group, name="Viajes", observed_at="2021-02-01T00:00:00Z")],
        [Capture(item=page, name="Otro nombre", observed_at="2021-04-01T00:00:00Z"),
         Capture(item=post, parent=page, observed_at="2021-03-02T00:00:00Z")],
    ]


def _items(case, hold: bool) -> list[tuple]:
    conn = connect(case / "case.db")
    try:
        conn.execute("BEGIN")  # rolled back: each call starts from the same empty case
        writer = CaptureWriter(conn, None, "2021-04-10T00:00:00Z", hold_updates=hold)
        for batch in _batches():
            writer.write(batch)
        held = conn.execute("SELECT url, name, last_seen FROM item WHERE key = ?", (PAGE,)).fetchone()
        writer.finish()
        rows = conn.execute("SELECT id, platform, kind, key, url, name, parent_id, first_seen, last_seen"
                            " FROM item ORDER BY id").fetchall()
        conn.execute("ROLLBACK")
        return [tuple(row) for row in rows], tuple(held)
    finally:
        conn.close()


def test_held_updates_give_the_same_items(case):
    direct, during_direct = _items(case, hold=False)
    held, during_held = _items(case, hold=True)
    assert held == direct
    page = next(row for row in direct if row[3] == PAGE)
    assert page[4:] == (f"https://www.facebook.com/{PAGE}", "Cruce Seguro a USA", None,
                        "2021-03-01T00:00:00Z", "2021-04-01T00:00:00Z")
    group = next(row for row in direct if row[2] == "group")
    assert (group[5], group[7], group[8]) == ("Viajes", "2021-02-01T00:00:00Z", "2021-02-01T00:00:00Z")
    # Held back until finish: the page's row still shows what its first batch wrote.
    assert during_direct == (f"https://www.facebook.com/{PAGE}", "Cruce Seguro a USA", "2021-04-01T00:00:00Z")
    assert during_held == (None, None, "2021-03-05T00:00:00Z")


def test_finish_without_held_changes_writes_nothing(case):
    conn = sqlite3.connect(case / "case.db", isolation_level=None)
    try:
        changes = conn.total_changes
        CaptureWriter(conn, None, "2021-04-10T00:00:00Z", hold_updates=True).finish()
        CaptureWriter(conn, None, "2021-04-10T00:00:00Z").finish()
        assert conn.total_changes == changes
    finally:
        conn.close()
