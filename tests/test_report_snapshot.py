"""A report reads one picture of the case: a recheck committing checks while the report is being
computed changes none of its numbers (the waves' counts, the methodology's check counts and the
stamp's row counts all leave the new check out), and the report can be made again afterwards. The
item listing (`toolkit items`) reads one picture too."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from report_builder import june_2021

from toolkit.case import open_case
from toolkit.errors import CaseError
from toolkit.report import build
from toolkit.store.db import transaction


def _another_process_adds_a_check(root):
    """What a recheck in another process does: its own connection, one transaction, sealed."""
    other = open_case(root)
    with transaction(other.db):
        other.db.execute('INSERT INTO "check"(item_id, wave_id, observed_at, method, status, detector)'
                         " VALUES (1, 1, '2021-05-17T16:00:00Z', 'live', 'unavailable', 'facebook-page@1')")
    other.db.close()


def _report(root):
    with open_case(root) as opened:
        return build.build_report(opened.db, opened.config, "2021-12-31T23:59:59Z")


def test_a_check_committed_while_the_report_reads_is_in_none_of_its_numbers(tmp_path, monkeypatch):
    root = june_2021(tmp_path / "case")
    clusters = build.networks.clusters

    def meanwhile(*args):  # after the case frame is read, before the methodology and the stamp
        _another_process_adds_a_check(root)
        return clusters(*args)

    monkeypatch.setattr(build.networks, "clusters", meanwhile)
    report = _report(root)
    assert (report.waves[0].counts.live, report.waves[0].counts.gone) == (19, 31)
    assert sum(row["checks"] for row in report.provenance["wave_checks"]) == 50
    assert report.stamp["tables"]["check"] == 50
    monkeypatch.undo()
    again = _report(root)  # the new check counts from the next report on (item 1 was live)
    assert (again.waves[0].counts.live, again.waves[0].counts.gone) == (18, 32)
    assert sum(row["checks"] for row in again.provenance["wave_checks"]) == 51
    assert again.stamp["tables"]["check"] == 51


def test_rows_written_without_a_seal_meanwhile_stop_the_stamp(tmp_path, monkeypatch):
    # A row written outside any toolkit transaction (by hand, or by another program) while the
    # report reads has no place in the head the stamp would name: the report says so.
    root = june_2021(tmp_path / "case")
    unsealed = build.events.unsealed
    monkeypatch.setattr("toolkit.report.stamp.events.unsealed", lambda conn: unsealed(conn) or 1)
    with pytest.raises(CaseError, match="without being sealed"):
        _report(root)


def test_the_item_listing_reads_one_picture_too(tmp_path, monkeypatch):
    # `toolkit items` reads the items, then their statuses: a check committed in between must not
    # give a listed item a status from after the listing's own rows.
    from toolkit.store import item_list

    root = june_2021(tmp_path / "case")
    statuses = item_list.latest_statuses

    def meanwhile(conn, ids):
        _another_process_adds_a_check(root)  # item 1, live at 15:00, read gone at 16:00
        return statuses(conn, ids)

    monkeypatch.setattr(item_list, "latest_statuses", meanwhile)
    with open_case(root) as opened:
        rows = item_list.list_items(opened.db)
    assert rows[0]["id"] == 1 and rows[0]["status"] == "available"
    monkeypatch.undo()
    with open_case(root) as opened:
        assert item_list.list_items(opened.db)[0]["status"] == "unavailable"


def test_the_twin_connection_sees_the_same_picture(tmp_path):
    # The report reads the checks through a second connection, in a thread: it must see the case as
    # the first connection does, not a check committed after the picture was taken.
    from toolkit.store.db import read_snapshot

    root = june_2021(tmp_path / "case")
    with open_case(root) as opened, read_snapshot(opened.db, twin=True) as twin:
        assert twin is not None
        _another_process_adds_a_check(root)
        count = 'SELECT count(*) FROM "check"'
        assert opened.db.execute(count).fetchone()[0] == twin.execute(count).fetchone()[0] == 50
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            twin.execute("DELETE FROM wave")


def test_a_commit_between_the_two_pictures_leaves_no_twin(tmp_path, monkeypatch):
    # Another process commits after the twin opened and before the first connection took its
    # picture: the two would differ, so there is no twin and the report reads on one connection.
    from toolkit.store import db

    root = june_2021(tmp_path / "case")
    opened_twin = db._twin_open

    def then_a_commit(conn):
        found = opened_twin(conn)
        _another_process_adds_a_check(root)
        return found

    monkeypatch.setattr(db, "_twin_open", then_a_commit)
    with open_case(root) as opened, db.read_snapshot(opened.db, twin=True) as twin:
        assert twin is None
        assert opened.db.execute('SELECT count(*) FROM "check"').fetchone()[0] == 51


def test_a_check_committed_while_the_checks_are_read_is_left_out(tmp_path, monkeypatch):
    # The thread reads the checks through the twin while the first connection reads the items; a
    # recheck committing at that moment is in neither.
    from toolkit.store import report_queries

    root = june_2021(tmp_path / "case")
    prepare = report_queries.prepare_cohort

    def meanwhile(conn):  # before the thread starts reading
        _another_process_adds_a_check(root)
        return prepare(conn)

    monkeypatch.setattr(report_queries, "prepare_cohort", meanwhile)
    report = _report(root)
    assert (report.waves[0].counts.live, report.waves[0].counts.gone) == (19, 31)
    assert sum(row["checks"] for row in report.provenance["wave_checks"]) == 50


def test_the_frame_is_the_same_read_with_or_without_the_twin(tmp_path):
    from toolkit.report.frame import build_frame
    from toolkit.store.db import read_snapshot

    root = june_2021(tmp_path / "case")
    frames = []
    with open_case(root) as opened:
        for twin_wanted in (False, True):
            with read_snapshot(opened.db, twin=twin_wanted) as twin:
                assert (twin is not None) == twin_wanted
                frames.append(build_frame(opened.db, "2021-12-31T23:59:59Z", twin))
    serial, twinned = frames
    for name in ("items", "waves", "checks", "audience", "frame"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(twinned, name))
    assert sorted(map(tuple, serial.tally)) == sorted(map(tuple, twinned.tally))
