"""Synthetic candidates for the review, flag and show tests: items with a capture, hits and a score.

Written straight into a case database the way the scan and the tagger would (fictional content).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from toolkit.case import open_case
from toolkit.platforms import identify

OFFER = "Cruce seguro a USA, salida esta semana, $7,500, pago al llegar. WhatsApp +52 55 5555 0101"
NEWS = "Noticias: detienen a un coyote en Reynosa; las autoridades advierten a los migrantes."
RECIPE = "Receta de pollo asado con cebolla y chile, para toda la familia."


def add_item(conn: sqlite3.Connection, key: str, *, name: str, text: str, score: float | None,
             category: str | None = None, terms: tuple[str, ...] = (), platform: str = "facebook", kind: str = "page",
             followers: int | None = None, members: int | None = None, created_at: str | None = None,
             observed_at: str = "2021-04-10T12:00:00Z", lexicon: str = "smuggling-es@1") -> int:
    """Insert an item with one capture, hits for each term found in its text, and a score row."""
    if platform == "facebook":
        # Identity exactly as the scan would store it.
        ref = identify(f"https://www.facebook.com/{'groups/' if kind == 'group' else ''}{key}")
        assert ref.kind == kind
        key, url = ref.key, ref.url
    else:
        url = f"https://example.org/{key}"
    item_id = conn.execute(
        "INSERT INTO item(platform, kind, key, url, name, first_seen, last_seen, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (platform, kind, key, url, name, observed_at, observed_at, observed_at),
    ).lastrowid
    capture_id = conn.execute(
        "INSERT INTO capture(item_id, observed_at, status, name, text, url, followers, members, created_at)"
        " VALUES (?, ?, 'available', ?, ?, ?, ?, ?, ?)",
        (item_id, observed_at, name, text, url, followers, members, created_at),
    ).lastrowid
    lowered = text.lower()
    for term in terms:
        start = lowered.find(term.lower())
        assert start >= 0, f"{term!r} is not in the text"
        conn.execute(
            "INSERT INTO hit(capture_id, item_id, lexicon, term, category, language, field, start, end, matched, weight)"
            " VALUES (?, ?, ?, ?, ?, 'es', 'text', ?, ?, ?, 1.0)",
            (capture_id, item_id, lexicon, term, category, start, start + len(term), text[start : start + len(term)]),
        )
    if score is not None:
        conn.execute(
            "INSERT INTO score(item_id, capture_id, lexicons, score, category, explanation, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (item_id, capture_id, orjson.dumps([lexicon]).decode(), score, category,
             orjson.dumps({"terms": list(terms), "signals": ["price", "contact"] if "$" in text else []}).decode(),
             observed_at),
        )
    return int(item_id)


def populate(case: Path) -> dict[str, int]:
    """Five candidates of different scores; returns their ids by key."""
    with open_case(case) as opened:
        conn = opened.db
        conn.execute("BEGIN")
        ids = {
            "cruceseguro": add_item(conn, "CruceSeguro", name="Cruce Seguro USA", text=OFFER, score=9.5,
                                    category="smuggling_offer", terms=("cruce seguro", "pago al llegar"),
                                    followers=12400, created_at="2020-12-28T00:00:00Z"),
            "viajesnorte": add_item(conn, "ViajesNorte", name="Viajes Norte", text="Viajes al norte sin papeles, pago al llegar",
                                    score=7.0, category="smuggling_offer", terms=("sin papeles", "pago al llegar"),
                                    kind="group", members=44000),
            "noticias": add_item(conn, "NoticiasFrontera", name="Noticias Frontera", text=NEWS, score=3.0,
                                 category="smuggling_information", terms=("coyote",)),
            "recetas": add_item(conn, "RecetasPollo", name="Recetas", text=RECIPE, score=1.0, category="other",
                                terms=("pollo",), lexicon="slang-es@1"),
            "tiktok": add_item(conn, "video1", name="cruce", text="Cruzamos por Tijuana, pago al llegar", score=5.0,
                               category="smuggling_offer", terms=("pago al llegar",), platform="tiktok", kind="video"),
        }
        conn.execute("COMMIT")
    return ids


def record_review(case: Path, item_id: int, verdict: str, reviewed_at: str, reviewer: str = "ana",
                  category: str | None = None) -> None:
    """Append a verdict given at `reviewed_at` (recorded now, after every earlier row)."""
    conn = sqlite3.connect(case / "case.db")
    conn.execute("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at) VALUES (?, ?, ?, ?, ?)",
                 (item_id, verdict, category, reviewer, reviewed_at))
    conn.commit()
    conn.close()


def merge(case: Path, keep: int, merged: int) -> None:
    """Merge item `merged` into `keep` as an alias would (toolkit.store.aliases.link)."""
    from toolkit.store.aliases import link

    with open_case(case) as opened:
        opened.db.execute("BEGIN")
        link(opened.db, keep, merged)
        opened.db.execute("COMMIT")
