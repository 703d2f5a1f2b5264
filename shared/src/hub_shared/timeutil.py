"""Time rules: message times are Europe/Oslo local times; instants are stored in UTC; days count in Oslo."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def utc_now() -> datetime:
    return datetime.now(UTC)


def oslo_now() -> datetime:
    """Now as a naive Oslo wall-clock time, the form ELIN messages carry."""
    return datetime.now(OSLO).replace(tzinfo=None, microsecond=0)


def local_to_utc(value: datetime | date) -> datetime:
    """An ELIN time (naive: Oslo wall clock; a bare date: its midnight) as a UTC instant."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = value.replace(tzinfo=OSLO)
    return value.astimezone(UTC)


def oslo_date(instant: datetime) -> date:
    """The Oslo calendar day of an instant: the unit the payment clock counts in."""
    return instant.astimezone(OSLO).date()


def instant_utc(value: datetime) -> datetime:
    """An event's instant as an aware UTC datetime. Event times are UTC instants: a time without
    an offset is taken as UTC, never guessed local (ELIN times go through `local_to_utc`)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
