"""Telegram Desktop exports: JSON and HTML give the same channel and messages."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURES, sample

from toolkit.errors import InputError
from toolkit.models import Kind, Status
from toolkit.sources import registry
from toolkit.sources.base import ReadContext

TG = FIXTURES / "telegram"


def captures(path: Path, fmt: str | None = None):
    importer = registry.get(fmt) if fmt else registry.detect(path)
    assert importer is not None, f"no importer for {path}"
    ctx = ReadContext(path=path)
    out = []
    for _, raw in importer.read(path, ctx):
        out.extend(importer.map(raw))
    return importer.name, out, ctx


def messages(caps) -> dict[str, object]:
    return {c.item.key: c for c in caps if c.item.kind == Kind.MESSAGE}


def comparable(caps) -> dict[str, tuple]:
    """What both exports must agree on, per message key."""
    return {key: (c.text, c.created_at, c.parent.key, c.fields.get("forwarded_from"),
                  c.fields.get("reply_to_message_id"), c.fields.get("links"),
                  [(r["emoji"], r["count"]) for r in c.fields.get("reactions", [])])
            for key, c in messages(caps).items()}


def test_synthetic_channel_json_and_paged_html_agree():
    name, from_json, _ = captures(TG / "channel_json" / "result.json")
    assert name == "telegram-json"
    html_caps = []
    for page in ("messages.html", "messages2.html"):
        name, caps, ctx = captures(TG / "channel_html" / page)
        assert name == "telegram-html" and not ctx.failures
        html_caps.extend(caps)
    assert comparable(from_json) == comparable(html_caps)
    keys = sorted(messages(from_json), key=lambda k: int(k.rsplit("/", 1)[1]))
    assert [k.rsplit("/", 1)[1] for k in keys] == ["2", "3", "4", "5", "7", "8", "9"]  # service events skipped
    channel = from_json[0]
    assert channel.item.kind == Kind.CHANNEL and channel.item.key == "name:Cruces Frontera Norte 🇺🇸"
    assert channel.fields == {"telegram_id": 1700000001, "chat_type": "public_channel"}
    assert {c.item.identity for c in html_caps if c.item.kind == Kind.CHANNEL} == {channel.item.identity}


def test_message_fields():
    _, caps, _ = captures(TG / "channel_json" / "result.json")
    by_id = {k.rsplit("/", 1)[1]: c for k, c in messages(caps).items()}
    rich = by_id["3"]
    assert rich.text == "Nuevo cupo\nInformes: https://wa.me/525555550101\nO escriban a @crucesnorte_admin"
    assert rich.created_at == "2021-04-10T15:05:30Z" and rich.status == Status.AVAILABLE
    assert rich.fields["links"] == ["https://t.me/crucesnorte_admin", "https://wa.me/525555550101"]
    assert rich.fields["reactions"] == [{"emoji": "👍", "count": 5}, {"emoji": "🔥", "count": 2}]
    assert by_id["4"].fields["forwarded_from"] == "Viajes Seguros MX"
    assert by_id["5"].fields["reply_to_message_id"] == 3 and by_id["5"].fields["photo_not_included"] is True
    assert by_id["7"].fields["links"] == ["https://t.me/+AbCdEfGhIjK"]
    assert by_id["8"].text == "Requisitos:\n- INE\n- 2 fotos\nPrecio < 4,000 & sin anticipo"
    assert by_id["9"].text is None and by_id["9"].fields["media_type"] == "sticker"


def test_group_kind_agrees_between_formats():
    _, from_json, _ = captures(TG / "group_json" / "result.json")
    _, from_html, _ = captures(TG / "group_html" / "messages.html")
    assert from_json[0].item.kind == from_html[0].item.kind == Kind.GROUP
    assert comparable(from_json) == comparable(from_html)
    assert from_html[0].fields["kind_inferred"] is True


def test_full_account_export_skips_private_chats():
    _, caps, ctx = captures(TG / "full_account" / "result.json")
    chats = [(c.item.kind, c.name) for c in caps if c.item.kind != Kind.MESSAGE]
    assert chats == [(Kind.CHANNEL, "Cruces Frontera Norte 🇺🇸"), (Kind.GROUP, "Viajeros Sonora – Arizona"),
                     (Kind.CHANNEL, "Canal Vacío")]
    assert len(messages(caps)) == 10
    assert not any("Marta R./" in c.item.key for c in caps)  # the personal chat
    assert any("one-to-one" in note.message for note in ctx.notes)


def test_broken_json_names_the_file(tmp_path):
    path = tmp_path / "result.json"
    text = (TG / "channel_json" / "result.json").read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(InputError) as info:
        captures(path, "telegram-json")
    assert str(path) in str(info.value) and "cut off" in info.value.hint


def test_scan_html_export_folder(invoke, case, tmp_path):
    result = invoke("scan", case, TG / "channel_html")
    assert result.exit_code == 0, result.output
    # css/js/images are part of the export, listed as unknown at the end, never an error.
    assert "Error" not in result.output
    assert "3 file(s) in no known format" in result.output
    db = sqlite3.connect(case / "case.db")
    count = db.execute("SELECT count(*) FROM item WHERE platform = 'telegram' AND kind = 'message'").fetchone()[0]
    assert count == 7
    result = invoke("scan", case, TG / "channel_json" / "result.json")
    assert result.exit_code == 0, result.output
    # The JSON export of the same channel finds the same items: nothing new.
    new = db.execute("SELECT items_new FROM source WHERE path LIKE '%result.json'").fetchone()[0]
    assert new == 0


def test_real_channel_json_and_html_agree():
    json_path = sample("telegram_desktop_json", "channel_uponthepathofsalaf_result.json")
    html_path = sample("telegram_desktop_html", "channel_uponthepathofsalaf_messages.html")
    _, from_json, jctx = captures(json_path)
    _, from_html, hctx = captures(html_path)
    assert not jctx.failures and not hctx.failures
    expected = [m["id"] for m in json.loads(json_path.read_text(encoding="utf-8"))["messages"] if m["type"] == "message"]
    assert sorted(int(k.rsplit("/", 1)[1]) for k in messages(from_json)) == sorted(expected)
    assert comparable(from_json) == comparable(from_html)
    assert from_json[0].item.identity == from_html[0].item.identity
    assert from_json[0].item.kind == Kind.CHANNEL


def test_real_html_export_with_reactions_and_polls():
    _, caps, ctx = captures(sample("telegram_desktop_html", "channel_koks8642_tg-nav-bot_messages.html"))
    assert not ctx.failures
    assert caps[0].item.kind == Kind.CHANNEL
    found = messages(caps)
    assert len(found) == 205
    assert any(c.fields.get("reactions") for c in found.values())
    assert any(r.get("paid") for c in found.values() for r in c.fields.get("reactions", []))
    assert any(c.fields.get("poll_question") for c in found.values())
    assert all(c.created_at and c.created_at.endswith("Z") for c in found.values())
