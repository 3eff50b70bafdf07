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


HOSTILE_SCRIPT = "<script>alert('x')</script> Cruce VIP"
HOSTILE_FORMULA = '=HYPERLINK("http://evil.example/x","Cruce")'
HOSTILE_RTL = "Viajes \u202eASU a ecurC"


def synthetic(root: Path) -> Path:
    """A small fictional case exercising every section: two notice batches, two waves with unknowns,
    a sold listing, audience growth, a seller network with a partial takedown, hostile names."""
    b = CaseBuilder(root, description="Fictional smuggling offers on Facebook, TikTok and Telegram")
    src = b.source("a" * 64, "exports/busqueda-cruce.ndjson", fmt="zeeschuimer", importer="zeeschuimer@1")
    b.source("b" * 64, "exports/tracked-urls.txt")
    b.wave("w1", "2021-04-23T10:00:00Z")
    b.wave("w2", "2021-05-17T14:00:00Z", methods='["live", "manual"]')
    specs = [
        # key, kind, platform, name, followers, members, w1, w2
        ("cruce.seguro.usa", "page", "facebook", "Cruce Seguro USA", 1200, None, "available", "available"),
        ("viajes.norte", "page", "facebook", "Viajes al Norte", 800, None, "available", "unavailable"),
        ("coyote.lopez", "page", "facebook", HOSTILE_SCRIPT, 300, None, "unavailable", "unavailable"),
        ("groups/quierocruzar", "group", "facebook", "Quiero cruzar la frontera", None, 44000, "available", "available"),
        ("formula.page", "page", "facebook", HOSTILE_FORMULA, 50, None, "login_required", "removed"),
        ("rtl.page", "page", "facebook", HOSTILE_RTL, 75, None, "available", "error"),
        ("marketplace/item/123", "listing", "facebook", "Viaje Reynosa McAllen $8,000", None, None, "available", "sold"),
        ("@cruces.tiktok/video/7001", "video", "tiktok", "Cruzamos seguro", 5000, None, "available", "account_gone"),
        ("juan.perez.coyote", "profile", "facebook", "Juan Pérez", 150, None, "available", "available"),
        ("t.me/cruces_rapidos", "channel", "telegram", "Cruces rápidos", None, 2100, None, "available"),
        ("noticias.frontera", "page", "facebook", "Noticias de la frontera", 9000, None, "available", "available"),
    ]
    ids = []
    for n, (key, kind, platform, name, followers, members, w1, w2) in enumerate(specs):
        item = b.item(key, kind=kind, platform=platform, name=name, followers=followers, members=members,
                      first_seen=f"2021-04-1{n % 5}T09:30:00Z", source_id=src,
                      url=f"https://www.{platform}.com/{key}" if platform != "telegram" else f"https://{key}")
        ids.append(item)
        b.hit(item, "cruzar", language="en" if n == 7 else "es")
        if w1:
            b.check(item, "w1", f"2021-04-23T1{n % 3}:00:00Z", w1)
        if w2:
            b.check(item, "w2", f"2021-05-17T1{4 + n % 3}:00:00Z", w2, method="manual" if n == 9 else "live")
        if w2 == "available" and (followers or members):
            b.capture(item, "2021-05-17T13:00:00Z", followers=followers and followers * 2,
                      members=members and members + 1100)
    reviews = ["violating"] * 10 + ["not_violating"]
    categories = ["smuggling_offer", "smuggling_offer", "smuggling_offer", "smuggling_solicitation",
                  "smuggling_offer", "drug_sale", "smuggling_offer", "smuggling_information", "smuggling_offer",
                  "smuggling_offer", None]
    for item, verdict, category in zip(ids, reviews, categories, strict=True):
        b.review(item, "unsure", None, at="2021-04-11T10:00:00Z")
        b.review(item, verdict, category)
    for item in ids[:5]:
        b.notice(item, "2021-04-16T15:00:00Z", "platform_request", reference="TTP-list-1")
    for item in ids[5:8]:
        b.notice(item, "2021-04-20T09:00:00Z", "in_app")
    # A seller network: one number behind three pages (as phone and as WhatsApp), a Telegram handle on two.
    for item, kind, value, matched in [(ids[0], "phone", "+525555550101", "55 5555 0101"),
                                       (ids[1], "whatsapp", "+525555550101", "wa.me/525555550101"),
                                       (ids[2], "phone", "+525555550101", "+52 55 5555 0101"),
                                       (ids[3], "telegram", "@cruces_rapidos", "t.me/cruces_rapidos"),
                                       (ids[9], "telegram", "cruces_rapidos", "@cruces_rapidos"),
                                       (ids[5], "phone", "+525555550199", "55 5555 0199")]:
        b.indicator(item, kind, value, matched)
    return b.close()
