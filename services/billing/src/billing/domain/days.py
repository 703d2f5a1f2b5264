"""Calendar days as the payment clock counts them: Europe/Oslo days, Norwegian working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The holidays are shared with the housing office (move-in warnings): one definition.
from hub_shared.holidays import easter_sunday, public_holidays  # noqa: F401 - re-exported

OSLO = ZoneInfo("Europe/Oslo")
ONE_DAY = timedelta(days=1)


def as_utc(instant: datetime) -> datetime:
    """An aware instant in UTC; naive datetimes are refused because their zone would be a guess."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware instant, got naive {instant!r}")
    return instant.astimezone(UTC)


def oslo_day(value: datetime | date) -> date:
    """The Oslo calendar day of an instant (a bare date is already a day)."""
    if isinstance(value, datetime):
        return as_utc(value).astimezone(OSLO).date()
    return value


def oslo_time(instant: datetime) -> time:
    """The Oslo wall-clock time of an instant."""
    return as_utc(instant).astimezone(OSLO).time()


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday (virkedag)."""
    return day.weekday() < 5 and day not in public_holidays(day.year)


def next_working_day(after: date) -> date:
    """The first working day strictly after `after`."""
    day = after + ONE_DAY
    while not is_working_day(day):
        day += ONE_DAY
    return day


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month_start(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def year_start(year: int) -> date:
    return date(year, 1, 1)
