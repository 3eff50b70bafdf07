"""A recheck run planned from the command's flags (toolkit.recheck.plan), before the case is touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.case import open_case
from toolkit.errors import UsageError
from toolkit.models import Method
from toolkit.recheck.fetch import FetchFlags, FetchOptions
from toolkit.recheck.plan import RecheckPlan, wayback_stamp


def test_the_method_follows_the_flags():
    assert RecheckPlan.from_flags(wave="w").method == Method.LIVE
    assert RecheckPlan.from_flags(paths=["a.csv"], wave="w").method == Method.EXPORT
    assert RecheckPlan.from_flags(manual=True, wave="w").method == Method.MANUAL
    assert RecheckPlan.from_flags(method="Wayback", wave="w").method == Method.WAYBACK
    plan = RecheckPlan.from_flags(paths=["a.csv"], observed_at="2021-05-17", wave=" w1 ")
    assert (plan.wave, plan.paths, plan.collected_at[:10]) == ("w1", ("a.csv",), "2021-05-17")


@pytest.mark.parametrize(("flags", "message"), [
    ({"paths": ["a.csv"], "manual": True}, "PATH and --manual are separate ways to recheck"),
    ({"live": True, "wayback": True}, "--live and --wayback are separate ways to recheck"),
    ({"save": True}, "--save works with --wayback only"),
    ({"logged_out": True}, "--logged-out works with --method browser only"),
    ({"at": "2021-05-17"}, "--at works with --manual only"),
    ({"observed_at": "2021-05-17"}, "--observed-at works with exports"),
    ({"method": "export"}, "--method: unknown method 'export'"),
    ({"wave": "  "}, "--wave must not be empty"),
])
def test_flags_that_do_not_make_one_run_are_refused(flags, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        RecheckPlan.from_flags(**flags)


def test_fetch_options_merge_case_toml_and_flags(case: Path):
    toml = case / "case.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('cookies = ""', 'cookies = "session/cookies.txt"', 1).replace("retries = 3", "retries = 7", 1)
    toml.write_text(text, encoding="utf-8")
    with open_case(case) as opened:
        from_case = FetchOptions.for_case(opened)
        flagged = FetchOptions.for_case(opened, FetchFlags(retries=1, max_body_mb=0.5, interval=0.25))
    # A relative path in case.toml is relative to the case folder, wherever the command runs.
    assert from_case.cookies == str(case / "session" / "cookies.txt")
    assert from_case.retries == 7
    assert (flagged.retries, flagged.max_body_bytes, flagged.per_host_interval) == (1, 512 * 1024, 0.25)
    assert flagged.cookies == from_case.cookies  # a flag left out leaves case.toml's value


def test_wayback_stamp():
    assert wayback_stamp(None) is None
    assert wayback_stamp("2021-05-17T10:20:30Z") == "20210517102030"
