"""dates.py, where every time helper lives: the clock, ISO and HTTP dates, days between two times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.dates import days_between, parse_http_date, parse_iso, to_utc_iso, utc_stamp, utcnow

MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.replace(microsecond=0, tzinfo=UTC))
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))


def test_the_clock_is_iso_utc_to_the_second():
    before = datetime.now(UTC).replace(microsecond=0)
    now, stamp = utcnow(), utc_stamp()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", now)
    assert re.fullmatch(r"\d{8}T\d{6}Z", stamp)
    assert before <= parse_iso(now) <= datetime.now(UTC)


@given(MOMENTS, MOMENTS, OFFSETS)
def test_days_between_reads_any_offset(start, end, offset):
    """The days between two times, however each is written (Z, or an offset), are the same."""
    expected = (end - start).total_seconds() / 86400
    assert days_between(to_utc_iso(start), to_utc_iso(end)) == pytest.approx(expected, abs=1e-9)
    assert days_between(start.astimezone(offset).isoformat(), to_utc_iso(end)) == pytest.approx(expected, abs=1e-9)


def test_days_between_takes_dates_as_midnight_utc_and_refuses_what_is_not_a_date():
    assert days_between("2021-04-16", "2021-04-17T12:00:00Z") == 1.5
    assert days_between("2021-04-16T00:00:00+02:00", "2021-04-16") == pytest.approx(2 / 24)
    with pytest.raises(ValueError, match="not an ISO date"):
        days_between("2021-04-16", "la semana pasada")


def test_http_dates():
    assert parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT") == datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    # "-0000" says the zone is unknown: read as UTC, never as this machine's local time.
    assert parse_http_date("Tue, 13 Apr 2021 18:22:05 -0000") == datetime(2021, 4, 13, 18, 22, 5, tzinfo=UTC)
    assert to_utc_iso(parse_http_date("Tue, 13 Apr 2021 18:22:05 -0500")) == "2021-04-13T23:22:05Z"
    assert parse_http_date("mañana") is None and parse_http_date("") is None


@given(st.text(max_size=60))
def test_http_dates_never_raise(text):
    moment = parse_http_date(text)
    assert moment is None or moment.tzinfo is not None
