"""The review screen driven through its real key handling, the review sheet round trip, and conflicts."""

from __future__ import annotations

import csv
import io
import os
import select
import sqlite3
import subprocess
import sys
import termios
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from review_data import populate
from rich.console import Console

from toolkit.case import open_case
from toolkit.cli.keys import StreamKeys, TtyKeys
from toolkit.cli.review_screen import highlighted, run_screen
from toolkit.cohort.session import ReviewSession
from toolkit.cohort.sheet import import_sheet

URLS = {"cruceseguro": "https://www.facebook.com/CruceSeguro", "viajesnorte": "facebook.com/groups/ViajesNorte",
        "noticias": "https://m.facebook.com/NoticiasFrontera/", "recetas": "https://www.facebook.com/RecetasPollo?ref=share"}


def reviews(case, reviewer=None):
    conn = sqlite3.connect(case / "case.db")
    sql = "SELECT item_id, verdict, category, reviewer, note, origin FROM review"
    rows = conn.execute(sql + (" WHERE reviewer = ?" if reviewer else "") + " ORDER BY id", (reviewer,) if reviewer else ())
    out = rows.fetchall()
    conn.close()
    return out


@pytest.fixture
def ids(case):
    # These tests walk every candidate (their scores are 1-10): the threshold has its own tests below.
    toml = case / "case.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("min_score = 20", "min_score = 0"), encoding="utf-8")
    return populate(case)


# --- the screen -----------------------------------------------------------------------------------

def test_screen_walks_by_score_and_resumes_after_quit(invoke, case, ids):
    result = invoke("review", case, "--reviewer", "ana", input="v2nq")
    assert result.exit_code == 0, result.output
    assert "Candidate 1 of 5" in result.output and "Cruce Seguro USA" in result.output
    assert "Stopped at candidate 3 of 5: 2 verdicts given (1 not_violating, 1 violating), all saved." in result.output
    assert reviews(case) == [
        (ids["cruceseguro"], "violating", "smuggling_offer", "ana", None, "screen"),
        (ids["viajesnorte"], "not_violating", "smuggling_solicitation", "ana", None, "screen"),
    ]
    # Run again: the session starts at the first candidate ana has not answered (the TikTok video, score 5).
    again = invoke("review", case, "--reviewer", "ana", input="u")
    assert again.exit_code == 0, again.output
    assert "Candidate 1 of 3" in again.output
    assert f"#{ids['tiktok']} cruce" in again.output
    assert reviews(case)[-1] == (ids["tiktok"], "unsure", "smuggling_offer", "ana", None, "screen")
    # Another reviewer still sees all five.
    other = invoke("review", case, "--reviewer", "luis", input="q")
    assert "Candidate 1 of 5" in other.output


def test_end_of_input_is_a_quit_and_nothing_answered_is_lost(invoke, case, ids):
    result = invoke("review", case, "--reviewer", "ana", input="vn")
    assert result.exit_code == 0, result.output
    assert "Stopped at candidate 3 of 5" in result.output
    assert len(reviews(case)) == 2


def test_each_verdict_is_committed_before_the_next_key(case, ids):
    seen_by_other_connection = []

    class Watching(StreamKeys):
        def key(self):
            other = sqlite3.connect(case / "case.db")
            seen_by_other_connection.append(other.execute("SELECT count(*) FROM review").fetchone()[0])
            other.close()
            return super().key()

    with open_case(case) as opened:
        session = ReviewSession(opened.db, list(ids.values()), "ana", lambda: "2021-04-12T09:00:00Z")
        finished = run_screen(session, Watching(io.StringIO("vvn")), Console(file=io.StringIO()))
    assert not finished
    assert seen_by_other_connection == [0, 1, 2, 3]


def test_ctrl_c_quits_and_keeps_answers(case, ids):
    class Interrupting(StreamKeys):
        def key(self):
            k = super().key()
            if k == "!":
                raise KeyboardInterrupt
            return k

    with open_case(case) as opened:
        session = ReviewSession(opened.db, list(ids.values()), "ana", lambda: "2021-04-12T09:00:00Z")
        assert run_screen(session, Interrupting(io.StringIO("v!v")), Console(file=io.StringIO())) is False
    assert [r[1] for r in reviews(case)] == ["violating"]


