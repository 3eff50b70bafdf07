"""`toolkit tag`: the distributed path gives what tagging in one process gives, and `scan` imports its candidates.

Runs on a local Dask cluster of threads (quick); one test starts worker processes. The datasets
are generated here: posts built from the shipped lexicons' own terms, contact points, prices and
places, so that hits, indicators and scores of every kind occur.
"""

from __future__ import annotations

import io
import json
import random
import sys
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import FIXTURES

from toolkit.lexicon import Tagger, resolve
from toolkit.tagjob.parts import METADATA_KEY

THREADS = ("--local-mode", "threads", "--workers", "2", "--quiet")
FILLER = ["hola", "amigos", "la", "familia", "de", "casa", "trabajo", "hoy", "mañana", "buenas", "noches", "gracias",
          "saludos", "viaje", "venta", "precio", "barato", "nuevo", "el", "la", "que", "en", "y", "los", "se", "del",
          "las", "un", "por", "con", "no", "una", "su", "para", "es", "al", "lo", "como", "más"]
EXTRAS = ["WhatsApp +52 55 5555 0101", "cel 656-555-0107", "wa.me/5215555550104", "$4,500", "8 mil dólares",
          "t.me/cruces_rapidos", "precio 7500", "info@example.org", "Tijuana", "Reynosa", "Houston", "🇺🇸"]


def make_posts(count: int, seed: int = 19) -> list[str]:
    """Posts of filler words; about half carry lexicon terms, some contact points, prices or places."""
    rng = random.Random(seed)
    terms = [t.term for lex in resolve(["default"]) for t in lex.terms if t.regex is None]
    posts = []
    for _ in range(count):
        words = rng.choices(FILLER, k=rng.randint(4, 25))
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            words.insert(rng.randrange(len(words) + 1), rng.choice(terms))
        if rng.random() < 0.3:
            words.append(rng.choice(EXTRAS))
        text = " ".join(words)
        posts.append(text.upper() if rng.random() < 0.05 else text)
    posts[7] = ""  # an empty text: a row with nothing found
    return posts


def reference_rows(posts: list[str], names: list[str | None]) -> list[dict]:
    """Every post analysed in one process by the tagger's object API, in the output's row shape."""
    tagger = Tagger(resolve(["default"]))
    records = [{"name": name, "text": text} for name, text in zip(names, posts, strict=True)]
    rows = []
    for analysis in tagger.analyse_batch(records):
        hits, indicators = [], []
        for tags in analysis.fields:
            for tid, start, end in tags.hits:
                term = tagger.matcher.terms[tid]
                hits.append({"lexicon": tagger.by_name[term.lexicon].ident, "term": term.term, "category": term.category,
                             "lang": term.lang, "weight": float(term.weight), "field": tags.field, "start": start,
                             "end": end, "matched": tags.text[start:end]})
            indicators.extend({"type": ind.type, "value": ind.value, "field": tags.field, "start": ind.start,
                               "end": ind.end, "matched": ind.matched} for ind in tags.indicators)
        score = analysis.score
        rows.append({"score": score.score, "raw": score.raw, "category": score.category, "hits": hits,
                     "indicators": indicators})
    return rows


