"""Manual rechecks driven by a scripted key stream; resumable; and the CLI screen on piped input."""

from __future__ import annotations

import sqlite3

from toolkit.case import open_case
from toolkit.dates import utcnow
from toolkit.recheck.manual import ManualSession
from toolkit.store.checks import checked_items, open_wave, tracked_items


class Keys:
    """A key stream for tests: single keys, and lines for notes."""

    def __init__(self, keys: str, lines: list[str] | None = None):
        self.keys = list(keys)
        self.lines = list(lines or [])

    def key(self) -> str:
        return self.keys.pop(0) if self.keys else ""

    def line(self, prompt: str) -> str:
        return self.lines.pop(0)


def add_items(case, count: int) -> list[int]:
    conn = sqlite3.connect(case / "case.db")
    with conn:
        for n in range(count):
            conn.execute("INSERT INTO item (platform, kind, key, url, name, added_at) VALUES ('facebook', 'page', ?, ?, ?, ?)",
                         (f"p{n}", f"https://www.facebook.com/p{n}", f"Página {n}", utcnow()))
    ids = [row[0] for row in conn.execute("SELECT id FROM item ORDER BY id")]
    conn.close()
    return ids


def test_answers_notes_browser_and_resume(case):
    ids = add_items(case, 5)
    opened_urls, views = [], []
    with open_case(case) as opened:
        wave = open_wave(opened.db, "w1", utcnow(), "manual")
        items = tracked_items(opened.db, everything=True)
        # item 1: open in browser, then live; item 2: note then unavailable; item 3: other -> removed
        # (asks for a note); item 4: skip; then quit before item 5.
        keys = Keys("blnuorkq", ["perfil borrado", "aviso de Meta por normas comunitarias"])
        stats = ManualSession(opened, wave, items, keys, views.append, open_url=opened_urls.append).run()
        rows = opened.db.execute('SELECT item_id, status, note, method FROM "check" ORDER BY id').fetchall()
        assert [tuple(r) for r in rows] == [
            (ids[0], "available", None, "manual"),
            (ids[1], "unavailable", "perfil borrado", "manual"),
            (ids[2], "removed", "aviso de Meta por normas comunitarias", "manual"),
        ]
        assert stats.quit and stats.skipped == 1 and stats.answered == 3
        assert opened_urls == ["https://www.facebook.com/p0"]
        assert any(v.message == "opened in your browser" for v in views)
        assert views[0].position == 1 and views[0].total == 5

        # Resume: only the unanswered items come back, and an unknown key is explained.
        todo = [i for i in items if i.id not in checked_items(opened.db, wave, "manual")]
        assert [i.id for i in todo] == [ids[3], ids[4]]
        views.clear()
        ManualSession(opened, wave, todo, Keys("zwoxq", ["geo-bloqueado"]), views.append).run()
        assert any(v.message == "unknown key 'z'" for v in views)
        last = opened.db.execute('SELECT item_id, status, note FROM "check" ORDER BY id DESC LIMIT 2').fetchall()
        assert [tuple(r) for r in last] == [(ids[4], "restricted", "geo-bloqueado"), (ids[3], "login_required", None)]


def test_manual_cli_on_piped_keys(case, invoke):
    add_items(case, 2)
    result = invoke("recheck", case, "--manual", "--all", "--wave", "m1", input="lu")
    assert result.exit_code == 0, result.output
    assert "2 answer(s) recorded" in result.stderr
    assert "https://www.facebook.com/p0" in result.stderr
    again = invoke("recheck", case, "--manual", "--all", "--wave", "m1", input="")
    assert again.exit_code == 0, again.output
    assert "2 of 2 item(s) already checked" in again.stderr
