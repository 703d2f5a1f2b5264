"""The time rules: ELIN times are Oslo wall-clock times, instants are UTC, days count in Oslo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from hub_shared.timeutil import instant_utc, local_to_utc, oslo_date


def test_an_elin_time_is_oslo_wall_clock_time_in_winter_and_in_summer() -> None:
    assert local_to_utc(datetime(2024, 1, 15, 10, 0)) == datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
    assert local_to_utc(datetime(2024, 7, 15, 10, 0)) == datetime(2024, 7, 15, 8, 0, tzinfo=UTC)


def test_a_bare_date_is_its_oslo_midnight() -> None:
    assert local_to_utc(date(2024, 3, 31)) == datetime(2024, 3, 30, 23, 0, tzinfo=UTC)


def test_the_oslo_day_of_an_instant_late_in_the_utc_evening() -> None:
    assert oslo_date(datetime(2024, 4, 8, 22, 30, tzinfo=UTC)) == date(2024, 4, 9)
    assert oslo_date(datetime(2024, 1, 8, 22, 30, tzinfo=UTC)) == date(2024, 1, 8)


def test_an_event_instant_without_offset_is_taken_as_utc() -> None:
    assert instant_utc(datetime(2024, 4, 8, 9, 0)) == datetime(2024, 4, 8, 9, 0, tzinfo=UTC)


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_an_aware_instant_keeps_its_moment_and_becomes_utc(naive: datetime, minutes: int) -> None:
    aware = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    converted = instant_utc(aware)
    assert converted == aware
    assert converted.utcoffset() == timedelta(0)