def write_dataset(folder: Path, posts: list[str], names: list[str | None], files: int = 2) -> None:
    """The posts as a dataset of `files` Parquet files with small row groups (several parts each)."""
    folder.mkdir()
    size = -(-len(posts) // files)
    for number in range(files):
        piece = slice(number * size, (number + 1) * size)
        ids = [f"post-{i}" for i in range(len(posts))][piece]
        table = pa.table({"post_id": ids, "body": posts[piece], "title": names[piece],
                          "link": [f"https://www.facebook.com/cruces{i % 7}/posts/{9000 + i}" for i in range(len(posts))][piece]})
        pq.write_table(table, folder / f"part-{number}.parquet", row_group_size=300)


def read_tags(out: Path) -> list[dict]:
    """One dict per post: its tags row with its hits and indicators rows as lists (in file order)."""
    rows = pq.read_table(out / "tags").to_pylist()
    by_key = {(r["source"], r["row"]): dict(r, hits=[], indicators=[], hit_count=r["hits"], indicator_count=r["indicators"])
              for r in rows}
    for table in ("hits", "indicators"):
        for row in pq.read_table(out / table).to_pylist():
            by_key[row.pop("source"), row.pop("row")][table].append(row)
    for post in by_key.values():
        assert (len(post["hits"]), len(post["indicators"])) == (post.pop("hit_count"), post.pop("indicator_count"))
    return list(by_key.values())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    posts = make_posts(2400)
    rng = random.Random(5)
    names = [rng.choice(["Cruces seguros", "viajes", None, None, "Bienes raíces"]) for _ in posts]
    folder = tmp_path_factory.mktemp("ds") / "posts"
    write_dataset(folder, posts, names)
    return folder, posts, names


@pytest.mark.slow
def test_tags_equal_tagging_the_same_posts_in_one_process(invoke, dataset, tmp_path):
    folder, posts, names = dataset
    out = tmp_path / "out"
    result = invoke("tag", folder, "--out", out, "--text-col", "body", "--name-col", "title", "--id-col", "post_id",
                    "--url-col", "link", "--part-rows", "500", *THREADS)
    assert result.exit_code == 0, result.output
    rows = read_tags(out)
    manifest = json.loads((out / "_toolkit_tag.json").read_text())
    assert len(manifest["parts"]) == 4  # row groups of 300, parts of at least 500 rows, two files
    # Parts finish in any order; the dataset lists them by file and row.
    rows.sort(key=lambda r: (r["source"], r["row"]))
    assert [r["id"] for r in rows] == [f"post-{i}" for i in range(len(posts))]
    assert [r["row"] for r in rows] == list(range(1200)) * 2
    expected = reference_rows(posts, names)
    for row, want in zip(rows, expected, strict=True):
        got = {k: row[k] for k in ("score", "raw", "category", "hits", "indicators")}
        assert got == want, row["id"]
    # The data exercised every kind of output.
    assert sum(bool(r["hits"]) for r in rows) > 500
    assert {i["type"] for r in rows for i in r["indicators"]} >= {"phone", "whatsapp", "price", "place", "telegram"}
    assert any(h["field"] == "name" for r in rows for h in r["hits"])
    assert len({r["category"] for r in rows}) >= 4


def test_provenance_is_recorded_beside_and_inside_the_dataset(invoke, dataset, tmp_path):
    folder, _posts, _names = dataset
    out = tmp_path / "out"
    result = invoke("tag", folder, "--out", out, "--text-col", "body", "--id-col", "post_id", "--url-col", "link",
                    "-l", "smuggling_offer", "-l", "places", *THREADS)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "_toolkit_tag.json").read_text())
    lexicons = resolve(["smuggling_offer", "places"])
    idents = sorted(f"{lex.ident}#{lex.digest}" for lex in lexicons)
    assert manifest["format"] == "toolkit-tag" and manifest["complete"] is True
    assert manifest["lexicon_signature"] == idents
    assert manifest["engine"]["name"] == "dask.distributed" and manifest["engine"]["dask"]
    assert manifest["engine"]["workers"] == 2
    assert manifest["counts"]["posts"] == 2400
    assert manifest["input"]["columns"]["text"] == ["body"]
    tagger = Tagger(lexicons)
    assert manifest["matchers"] == [tagger.matcher.engine.name]
    from toolkit.tagjob.parts import sha256_of

    for part in manifest["parts"]:
        assert set(part["files"]) == {"tags", "hits", "indicators"}
        for table in part["files"].values():
            path = out / table["file"]
            assert sha256_of(path) == table["sha256"]
            meta = json.loads(pq.read_schema(path).metadata[METADATA_KEY])
            assert meta["run"] == manifest["run"] and meta["lexicons"] == tagger.idents
            assert meta["matcher"] == tagger.matcher.engine.name and meta["source"] == part["source"]
    header = json.loads((out / "candidates.ndjson").read_text().splitlines()[0])
    assert header["format"] == "toolkit-tag-candidates" and header["run"] == manifest["run"]
    assert header["lexicons"] == idents


