"""Calendar days as the payment clock counts them: Europe/Oslo days, Norwegian working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

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


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian calendar; anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """Norwegian public holidays (offentlige høytidsdager, helligdager) of one year.

    Christmas Eve and New Year's Eve are not public holidays and are working days here.
    """
    easter = easter_sunday(year)
    easter_based = (-3, -2, 0, 1, 39, 49, 50)  # skjærtorsdag .. 2. pinsedag
    fixed = (date(year, 1, 1), date(year, 5, 1), date(year, 5, 17))
    christmas = (date(year, 12, 25), date(year, 12, 26))
    return frozenset((*fixed, *christmas, *(easter + timedelta(days=n) for n in easter_based)))


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
