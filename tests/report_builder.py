"""Building report test cases by inserting rows directly, independent of scan/review/recheck code."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from toolkit.case import init_case


class CaseBuilder:
    """A fresh case folder plus helpers that insert items, captures, verdicts, notices, waves, checks."""

    def __init__(self, root: Path, description: str = ""):
        case = init_case(root)
        self.root = root
        self.db: sqlite3.Connection = case.db
        if description:
            text = (root / "case.toml").read_text(encoding="utf-8")
            (root / "case.toml").write_text(text.replace('description = ""', f'description = "{description}"', 1),
                                            encoding="utf-8")
        self._waves: dict[str, int] = {}
        self.db.execute("BEGIN")

    def close(self) -> Path:
        self.db.execute("COMMIT")
        self.db.close()
        return self.root

    def source(self, sha: str, path: str, fmt: str = "urls", importer: str = "urls@1",
               imported_at: str = "2021-04-15T12:00:00Z", collected_at: str | None = "2021-04-15T00:00:00Z") -> int:
        cur = self.db.execute(
            "INSERT INTO source(sha256, size, format, importer, path, imported_at, collected_at, records_read,"
            " records_mapped, records_failed, items_new, items_seen, captures) VALUES (?,?,?,?,?,?,?,1,1,0,1,0,1)",
            (sha, 100, fmt, importer, path, imported_at, collected_at))
        return cur.lastrowid

    def item(self, key: str, *, platform: str = "facebook", kind: str = "page", name: str | None = None,
             url: str | None = None, first_seen: str = "2021-04-10T12:00:00Z", followers: int | None = None,
             members: int | None = None, source_id: int | None = None) -> int:
        cur = self.db.execute(
            "INSERT INTO item(platform, kind, key, url, name, first_seen, last_seen, added_at) VALUES (?,?,?,?,?,?,?,?)",
            (platform, kind, key, url or f"https://www.facebook.com/{key}", name, first_seen, first_seen, first_seen))
        item_id = cur.lastrowid
        self.capture(item_id, first_seen, followers=followers, members=members, name=name, source_id=source_id)
        return item_id

    def capture(self, item_id: int, at: str, *, followers: int | None = None, members: int | None = None,
                name: str | None = None, source_id: int | None = None, status: str | None = "available") -> int:
        cur = self.db.execute(
            "INSERT INTO capture(item_id, source_id, observed_at, status, name, followers, members) VALUES (?,?,?,?,?,?,?)",
            (item_id, source_id, at, status, name, followers, members))
        return cur.lastrowid

    def review(self, item_id: int, verdict: str = "violating", category: str | None = "smuggling_offer",
               at: str = "2021-04-12T12:00:00Z", reviewer: str = "ana") -> None:
        self.db.execute("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at) VALUES (?,?,?,?,?)",
                        (item_id, verdict, category, reviewer, at))

    def notice(self, item_id: int, at: str = "2021-04-16T15:00:00Z", channel: str = "platform_request",
               reference: str | None = None) -> None:
        self.db.execute("INSERT INTO notice(item_id, noticed_at, channel, reference, recorded_at) VALUES (?,?,?,?,?)",
                        (item_id, at, channel, reference, at))

    def wave(self, name: str, started_at: str, methods: str = '["live"]') -> int:
        cur = self.db.execute("INSERT INTO wave(name, started_at, methods) VALUES (?,?,?)", (name, started_at, methods))
        self._waves[name] = cur.lastrowid
        return cur.lastrowid

    def check(self, item_id: int, wave: str | None, at: str, status: str, method: str = "live",
              detector: str = "facebook-page@1") -> None:
        self.db.execute(
            'INSERT INTO "check"(item_id, wave_id, observed_at, method, status, detector) VALUES (?,?,?,?,?,?)',
            (item_id, self._waves.get(wave) if wave else None, at, method, status, detector))

    def indicator(self, item_id: int, kind: str, value: str, matched: str | None = None) -> None:
        capture_id = self.db.execute("SELECT min(id) FROM capture WHERE item_id = ?", (item_id,)).fetchone()[0]
        self.db.execute(
            "INSERT INTO indicator(capture_id, item_id, type, value, matched, extractor) VALUES (?,?,?,?,?,?)",
            (capture_id, item_id, kind, value, matched, "indicators@1"))

    def hit(self, item_id: int, term: str, language: str = "es", lexicon: str = "smuggling-es@1",
            category: str = "smuggling_offer") -> None:
        capture_id = self.db.execute("SELECT min(id) FROM capture WHERE item_id = ?", (item_id,)).fetchone()[0]
        self.db.execute(
            "INSERT INTO hit(capture_id, item_id, lexicon, term, category, language) VALUES (?,?,?,?,?,?)",
            (capture_id, item_id, lexicon, term, category, language))


def june_2021(root: Path) -> Path:
    """50 Facebook pages handed over on 2021-04-16; on 2021-05-17, 19 live and 31 unavailable."""
    b = CaseBuilder(root)
    b.wave("w1", "2021-05-17T14:00:00Z")
    for n in range(50):
        item = b.item(f"cruce.page.{n:02d}", name=f"Cruce seguro {n:02d}", followers=1000 + n)
        b.review(item)
        b.notice(item)
        b.check(item, "w1", "2021-05-17T15:00:00Z", "available" if n < 19 else "unavailable")
    return b.close()