def test_candidates_import_into_a_case_with_scan(invoke, dataset, tmp_path, case):
    folder, posts, _names = dataset
    out = tmp_path / "out"
    # Tagged with the case's lexicons and offer model, as the case will tag the candidates again.
    result = invoke("tag", folder, "--out", out, "--text-col", "body", "--id-col", "post_id", "--url-col", "link",
                    "--keep-col", "title", "--min-score", "40", "--case", case, *THREADS)
    assert result.exit_code == 0, result.output
    lines = (out / "candidates.ndjson").read_text().splitlines()
    candidates = [json.loads(line) for line in lines[1:]]
    tags = {r["id"]: r for r in read_tags(out)}
    assert len(candidates) == sum(1 for r in tags.values() if r["score"] >= 40) > 20
    for candidate in candidates:
        assert candidate["score"] == tags[candidate["id"]]["score"] >= 40
        assert candidate["text"] == posts[int(candidate["id"].split("-")[1])]

    result = invoke("scan", case, out / "candidates.ndjson")
    assert result.exit_code == 0, result.output
    assert "tag-candidates" in result.output
    items = json.loads(invoke("items", case, "--format", "json").stdout)
    assert sorted(i["url"] for i in items) == sorted(c["url"] for c in candidates)
    assert {i["platform"] for i in items} == {"facebook"} and {i["kind"] for i in items} == {"post"}
    # The case tags them again with its own (the same) lexicons and model: the same scores.
    by_url = {c["url"]: c for c in candidates}
    assert all(i["score"] == by_url[i["url"]]["score"] for i in items)
    # Each capture keeps what tagged it in the dataset run.
    header = json.loads(lines[0])
    import sqlite3

    with sqlite3.connect(case / "case.db") as db:
        fields = [json.loads(f) for (f,) in db.execute("SELECT fields FROM capture")]
    assert len(fields) == len(candidates)
    assert all(f["tag_run"] == header["run"] and f["tag_lexicons"] == header["lexicons"] for f in fields)
    assert all(f["tag_score"] >= 40 and f["dataset_id"].startswith("post-") for f in fields)
    assert any("dataset_title" in f for f in fields)  # the kept column (absent where the cell was empty)


def test_an_existing_output_is_never_overwritten(invoke, dataset, tmp_path):
    folder, _posts, _names = dataset
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("tag", folder, "--out", out, "--text-col", "body", "--id-col", "post_id", *THREADS)
    assert result.exit_code == 2
    assert "already exists" in result.output


def test_columns_must_be_named_when_no_preset_knows_them(invoke, dataset, tmp_path):
    folder, _posts, _names = dataset
    result = invoke("tag", folder, "--out", tmp_path / "out", *THREADS)
    assert result.exit_code == 2
    assert "--text-col" in result.output and "'body'" in result.output
    result = invoke("tag", folder, "--out", tmp_path / "out", "--text-col", "texto", "--id-col", "post_id", *THREADS)
    assert result.exit_code == 2 and "no column 'texto'" in result.output
    assert not (tmp_path / "out").exists()


def test_without_the_extra_tag_says_how_to_install_it(invoke, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    result = invoke("tag", tmp_path, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "pip install 'toolkit[distributed]'" in result.output and "pyarrow" in result.output


# --- known exports --------------------------------------------------------------------------


def _keys(invoke, case: Path) -> set[tuple[str, str, str]]:
    items = json.loads(invoke("items", case, "--format", "json").stdout)
    return {(i["platform"], i["kind"], i["key"]) for i in items}


@pytest.mark.parametrize("fixture", ["crowdtangle/pages.csv", "crowdtangle/instagram.csv", "mcl/mcl_facebook_posts.csv",
                                     "zeeschuimer/mixed.ndjson"])
def test_known_exports_need_no_columns_and_their_candidates_are_the_items_scan_makes(invoke, fixture, tmp_path):
    """A preset is detected; every post is a candidate (--min-score 0), and scanning the candidates
    after the export itself adds no new item: the same identities."""
    source = FIXTURES / fixture
    out = tmp_path / "out"
    result = invoke("tag", source, "--out", out, "--min-score", "0", *THREADS)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "_toolkit_tag.json").read_text())
    assert manifest["input"]["preset"] == fixture.split("/")[0].replace("crowdtangle", "crowdtangle-csv")
    assert manifest["candidates"]["count"] > 0
    case = tmp_path / "case"
    assert invoke("init", case).exit_code == 0
    assert invoke("scan", case, source).exit_code == 0
    before = _keys(invoke, case)
    result = invoke("scan", case, out / "candidates.ndjson")
    assert result.exit_code == 0, result.output
    assert _keys(invoke, case) == before


