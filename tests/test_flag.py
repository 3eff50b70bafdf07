"""`toolkit flag`: notices by id or URL, from a spreadsheet CSV, and for the confirmed cohort; the
items filters that read them."""

from __future__ import annotations

import json
import sqlite3

import pytest
from review_data import populate


@pytest.fixture
def ids(case):
    return populate(case)


def notices(case):
    conn = sqlite3.connect(case / "case.db")
    rows = conn.execute("SELECT item_id, noticed_at, channel, reference, noticed_by, note FROM notice ORDER BY id").fetchall()
    conn.close()
    return rows


def review(case, item_id, verdict, reviewer="ana"):
    conn = sqlite3.connect(case / "case.db")
    conn.execute("INSERT INTO review(item_id, verdict, reviewer, reviewed_at) VALUES (?, ?, ?, '2021-04-12T00:00:00Z')",
                 (item_id, verdict, reviewer))
    conn.commit()
    conn.close()


def test_flag_items_by_id_and_url_with_a_local_time(invoke, case, ids):
    result = invoke("flag", case, str(ids["cruceseguro"]), "https://m.facebook.com/groups/ViajesNorte/?fbclid=x",
                    f"#{ids['cruceseguro']}", "--channel", "in_app", "--at", "2021-04-16T10:00-05:00",
                    "--reference", "FB-123", "--note", "reported as human exploitation", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert "2 notices recorded, 0 already recorded" in result.output
    assert notices(case) == [
        (ids["cruceseguro"], "2021-04-16T15:00:00Z", "in_app", "FB-123", "ana", "reported as human exploitation"),
        (ids["viajesnorte"], "2021-04-16T15:00:00Z", "in_app", "FB-123", "ana", "reported as human exploitation"),
    ]
    again = invoke("flag", case, str(ids["cruceseguro"]), "--channel", "in_app", "--at", "2021-04-16T15:00:00Z",
                   "--reference", "FB-123", "--by", "ana")
    assert "0 notices recorded, 1 already recorded" in again.output
    # Another channel on another day is a new notice: append-only.
    press = invoke("flag", case, str(ids["cruceseguro"]), "--channel", "press", "--at", "2021-04-20", "--by", "ana")
    assert "1 notices recorded" in press.output
    assert notices(case)[-1] == (ids["cruceseguro"], "2021-04-20T00:00:00Z", "press", None, "ana", None)


def test_flag_the_confirmed_cohort(invoke, case, ids):
    review(case, ids["cruceseguro"], "violating")
    review(case, ids["viajesnorte"], "violating")
    review(case, ids["viajesnorte"], "not_violating", "luis")  # the latest verdict counts
    review(case, ids["tiktok"], "violating")
    review(case, ids["noticias"], "unsure")
    invoke("flag", case, str(ids["tiktok"]), "--channel", "in_app", "--at", "2021-04-10", "--by", "ana")
    result = invoke("flag", case, "--cohort", "confirmed", "--channel", "platform_request", "--at", "2021-04-16",
                    "--reference", "list-1", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert "1 notices recorded, 0 already recorded" in result.output
    assert notices(case)[-1] == (ids["cruceseguro"], "2021-04-16T00:00:00Z", "platform_request", "list-1", "ana", None)
    again = invoke("flag", case, "--cohort", "confirmed", "--channel", "platform_request", "--at", "2021-04-16")
    assert again.exit_code == 0
    assert "No confirmed item is waiting for a notice" in again.output


def test_flag_from_a_spreadsheet_csv(invoke, case, ids, tmp_path):
    sheet = tmp_path / "notices.csv"
    sheet.write_bytes(b"\xef\xbb\xbf" + (
        "item;noticed_at;channel;reference;note\r\n"
        "https://www.facebook.com/CruceSeguro;2021-04-16;platform_request;TTP-list;\r\n"
        f"{ids['viajesnorte']};2021-04-16T10:00-05:00;;;lista entregada\r\n"
        "https://www.facebook.com/NoSuchPage;2021-04-16;in_app;;\r\n"
        f"{ids['noticias']};16/04/2021;in_app;;\r\n"
        f"{ids['recetas']};2021-04-16;carta;;\r\n"
        "https://m.facebook.com/CruceSeguro/;2021-04-16;Platform Request;TTP-list;\r\n"
        f"{ids['tiktok']};;in_app;;\r\n"
    ).encode())
    result = invoke("flag", case, "--from", sheet, "--channel", "dsa_notice", "--by", "ana")
    assert result.exit_code == 1
    name = str(sheet)
    for line in (f"Error: {name}:4: unknown item 'https://www.facebook.com/NoSuchPage'",
                 f"Error: {name}:5: not a date: '16/04/2021'; use 2021-04-16 or 2021-04-16T10:00-05:00",
                 f"Error: {name}:6: unknown channel 'carta'; use in_app, platform_request, dsa_notice, trusted_flagger, "
                 "press, law_enforcement or other",
                 f"Error: {name}:7: duplicate row for item {ids['cruceseguro']} (first on line 2); skipped",
                 f"Error: {name}:8: no date; add a noticed_at column or give --at",
                 f"{name}: 2 notices recorded, 0 already recorded, 5 rows with problems"):
        assert line in result.output, line
    assert notices(case) == [
        (ids["cruceseguro"], "2021-04-16T00:00:00Z", "platform_request", "TTP-list", "ana", None),
        (ids["viajesnorte"], "2021-04-16T15:00:00Z", "dsa_notice", None, "ana", "lista entregada"),
    ]
    # The options fill in what a file leaves out; importing again adds nothing already recorded.
    again = invoke("flag", case, "--from", sheet, "--channel", "dsa_notice", "--at", "2021-04-17", "--by", "ana")
    assert "1 notices recorded, 2 already recorded, 4 rows with problems" in again.output
    assert notices(case)[-1] == (ids["tiktok"], "2021-04-17T00:00:00Z", "in_app", None, "ana", None)


def test_flag_file_without_item_column(invoke, case, ids, tmp_path):
    sheet = tmp_path / "n.csv"
    sheet.write_text("name,channel\nx,in_app\n")
    result = invoke("flag", case, "--from", sheet, "--at", "2021-04-16")
    assert result.exit_code == 1
    assert f"Error: {sheet}:1: no item column (item, item_id, id or url)" in result.output


@pytest.mark.parametrize(("args", "code", "message"), [
    ((), 2, "Error: name the items to flag in one way: ITEM..., --from FILE.csv or --cohort confirmed"),
    (("1", "--cohort", "confirmed"), 2, "Error: name the items to flag in one way"),
    (("1",), 2, "Error: --channel and --at required: say how and when the platform was told"),
    (("1", "--channel", "in_app"), 2, "Error: --at required: say how and when the platform was told"),
    (("1", "--at", "2021-04-16"), 2, "Error: --channel required"),
    (("1", "--channel", "in_app", "--at", "16/04/2021"), 2, "Error: --at: not a date: '16/04/2021'"),
    (("77", "--channel", "in_app", "--at", "2021-04-16"), 1,
     "Error: unknown item '77': no item with this id or URL in the case\nList the case's items with: toolkit items CASE"),
    (("facebook.com/nadie", "--channel", "in_app", "--at", "2021-04-16"), 1, "Error: unknown item 'facebook.com/nadie'"),
    (("1", "--channel", "email", "--at", "2021-04-16"), 2,
     "Error: --channel: unknown channel 'email'\nUse one of: in_app, platform_request"),
])
def test_flag_usage_errors(invoke, case, ids, args, code, message):
    result = invoke("flag", case, *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert notices(case) == []


def test_items_filters_by_verdict_and_notice(invoke, case, ids):
    review(case, ids["cruceseguro"], "violating")
    review(case, ids["viajesnorte"], "violating")
    review(case, ids["noticias"], "not_violating")
    invoke("flag", case, str(ids["cruceseguro"]), "--channel", "platform_request", "--at", "2021-04-16")
    invoke("flag", case, str(ids["cruceseguro"]), "--channel", "press", "--at", "2021-04-18")

    def listed(*options):
        result = invoke("items", case, *options, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert [r["id"] for r in listed("--verdict", "violating")] == [ids["cruceseguro"], ids["viajesnorte"]]
    assert [r["id"] for r in listed("--verdict", "violating", "--not-noticed")] == [ids["viajesnorte"]]
    first = listed("--noticed")
    assert [(r["id"], r["verdict"], r["noticed_at"], r["channel"]) for r in first] == [
        (ids["cruceseguro"], "violating", "2021-04-16T00:00:00Z", "platform_request")]
    assert [r["id"] for r in listed("--channel", "press")] == [ids["cruceseguro"]]
    assert listed("--channel", "in_app") == []
    table = invoke("items", case, "--verdict", "violating", "--noticed")
    assert table.exit_code == 0, table.output
    assert "Cruce" in table.stdout and "Viajes" not in table.stdout


def test_example_case_cohort(invoke, tmp_path):
    """The shipped example: verdicts keyed by URL and the cohort handed over on 2021-04-16."""
    import shutil

    from conftest import ROOT

    example = tmp_path / "example"
    shutil.copytree(ROOT / "cases" / "example", example, ignore=shutil.ignore_patterns("case.db*", "evidence", "reports"))
    assert invoke("scan", example, example / "exports").exit_code == 0
    for _ in range(2):  # run.sh is safe to run again
        imported = invoke("review", example, "--import", example / "reviews.csv", "--reviewer", "example-reviewer")
        assert imported.exit_code == 0, imported.output
        flagged = invoke("flag", example, "--from", example / "notices.csv", "--by", "example-reviewer")
        assert flagged.exit_code == 0, flagged.output
    assert "0 verdicts applied as example-reviewer, 8 already applied" in imported.output
    assert "0 notices recorded, 5 already recorded" in flagged.output
    cohort = json.loads(invoke("items", example, "--verdict", "violating", "--format", "json").stdout)
    assert len(cohort) == 5
    assert {(r["noticed_at"], r["channel"]) for r in cohort} == {("2021-04-16T00:00:00Z", "platform_request")}
    assert json.loads(invoke("items", example, "--verdict", "violating", "--not-noticed", "--format", "json").stdout) == []