def test_back_skip_note_category_and_help(invoke, case, ids):
    keys = "s" + "3cpago al llegar, pide WhatsApp\nv" + "b" + "n" + "x?" + "q"
    result = invoke("review", case, "--reviewer", "ana", input=keys)
    assert result.exit_code == 0, result.output
    assert "unknown key 'x': press ? for help" in result.output
    assert "1 smuggling_offer" in result.output and "q quit (answers so far are saved" in result.output
    assert reviews(case) == [
        (ids["viajesnorte"], "violating", "smuggling_information", "ana", "pago al llegar, pide WhatsApp", "screen"),
        # Back to the same candidate: a new verdict is appended; the suggestion is not kept for not_violating.
        (ids["viajesnorte"], "not_violating", None, "ana", None, "screen"),
    ]
    # The skipped candidate comes first next time.
    again = invoke("review", case, "--reviewer", "ana", input="q")
    assert "#1 Cruce Seguro USA" in again.output


def test_screen_shows_history_and_earlier_verdicts(invoke, case, ids):
    conn = sqlite3.connect(case / "case.db")
    conn.execute("INSERT INTO wave(name, started_at) VALUES ('w1', '2021-05-17T00:00:00Z')")
    conn.execute("INSERT INTO \"check\"(item_id, wave_id, observed_at, method, status, reason) VALUES (?, 1, '2021-05-17T10:00:00Z', 'live', 'available', 'marker')",
                 (ids["cruceseguro"],))
    conn.execute("INSERT INTO indicator(capture_id, item_id, type, value) VALUES (1, ?, 'phone', '+525555550101')", (ids["cruceseguro"],))
    conn.execute("INSERT INTO review(item_id, verdict, category, reviewer, reviewed_at, note) VALUES (?, 'unsure', NULL, 'luis', '2021-04-11T00:00:00Z', 'ver precio')",
                 (ids["cruceseguro"],))
    conn.commit()
    conn.close()
    result = invoke("review", case, "--reviewer", "ana", input="q")
    out = result.output
    for expected in ("facebook page", "https://www.facebook.com/cruceseguro", "followers 12,400", "created 2020-12-28",
                     "indicators: phone +525555550101", "score: 9.50 · suggests smuggling_offer", "cruce seguro + pago al llegar",
                     "checks: 2021-05-17 live available (marker)", "earlier verdicts: 2021-04-11 luis unsure “ver precio”",
                     "hits: cruce seguro [smuggling_offer], pago al llegar [smuggling_offer]"):
        assert expected in out, expected


def test_filters(invoke, case, ids):
    def first_screen(*options):
        return invoke("review", case, "--reviewer", "ana", *options, input="q").output

    assert "Candidate 1 of 2" in first_screen("--min-score", "6")
    assert "of 1 ·" in first_screen("--platform", "tiktok") and "tiktok video" in first_screen("--platform", "tiktok")
    assert "#2 Viajes Norte" in first_screen("--kind", "group")
    assert "#3 Noticias Frontera" in first_screen("--category", "smuggling_information")
    invoke("review", case, "--reviewer", "ana", "--min-score", "6", input="vv")
    assert "No candidates to review that ana has not answered yet (--all to see them again)" in first_screen("--min-score", "6")
    assert "Candidate 1 of 2" in first_screen("--min-score", "6", "--all")
    bad = invoke("review", case, "--category", "coyotes")
    assert bad.exit_code == 2


def test_highlight_marks_hit_spans_only_where_they_fit():
    text = "Cruce seguro a USA, pago al llegar"
    hits = [{"field": "text", "start": 0, "end": 12}, {"field": "text", "start": 20, "end": 34},
            {"field": "name", "start": 0, "end": 5}, {"field": "text", "start": 30, "end": 99}]
    shown = highlighted(text, hits, "text")
    assert [(s.start, s.end) for s in shown.spans] == [(0, 12), (20, 34)]
    cut = highlighted(text, hits, "text", limit=25)
    assert [(s.start, s.end) for s in cut.spans][:2] == [(0, 12), (20, 25)]
    assert cut.plain.endswith("… (9 more characters)")


def test_tty_keys_read_raw_keys_from_a_real_terminal():
    master, slave = os.openpty()
    try:
        before = termios.tcgetattr(slave)
        with TtyKeys(slave) as keys:
            assert not termios.tcgetattr(slave)[3] & termios.ICANON  # cbreak: no line buffering
            os.write(master, "v\r\x1b[D\x1b[Cñ".encode())
            assert [keys.key(), keys.key(), keys.key(), keys.key()] == ["v", "left", "right", "ñ"]
            os.write(master, b"pago al llegar\n")
            assert keys.line() == "pago al llegar"
            os.write(master, b"q")
            assert keys.key() == "q"
        assert termios.tcgetattr(slave)[3] == before[3]
    finally:
        os.close(master)
        os.close(slave)


