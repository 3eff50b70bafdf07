"""Meta Content Library exports and Facebook "Download Your Information" files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FIXTURES, sample
from hypothesis import given
from hypothesis import strategies as st

from toolkit.models import Kind, Status
from toolkit.sources import registry
from toolkit.sources.base import MapError, ReadContext
from toolkit.sources.fb_dyi import repair
from toolkit.sources.mcl import flatten


def read(path: Path):
    importer = registry.detect(path)
    assert importer is not None, f"no importer for {path}"
    ctx = ReadContext(path=path)
    out = []
    for _, raw in importer.read(path, ctx):
        try:
            out.extend(importer.map(raw))
        except MapError as exc:
            ctx.fail(exc.cause, exc.detail)
    return importer.name, out, ctx


def test_mcl_csv_by_column_names():
    name, caps, ctx = read(FIXTURES / "mcl" / "mcl_facebook_posts.csv")
    assert name == "mcl" and not ctx.failures
    page, post, group, group_post, bare = caps
    assert page.item.identity == ("facebook", "page", "100064000000001")
    assert (page.name, page.url) == ("Cruce Seguro a USA", "https://www.facebook.com/cruceseguro.usa")
    assert post.item.identity == ("facebook", "post", "1230000000000001") and post.parent == page.item
    assert post.text.startswith("Salidas cada semana desde Reynosa.\nPago al llegar")
    assert (post.created_at, post.likes, post.status) == ("2021-04-10T15:00:00Z", 87, Status.AVAILABLE)
    assert post.fields["views"] == 1250 and post.fields["comment_count"] == 12
    assert group.item.identity == ("facebook", "group", "555000111") and group_post.parent == group.item
    assert group_post.created_at == "2021-04-11T08:00:00Z"
    assert bare.item.key == "1230000000000003" and bare.parent is None and bare.created_at == "2021-04-13T07:46:40Z"


def test_mcl_api_json_nested_and_instagram():
    _, caps, ctx = read(FIXTURES / "mcl" / "mcl_api_response.json")
    assert not ctx.failures
    owner, post, page, second = caps
    # Instagram profiles are known by username (as their URLs name them); the numeric id is kept.
    assert owner.item.identity == ("instagram", "profile", "viajes.norte.mx") and owner.name == "Viajes Norte MX"
    assert owner.fields["platform_id"] == "17840000000000001"
    assert post.item.platform == "instagram" and post.likes == 210 and post.fields["views"] == 5400
    # `post_owner.data.*` (API) reads as `post_owner.*` (UI export).
    assert page.item.identity == ("facebook", "page", "100064000000001") and second.likes == 9


def test_flatten():
    assert flatten({"a": {"data": {"b": 1}}, "c": {"d": {"e": 2}}, "f": [1]}) == {"a.b": 1, "c.d.e": 2, "f": [1]}


def test_dyi_posts_are_repaired():
    name, caps, ctx = read(FIXTURES / "fb_dyi" / "posts" / "your_posts_1.json")
    assert name == "facebook-dyi" and not ctx.failures
    first, second = caps
    assert first.text == "Salida el viernes desde Piedras Negras, información por inbox. ¡Cupo limitado!"
    assert first.fields["title"] == "Cruce Seguro a USA actualizó su estado."
    assert first.item.kind == Kind.POST and first.item.key.startswith("dyi:") and first.status is None
    assert first.parent is None and first.fields["links"] == ["https://www.facebook.com/groups/viajesnorte2021/"]
    assert second.text is None and second.fields["media"] == ["posts/media/fotos_1/foto_1.jpg"]
    # The same export read again gives the same keys.
    assert [c.item.key for c in read(FIXTURES / "fb_dyi" / "posts" / "your_posts_1.json")[1]] == [c.item.key for c in caps]


def test_dyi_groups_and_comments():
    _, groups, ctx = read(FIXTURES / "fb_dyi" / "groups" / "your_group_membership_activity.json")
    assert [g.item.key for g in groups] == ["name:Viajes al Norte 2021", "name:Trámites y Cruces Sonora"]
    assert ctx.failures["no-group-name"][0] == 1
    _, comments, ctx = read(FIXTURES / "fb_dyi" / "comments_and_reactions" / "comments.json")
    assert comments[0].text == "¿Cuánto cuesta? Somos dos."
    assert comments[0].parent.key == "name:Viajes al Norte 2021"
    _, group_posts, _ = read(FIXTURES / "fb_dyi" / "groups" / "your_posts_in_groups.json")
    assert group_posts[0].fields["dyi_type"] == "group_post"


def test_scan_dyi_folder(invoke, case):
    result = invoke("scan", case, FIXTURES / "fb_dyi")
    assert result.exit_code == 0, result.output
    assert "no-group-name" in result.output
    db = sqlite3.connect(case / "case.db")
    assert db.execute("SELECT count(*) FROM source WHERE format = 'facebook-dyi'").fetchone()[0] == 4


@given(st.text())
def test_repair_undoes_mojibake(text):
    assert repair(text.encode("utf-8").decode("latin-1")) == text


@given(st.text(alphabet=st.characters(min_codepoint=0x100, blacklist_categories=("Cs",)), min_size=1))
def test_repair_leaves_proper_text_alone(text):
    assert repair(text) == text


def test_real_dyi_samples():
    _, posts, _ = read(sample("facebook_dyi_json", "waultar_posts_your_posts_1.json"))
    assert any("tilføjet" in (p.fields.get("title") or "") for p in posts)
    assert not any("Ã" in (p.text or "") + (p.fields.get("title") or "") for p in posts)
    for name in ("waultar_comments_and_reactions.json", "waultar_your_posts_in_groups.json",
                 "waultar_your_group_membership_activity.json"):
        importer, caps, _ = read(sample("facebook_dyi_json", name))
        assert importer == "facebook-dyi" and caps


@pytest.mark.parametrize(("folder", "name"), [
    ("instagram_dyi_json", "waultar_instagram_post.json"),
    ("crowdtangle_api_json", "phoenix_crowdtangle_mock_data.json"),
    ("zeeschuimer_ndjson", "tiktok_jorisheijkant_tiktok-test.ndjson"),
])
def test_other_json_is_not_claimed(folder, name):
    path = sample(folder, name)
    head = path.read_bytes()[:65536]
    for fmt in ("mcl", "facebook-dyi", "telegram-json", "har"):
        assert not registry.get(fmt).sniff(path, head), fmt
