"""Instants read back from the database: always aware, always UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def stored_utc(value: datetime) -> datetime: ...
@overload
def stored_utc(value: None) -> None: ...
def stored_utc(value: datetime | None) -> datetime | None:
    """A stored instant as an aware UTC datetime (None stays None).

    Every instant is written in UTC, but SQLite hands it back naive while PostgreSQL hands it
    back aware; marking the naive ones UTC lets the same code compare and subtract them on both.
    An aware value is returned as it is."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