def _dsa_csv(rows: list[dict[str, str]]) -> bytes:
    # The full dump's columns, in its order (the transparency database's daily CSV export).
    header = ["uuid", "decision_visibility", "decision_visibility_other", "end_date_visibility_restriction",
              "decision_monetary", "decision_monetary_other", "end_date_monetary_restriction", "decision_provision",
              "end_date_service_restriction", "decision_account", "end_date_account_restriction", "account_type",
              "decision_ground", "decision_ground_reference_url", "illegal_content_legal_ground",
              "illegal_content_explanation", "incompatible_content_ground", "incompatible_content_explanation",
              "incompatible_content_illegal", "category", "category_addition", "category_specification",
              "category_specification_other", "content_type", "content_type_other", "content_language",
              "content_date", "content_id_ean", "territorial_scope", "application_date", "decision_facts",
              "source_type", "source_identity", "automated_detection", "automated_decision", "platform_name",
              "platform_uid", "created_at"]
    out = io.StringIO()
    import csv

    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode()


def test_a_dsa_daily_dump_zip_of_zips_is_read_part_by_part(invoke, tmp_path):
    """Synthetic statements of reasons in the dumps' shape: an outer zip holding zips of CSV parts."""
    def statement(number: int, facts: str, platform: str) -> dict[str, str]:
        return {"uuid": f"0000-{number:04d}", "decision_visibility": '["DECISION_VISIBILITY_CONTENT_REMOVED"]',
                "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT", "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
                "incompatible_content_explanation": "Content violates the community standards", "decision_facts": facts,
                "content_type": '["CONTENT_TYPE_TEXT"]', "content_date": "2024-05-01 00:00:00", "platform_name": platform,
                "platform_uid": f"{platform.lower()}-{number}", "created_at": "2024-05-02 08:00:00",
                "territorial_scope": '["ES","FR"]', "automated_detection": "Yes", "automated_decision": "AUTOMATED_DECISION_FULLY"}
    facts = ["Cruce seguro a USA sin papeles, pago al llegar, salidas cada semana. WhatsApp +52 55 5555 0101",
             "Vendo cristal y perico, entrega a domicilio", "Spam link to an online shop", "Hate speech in a comment"]
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in range(2):
            rows = [statement(part * 100 + i, facts[i % len(facts)], ["Facebook", "TikTok"][i % 2]) for i in range(40)]
            archive.writestr(f"sor-global-2024-05-02-full-00000-{part:05d}.csv", _dsa_csv(rows))
    dump = tmp_path / "sor-global-2024-05-02-full.zip"
    with zipfile.ZipFile(dump, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("sor-global-2024-05-02-full-00000.csv.zip", inner.getvalue())
        rows = [statement(900 + i, facts[i % 2], "Instagram") for i in range(6)]
        archive.writestr("sor-global-2024-05-02-full-00001.csv", _dsa_csv(rows))
    out = tmp_path / "out"
    result = invoke("tag", dump, "--out", out, *THREADS)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "_toolkit_tag.json").read_text())
    assert manifest["input"]["preset"] == "dsa-sor" and manifest["counts"]["posts"] == 86
    assert [p["source"].split("!", 1)[1] for p in manifest["parts"]] == [
        "sor-global-2024-05-02-full-00000.csv.zip", "sor-global-2024-05-02-full-00001.csv"]
    sources = {r["source"].split("!", 1)[1] for r in read_tags(out)}
    assert sources == {"sor-global-2024-05-02-full-00000.csv.zip!sor-global-2024-05-02-full-00000-00000.csv",
                       "sor-global-2024-05-02-full-00000.csv.zip!sor-global-2024-05-02-full-00000-00001.csv",
                       "sor-global-2024-05-02-full-00001.csv"}
    candidates = [json.loads(line) for line in (out / "candidates.ndjson").read_text().splitlines()[1:]]
    assert candidates and all(c["text"].startswith(("Cruce seguro", "Vendo cristal")) for c in candidates)
    assert candidates[0]["fields"]["platform_name"] in {"Facebook", "TikTok"}
    # Both text columns, joined by a blank line.
    assert candidates[0]["text"].endswith("\n\nContent violates the community standards")
    case = tmp_path / "case"
    assert invoke("init", case).exit_code == 0
    assert invoke("scan", case, out / "candidates.ndjson").exit_code == 0
    keys = _keys(invoke, case)
    assert len(keys) == len(candidates)
    assert all(platform == "generic" and kind == "post" and key.startswith("dsa-sor:0000-") for platform, kind, key in keys)