# --- the spreadsheet round trip ------------------------------------------------------------------

def spreadsheet_save(path, rows):
    """Write rows the way a spreadsheet program in a Spanish locale saves CSV: BOM, ';', CRLF."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def test_export_then_import_a_sheet_saved_by_a_spreadsheet(invoke, case, ids, tmp_path):
    sheet = tmp_path / "candidates.csv"
    result = invoke("review", case, "--reviewer", "ana", "--export", sheet)
    assert result.exit_code == 0, result.output
    assert "Wrote 5 candidates to" in result.output
    data = sheet.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["item_id"] for r in rows] == [str(ids[k]) for k in ("cruceseguro", "viajesnorte", "tiktok", "noticias", "recetas")]
    first = rows[0]
    assert first["score"] == "9.50" and first["suggested"] == "smuggling_offer" and first["categories"] == "smuggling_offer"
    assert first["excerpt"].startswith("Cruce seguro a USA") and first["verdict"] == ""
    # The researcher fills it in a spreadsheet (one row left blank) and saves it back.
    answers = {"cruceseguro": ("violating", "smuggling_offer", "precio y WhatsApp"), "viajesnorte": ("Violating", "", ""),
               "noticias": ("not violating", "smuggling_information", ""), "recetas": ("NOT-VIOLATING", "", "")}
    header = list(rows[0])
    filled = [header]
    for row in rows:
        key = next(k for k, v in ids.items() if str(v) == row["item_id"])
        verdict, category, note = answers.get(key, ("", "", ""))
        filled.append([*(row[c] for c in header[:-3]), verdict, category, note])
    spreadsheet_save(sheet, filled)
    imported = invoke("review", case, "--import", sheet, "--reviewer", "ana")
    assert imported.exit_code == 0, imported.output
    assert "4 verdicts applied as ana, 0 already applied, 1 rows without a verdict" in imported.output
    got = {r[0]: r[1:3] for r in reviews(case)}
    assert got == {ids["cruceseguro"]: ("violating", "smuggling_offer"), ids["viajesnorte"]: ("violating", None),
                   ids["noticias"]: ("not_violating", "smuggling_information"), ids["recetas"]: ("not_violating", None)}
    origins = [r[5] for r in reviews(case)]
    assert all(o.count(":") == 1 and len(o.split(":")[0]) == 64 for o in origins)
    # The same file again: nothing applied twice.
    again = invoke("review", case, "--import", sheet, "--reviewer", "ana")
    assert "0 verdicts applied as ana, 4 already applied" in again.output
    assert len(reviews(case)) == 4


def test_bad_rows_are_reported_by_line_and_valid_rows_applied(invoke, case, ids, tmp_path):
    sheet = tmp_path / "ana.csv"
    sheet.write_text(
        "item;verdict;category;note\r\n"
        f"{ids['cruceseguro']};violating;smuggling_offer;\r\n"
        "999;violating;;\r\n"
        f"{ids['viajesnorte']};maybe;;\r\n"
        f"{ids['noticias']};violating;coyotes;\r\n"
        f"{ids['cruceseguro']};not_violating;;\r\n"
        "https://m.facebook.com/groups/ViajesNorte/?fbclid=abc;unsure;;\r\n"
        ";violating;;\r\n"
        f"{ids['recetas']};violating;;\r\n",
        encoding="utf-8",
    )
    result = invoke("review", case, "--import", sheet, "--reviewer", "ana")
    assert result.exit_code == 1
    name = str(sheet)
    for line in (f"Error: {name}:3: unknown item '999'",
                 f"Error: {name}:4: unknown verdict 'maybe'; use violating, not_violating or unsure",
                 f"Error: {name}:5: unknown category 'coyotes'; use smuggling_offer, smuggling_solicitation, "
                 "smuggling_information, drug_sale, recruitment, extortion or other",
                 f"Error: {name}:6: duplicate row for item {ids['cruceseguro']} (first on line 2); skipped",
                 f"Error: {name}:8: no item id or URL",
                 "3 verdicts applied as ana, 0 already applied, 5 rows with problems",
                 "Fix those rows and import the file again: rows already applied are skipped."):
        assert line in result.output, line
    assert {r[0]: r[1] for r in reviews(case)} == {ids["cruceseguro"]: "violating", ids["viajesnorte"]: "unsure",
                                                   ids["recetas"]: "violating"}


def test_a_verdict_dated_in_the_future_is_refused(invoke, case, ids, tmp_path):
    """The latest verdict is the latest by `reviewed_at`: a typo'd year would outrank every verdict
    given until then, so such a row is refused by line (a day ahead is allowed: time zones)."""
    sheet = tmp_path / "ana.csv"
    tomorrow = (datetime.now(UTC) + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sheet.write_text("item,verdict,reviewed_at\n"
                     f"{ids['cruceseguro']},violating,2031-04-14\n"
                     f"{ids['viajesnorte']},unsure,{tomorrow}\n"
                     f"{ids['noticias']},not_violating,14/04/2021\n", encoding="utf-8")
    result = invoke("review", case, "--import", sheet, "--reviewer", "ana")
    assert result.exit_code == 1
    assert f"Error: {sheet}:2: reviewed_at 2031-04-14 is in the future (today is " in result.output
    assert (f"Error: {sheet}:4: not a date in reviewed_at: '14/04/2021'; use 2021-04-16 or "
            "2021-04-16T10:00-05:00") in result.output
    assert {r[0]: r[1] for r in reviews(case)} == {ids["viajesnorte"]: "unsure"}


def test_sheet_without_needed_columns(invoke, case, ids, tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_text("item_id,note\n1,x\n")
    result = invoke("review", case, "--import", sheet, "--reviewer", "ana")
    assert result.exit_code == 1
    assert f"Error: {sheet}:1: no verdict column" in result.output
    sheet.write_text("name,verdict\nx,violating\n")
    result = invoke("review", case, "--import", sheet, "--reviewer", "ana")
    assert f"Error: {sheet}:1: no item column (item, item_id, id or url)" in result.output
    sheet.write_text("\r\n\r\n")
    result = invoke("review", case, "--import", sheet, "--reviewer", "ana")
    assert f"Error: {sheet}: empty file" in result.output
    result = invoke("review", case, "--import", tmp_path / "missing.csv", "--reviewer", "ana")
    assert f"Error: {tmp_path / 'missing.csv'}: no such file" in result.output
    both = invoke("review", case, "--import", sheet, "--export", tmp_path / "out.csv")
    assert both.exit_code == 2
    assert "Error: --export and --import cannot be used together" in both.output


def test_conflicts_and_cohens_kappa(invoke, case, ids, tmp_path):
    order = ["cruceseguro", "viajesnorte", "noticias", "recetas"]
    ana = ["violating", "violating", "not_violating", "not_violating"]
    luis = ["violating", "not_violating", "not_violating", "not_violating"]
    for name, verdicts in (("ana", ana), ("luis", luis)):
        sheet = tmp_path / f"{name}.csv"
        sheet.write_text("url,verdict\n" + "".join(f"{URLS[k]},{v}\n" for k, v in zip(order, verdicts, strict=True)))
        assert invoke("review", case, "--import", sheet, "--reviewer", name).exit_code == 0
    result = invoke("review", case, "--conflicts", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "item_id,url,name,verdicts",
        # A cell holding ";" is quoted: a spreadsheet with ";" as list separator would split it.
        f'{ids["viajesnorte"]},https://www.facebook.com/groups/viajesnorte,Viajes Norte,"ana: violating; luis: not_violating"',
    ]
    # po = 3/4, pe = 2/4*1/4 + 2/4*3/4 = 1/2, kappa = (3/4 - 1/2) / (1 - 1/2) = 0.50
    assert "ana and luis: 4 items in common, 3 agreed (75%), Cohen's kappa 0.50 (95% CI" in result.stderr


def test_conflicts_with_one_reviewer(invoke, case, ids):
    invoke("review", case, "--reviewer", "ana", input="v")
    result = invoke("review", case, "--conflicts")
    assert result.exit_code == 0, result.output
    assert "Only 1 reviewer(s) in this case: nothing to compare" in result.output


def test_the_command_in_a_real_terminal(case, ids):
    """`toolkit review` on a pseudo-terminal: raw keys, screens redrawn, verdicts saved, terminal restored."""
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    proc = subprocess.Popen([sys.executable, "-m", "toolkit", "review", str(case), "--reviewer", "tty"],
                            stdin=slave, stdout=slave, stderr=slave, env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"})
    seen = b""

    def wait_for(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 20
        while text not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")[-2000:]
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                seen += os.read(master, 65536)

    after = None
    try:
        wait_for(b"Candidate 1 of 5")
        os.write(master, b"v")  # one key, no Enter: raw mode
        wait_for(b"Candidate 2 of 5")
        os.write(master, b"\x1b[D")  # left arrow: back
        wait_for(b"back")
        os.write(master, b"q")
        wait_for(b"Run the same command to continue")
        assert proc.wait(timeout=20) == 0
        after = termios.tcgetattr(slave)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
        os.close(slave)
    assert after is not None and after[3] == before[3]  # echo and line mode are back
    assert b"\x1b[2J" in seen or b"\x1b[H" in seen  # the screen is cleared between candidates
    assert reviews(case) == [(ids["cruceseguro"], "violating", "smuggling_offer", "tty", None, "screen")]


NOTE_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notes=st.lists(NOTE_TEXT, min_size=1, max_size=4), delimiter=st.sampled_from([",", ";", "\t"]),
       newline=st.sampled_from(["\n", "\r\n"]), bom=st.booleans(), verdict=st.sampled_from(["violating", "Not violating", "UNSURE"]))
def test_any_note_survives_any_spreadsheet_dialect(case, tmp_path, notes, delimiter, newline, bom, verdict):
    """Whatever a note holds (quotes, separators, line breaks, emoji), a saved sheet gives it back."""
    with open_case(case) as opened:
        empty = opened.db.execute("SELECT count(*) FROM item").fetchone()[0] == 0
    if empty:
        populate(case)
    reviewer = uuid.uuid4().hex  # a new reviewer per example: nothing was applied for them before
    buffer = io.StringIO()
    # Spreadsheet programs quote a cell holding a carriage return; Python's minimal quoting does
    # not when the line terminator is "\n", which would write a sheet no program would save.
    quoting = csv.QUOTE_ALL if any("\r" in note for note in notes) else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=newline, quoting=quoting)
    writer.writerow(["item_id", "verdict", "note"])
    for item_id, note in enumerate(notes, start=1):
        writer.writerow([item_id, verdict, note])
    sheet = tmp_path / "dialect.csv"
    sheet.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    with open_case(case) as opened:
        result = import_sheet(opened.db, sheet, reviewer, "2021-04-12T00:00:00Z")
    assert result.problems == []
    assert result.applied == len(notes)
    expected = [(i, "_".join(verdict.lower().split()), note.strip() or None) for i, note in enumerate(notes, start=1)]
    assert [(r[0], r[1], r[4]) for r in reviews(case, reviewer)] == expected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), probe=st.integers(1, 12), min_score=st.sampled_from([None, 2.0, 5.0]),
       platform=st.sampled_from([None, "facebook"]), unreviewed=st.booleans())
def test_the_head_of_a_large_list_is_exactly_its_start(tmp_path_factory, seed, probe, min_score, platform, unreviewed):
    """leading_candidates (the fast first screen) is always a prefix of the full candidate order,
    even with rescored items whose old scores were higher, ties, filters and reviews."""
    import random

    from toolkit.case import init_case
    from toolkit.store.reviews import CandidateFilter, candidate_ids, leading_candidates

    rng = random.Random(seed)
    root = tmp_path_factory.mktemp("head")
    with init_case(root / "c") as opened:
        db = opened.db
        for n in range(1, 31):
            db.execute("INSERT INTO item(id, platform, kind, key, added_at) VALUES (?, ?, 'page', ?, 'x')",
                       (n, rng.choice(["facebook", "tiktok"]), f"k{n}"))
            for _ in range(rng.randint(0, 3)):  # 0 rows: an unscored item
                db.execute("INSERT INTO score(item_id, lexicons, score, scored_at) VALUES (?, '[]', ?, 'x')",
                           (n, rng.choice([1.0, 3.0, 5.0, 7.0, 9.0])))
            if rng.random() < 0.3:
                db.execute("INSERT INTO review(item_id, verdict, reviewer, reviewed_at) VALUES (?, 'violating', 'ana', 'x')", (n,))
        where = CandidateFilter(min_score=min_score, platform=platform, unreviewed_by="ana" if unreviewed else None)
        full = candidate_ids(db, where)
        head = leading_candidates(db, where, probe=probe)
        assert head == full[: len(head)]


def test_fast_start_walks_the_whole_list(case, ids):
    from toolkit.cli.cmd_review import start_session
    from toolkit.store.reviews import CandidateFilter

    with open_case(case) as opened:
        session = start_session(opened.db, CandidateFilter(unreviewed_by="ana"), "ana", fast_start=0)
        assert session is not None and session.total is None
        screen = io.StringIO()
        assert run_screen(session, StreamKeys(io.StringIO("vnusv")), Console(file=screen, width=100)) is True
    out = screen.getvalue()
    assert "Candidate 1 of …" in out and "Candidate 2 of 5" in out and "Candidate 5 of 5" in out
    assert [r[0] for r in reviews(case)] == [ids[k] for k in ("cruceseguro", "viajesnorte", "tiktok", "recetas")]
