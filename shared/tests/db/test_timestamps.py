"""stored_utc: SQLite's naive datetimes read back as the UTC instants they were stored as."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hub_shared.db import stored_utc


def test_a_naive_value_is_marked_utc_without_moving() -> None:
    assert stored_utc(datetime(2024, 4, 8, 9, 30)) == datetime(2024, 4, 8, 9, 30, tzinfo=UTC)


def test_an_aware_value_is_returned_as_it_is() -> None:
    oslo_summer = datetime(2024, 4, 8, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    assert stored_utc(oslo_summer) is oslo_summer


def test_none_stays_none() -> None:
    assert stored_utc(None) is None
