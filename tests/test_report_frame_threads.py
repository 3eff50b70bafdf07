"""The case frame's reads on two connections (`frame.build_frame` with a twin): a thread reads the
waves and the check tally while this connection builds the cohort's tables, then the cohort's
checks once their ids are known. The frame is the one a single connection reads; an error while
the cohort is built ends the report with that error (the thread is not left waiting for ids)."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from report_builder import june_2021

from toolkit.case import open_case
from toolkit.report import frame as frame_module
from toolkit.report.frame import build_frame
from toolkit.store.db import read_snapshot

AS_OF = "2021-12-31T23:59:59Z"


def _frame(root, twin: bool):
    with open_case(root) as opened, read_snapshot(opened.db, twin=twin) as other:
        assert (other is not None) == twin
        return build_frame(opened.db, AS_OF, other)


def test_two_connections_read_the_frame_one_reads(tmp_path):
    root = june_2021(tmp_path / "case")
    one, two = _frame(root, twin=False), _frame(root, twin=True)
    for name in ("items", "waves", "checks", "audience", "frame"):
        assert getattr(two, name).equals(getattr(one, name)), name
    assert two.tally == one.tally


def test_an_error_building_the_cohort_ends_the_read(tmp_path, monkeypatch):
    root = june_2021(tmp_path / "case")

    def broken(conn):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(frame_module.q, "prepare_cohort", broken)
    outcome: list[BaseException] = []

    def run():
        try:
            _frame(root, twin=True)
        except BaseException as error:  # kept for the assertion below
            outcome.append(error)

    reading = threading.Thread(target=run, daemon=True)
    reading.start()
    reading.join(120)  # a guard against a hang, not a measure: it ends at once
    assert not reading.is_alive(), "the report waited for a cohort that never came"
    assert len(outcome) == 1 and isinstance(outcome[0], sqlite3.OperationalError)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _frame(root, twin=False)