# --- bad input --------------------------------------------------------------------------------


def test_bad_rows_are_counted_and_an_unreadable_file_is_named_while_the_rest_goes_on(invoke, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_bytes(b"id,texto\n1,cruce seguro a USA pago al llegar\n2,solo,de,mas\n3,\"\xff\xfe roto\"\n"
                                   b"4,\"una linea\npartida\"\n")
    (folder / "b.ndjson").write_bytes(b'{"id": "n1", "texto": "cruce seguro"}\nnot json\n[1, 2]\n{"id": "n2", "texto": 5}\n')
    (folder / "c.parquet").write_bytes(b"PAR1 this is not parquet")
    out = tmp_path / "out"
    result = invoke("tag", folder / "a.csv", folder / "b.ndjson", "--out", out, "--text-col", "texto", "--id-col", "id",
                    "--local-mode", "threads", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "wrong-cell-count" in result.output and "not-json" in result.output and "not-utf8" in result.output
    rows = sorted(read_tags(out), key=lambda r: (r["source"], r["row"]))
    assert [r["id"] for r in rows] == ["1", "3", "4", "n1", "n2"]
    manifest = json.loads((out / "_toolkit_tag.json").read_text())
    assert manifest["failures"]["wrong-cell-count"]["where"].endswith("a.csv: row 3")
    assert manifest["failures"]["not-json"]["where"].endswith("b.ndjson:2")

    # A file that cannot be read at all is named; the other parts are tagged and kept.
    out = tmp_path / "out2"
    result = invoke("tag", folder / "a.csv", folder / "c.parquet", "--out", out, "--text-col", "texto", "--id-col", "id",
                    *THREADS)
    assert result.exit_code == 1
    assert "c.parquet: not a readable Parquet file" in " ".join(result.output.split())
    manifest = json.loads((out / "_toolkit_tag.json").read_text())
    assert manifest["complete"] is False and manifest["failed_parts"][0]["source"].endswith("c.parquet")
    assert manifest["counts"]["posts"] == 3
    assert (folder / "c.parquet").read_bytes() == b"PAR1 this is not parquet"  # inputs are never modified


@pytest.mark.slow
def test_worker_processes_give_the_same_tags_as_threads(invoke, tmp_path):
    """The default local mode: worker processes (the tagger is rebuilt in each from the lexicons)."""
    posts = make_posts(600, seed=3)
    folder = tmp_path / "posts"
    write_dataset(folder, posts, [None] * len(posts), files=2)
    outs = []
    for mode in ("processes", "threads"):
        out = tmp_path / mode
        result = invoke("tag", folder, "--out", out, "--text-col", "body", "--id-col", "post_id", "--url-col", "link",
                        "--local-mode", mode, "--workers", "2", "--quiet")
        assert result.exit_code == 0, result.output
        outs.append(sorted(read_tags(out), key=lambda r: (r["source"], r["row"])))
    assert outs[0] == outs[1]


@pytest.mark.slow
def test_scanning_candidates_loads_neither_dask_nor_pyarrow(invoke, dataset, tmp_path):
    from test_cli_lazy import NOT_FOR_SCAN, _modules_after

    folder, _posts, _names = dataset
    out = tmp_path / "out"
    assert invoke("tag", folder, "--out", out, "--text-col", "body", "--id-col", "post_id", *THREADS).exit_code == 0
    case = tmp_path / "case"
    _modules_after("init", str(case))
    loaded = _modules_after("scan", "--quiet", str(case), str(out / "candidates.ndjson"))
    assert "toolkit.sources.tag_candidates" in loaded
    assert [m for m in loaded if m.startswith(NOT_FOR_SCAN)] == []


def test_a_staging_folder_left_by_an_interrupted_run_is_cleared_and_a_foreign_one_refused(invoke, dataset, tmp_path):
    folder, _posts, _names = dataset
    out = tmp_path / "out"
    staging = tmp_path / ".out.partial"
    (staging / "tags").mkdir(parents=True)
    (staging / "tags" / "part-00000.parquet.tmp").write_bytes(b"half written")
    (staging / "_toolkit_tag_partial").write_text("")
    result = invoke("tag", folder, "--out", out, "--text-col", "body", "--id-col", "post_id", *THREADS)
    assert result.exit_code == 0, result.output
    assert not staging.exists() and sorted(p.name for p in out.iterdir()) == [
        "_toolkit_tag.json", "candidates.ndjson", "hits", "indicators", "tags"]
    assert not list(out.rglob("*.tmp"))

    mine = tmp_path / ".other.partial"
    mine.mkdir()
    (mine / "notes.txt").write_text("not toolkit's")
    result = invoke("tag", folder, "--out", tmp_path / "other", "--text-col", "body", "--id-col", "post_id", *THREADS)
    assert result.exit_code == 2 and "was not made by toolkit tag" in result.output
    assert (mine / "notes.txt").read_text() == "not toolkit's"


def test_a_file_forced_as_candidates_without_their_header_is_refused_with_the_reason(invoke, case, tmp_path):
    wrong = tmp_path / "posts.ndjson"
    wrong.write_text('{"id": "1", "text": "cruce seguro"}\n')
    result = invoke("scan", case, wrong, "--format", "tag-candidates")
    assert result.exit_code == 1
    assert "not the header `toolkit tag` writes" in " ".join(result.output.split())
    newer = tmp_path / "newer.ndjson"
    newer.write_text('{"format":"toolkit-tag-candidates","version":99}\n{"id":"1","url":"https://t.me/a/1"}\n')
    result = invoke("scan", case, newer)
    assert result.exit_code == 1 and "made by a newer toolkit" in result.output


@pytest.mark.slow
def test_a_flooded_post_says_what_was_found_past_the_bounds(invoke, tmp_path):
    # The same "capped" entries the scan puts in the score's explanation (docs/lexicons.md, "Bounds"):
    # without them, the tables would hold 50 hits of a term written 2,000 times and not say so.
    flood = "coyote " * 2000 + "wa.me/5215512345678 " * 60
    folder = tmp_path / "posts"
    write_dataset(folder, ["Cruzamos sin papeles", flood], [None, None], files=1)
    out = tmp_path / "out"
    result = invoke("tag", folder, "--out", out, "--text-col", "body", "--name-col", "title", "--id-col", "post_id",
                    "--url-col", "link", "--min-score", "0", *THREADS)
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in read_tags(out)}
    assert rows["post-0"]["capped"] is None
    capped = json.loads(rows["post-1"]["capped"])
    explanation = json.loads(Tagger(resolve(["default"])).tag_rows([(1, 1, None, flood)]).scores[0][5])
    assert capped == explanation["capped"]
    assert {(e.get("hit") or e.get("indicator"), e["found"], e["stored"]) for e in capped} == {
        ("coyote", 2000, 50), ("whatsapp", 60, 50)}
    assert sum(h["term"] == "coyote" for h in rows["post-1"]["hits"]) == 50
    lines = (out / "candidates.ndjson").read_bytes().splitlines()[1:]
    assert [json.loads(line).get("capped") for line in lines] == [None, capped]
