"""A report reads one picture of the case: a recheck committing checks while the report is being
computed changes none of its numbers (the waves' counts, the methodology's check counts and the
stamp's row counts all leave the new check out), and the report can be made again afterwards. The
item listing (`toolkit items`) reads one picture too."""

from __future__ import annotations

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
