"""What subscribers are told about a stay's payment clock, and when to tell them again.

A period's published clock is a function of the facts alone: the period assessed up to a far
horizon, so that a stop already known (a place ready from a later day) counts as a stop, and a
clock without any stop counts as running. Billing compares the clocks it published before with the
clocks of a recomputation; only a difference is published, so that a duplicate or a replay of the
same facts tells nobody anything new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing.domain.assessment import EndReason, PaymentPeriod, StayAssessment

PERIOD_GONE = "period_gone"
"""Reason given when a period no longer exists (its § 10 notice was cancelled)."""


class ClockState(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"
    VOID = "void"  # announced before, no longer payable


class Announcement(StrEnum):
    """The event a change of a published clock calls for."""

    STARTED = "started"
    STOPPED = "stopped"
    VOIDED = "voided"


@dataclass(frozen=True)
class PublishedClock:
    """The clock of one payment period as subscribers know it."""

    period_key: str
    state: ClockState
    started_on: date
    notice_msg_id: str
    hospital_her: str
    municipality: str | None
    daily_rate: Decimal | None
    stops_on: date | None = None
    end_reason: str | None = None
    days: int = 0
    amount: Decimal = Decimal(0)
    unpriced_days: int = 0
    reasons: tuple[str, ...] = ()
    revision: int = 0

    def content(self) -> tuple[object, ...]:
        """Everything an announcement says; the revision is only its place in the sequence."""
        return (
            self.state,
            self.started_on,
            self.municipality,
            str(self.daily_rate),
            self.stops_on,
            self.end_reason,
            self.days,
            str(self.amount),
            self.unpriced_days,
        )


@dataclass(frozen=True)
class Change:
    announcement: Announcement
    clock: PublishedClock
    """The clock after the announcement, with its new revision."""


def clocks_of(horizon: StayAssessment) -> dict[str, PublishedClock]:
    """The clock of every payable period, from an assessment made up to a far horizon.

    A period that stopped on the day it started (no payable day) has no clock of its own; it is
    published only as the stop of a clock that was announced running (see `changes`).
    """
    clocks = {}
    for period in horizon.periods:
        if not period.payable:
            continue
        clocks[period.key] = _clock(horizon, period)
    return clocks


def _clock(horizon: StayAssessment, period: PaymentPeriod) -> PublishedClock:
    first = period.pieces[0] if period.pieces else None
    base = PublishedClock(
        period_key=period.key,
        state=ClockState.RUNNING,
        started_on=period.start,
        notice_msg_id=period.key,
        hospital_her=horizon.hospital_her,
        municipality=first.payer if first else None,
        daily_rate=first.rate if first else None,
    )
    if period.end_reason is EndReason.OPEN:
        return base
    return replace(
        base,
        state=ClockState.STOPPED,
        stops_on=period.end,
        end_reason=period.end_reason.value,
        days=period.days,
        amount=period.amount,
        unpriced_days=period.unpriced_days,
    )


def changes(
    published: Mapping[str, PublishedClock],
    recomputed: Mapping[str, PublishedClock],
    *,
    reasons: Mapping[str, Iterable[str]] | None = None,
) -> list[Change]:
    """The announcements that bring subscribers from `published` to `recomputed`, in order.

    `reasons` gives, per period key, why a period is no longer payable (for a voided clock).
    """
    found: list[Change] = []
    for key in sorted(set(published) | set(recomputed)):
        old, new = published.get(key), recomputed.get(key)
        why = tuple((reasons or {}).get(key, ())) or (PERIOD_GONE,)
        found += _changes_of(old, new, why)
    return found


def _changes_of(
    old: PublishedClock | None, new: PublishedClock | None, why: tuple[str, ...]
) -> list[Change]:
    known = old is not None and old.state is not ClockState.VOID
    revision = old.revision if old is not None else 0
    if new is None:
        if not known:
            return []
        assert old is not None
        void = replace(old, state=ClockState.VOID, reasons=why, revision=revision + 1)
        return [Change(Announcement.VOIDED, void)]
    if new.state is ClockState.STOPPED and new.days == 0 and not known:
        return []  # stopped the day it started, and nobody was told it ran: nothing to say
    if known and old is not None and old.content() == new.content():
        return []
    if new.state is ClockState.RUNNING:
        return [Change(Announcement.STARTED, replace(new, revision=revision + 1))]
    found = []
    if not known:
        running = replace(
            new,
            state=ClockState.RUNNING,
            stops_on=None,
            end_reason=None,
            days=0,
            amount=Decimal(0),
            unpriced_days=0,
            revision=revision + 1,
        )
        found.append(Change(Announcement.STARTED, running))
        revision += 1
    found.append(Change(Announcement.STOPPED, replace(new, revision=revision + 1)))
    return found
