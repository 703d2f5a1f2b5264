"""Stays as hospitals announce them: Melding om innlagt pasient (LOG_INNLAGT), new, changed or cancelled.

Pure rules, no framework: which stay a notice belongs to, and what it does to that stay.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class DispatchStatus(StrEnum):
    """Forsendelsesstatus (code list 7309) of a PLO message."""

    NEW = "N"
    CHANGED = "M"
    ADDITION = "A"
    CANCELLED = "C"
    HISTORY = "H"


class StayStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class Change(StrEnum):
    """What a notice did to its stay; each maps to one event on admission.v1."""

    NOTIFIED = "notified"
    CHANGED = "changed"
    CANCELLED = "cancelled"
    NONE = "none"


@dataclass(frozen=True)
class StayKey:
    """A stay is identified by the patient, the hospital (organisation HER-id) and the admission time."""

    patient_id: str
    hospital_her: str
    admitted_at: datetime  # UTC instant


@dataclass(frozen=True)
class AdmissionNotice:
    """One LOG_INNLAGT as the hub understood it (innleggelsesmelding)."""

    msg_id: str
    ref_to_parent: str | None
    ref_to_conversation: str | None
    status: DispatchStatus
    key: StayKey
    unit_her: str | None
    municipality_her: str
    sector: str
    admitted_estimated: bool
    without_fixed_home: bool
    gen_date: datetime
    received_at: datetime

    @property
    def refers_to(self) -> tuple[str, ...]:
        """The earlier messages a change or cancellation points at (ConversationRef)."""
        return tuple(r for r in (self.ref_to_parent, self.ref_to_conversation) if r)


@dataclass(frozen=True)
class Stay:
    stay_id: str
    key: StayKey
    unit_her: str | None
    municipality_her: str
    sector: str
    admitted_estimated: bool
    without_fixed_home: bool
    status: StayStatus
    conversation_id: str
    last_msg_id: str
    notified_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None = None  # GenDate of the cancellation in force


@dataclass(frozen=True)
class Outcome:
    stay: Stay
    change: Change
    replaces_msg_id: str | None = None


def apply_notice(notice: AdmissionNotice, existing: Stay | None, new_stay_id: str) -> Outcome:
    """The stay after a notice, and what changed. `existing` is the stay the notice links to."""
    if notice.status is DispatchStatus.CANCELLED:
        return _cancel(notice, existing, new_stay_id)
    if existing is None:
        stay = _new_stay(notice, new_stay_id)
        change = Change.NOTIFIED if notice.status is DispatchStatus.NEW else Change.CHANGED
        return Outcome(stay, change, notice.ref_to_parent if change is Change.CHANGED else None)
    if notice.status is DispatchStatus.NEW and existing.status is StayStatus.ACTIVE:
        # The same admission announced again under a new MsgId: acknowledged, nothing new happens.
        return Outcome(existing, Change.NONE)
    if existing.cancelled_at is not None and notice.gen_date <= existing.cancelled_at:
        # Written before the cancellation and arriving after it (a late original or change):
        # the cancellation stands, whatever the order of arrival.
        return Outcome(existing, Change.NONE)
    if notice.status is DispatchStatus.NEW:
        return Outcome(_updated(existing, notice), Change.NOTIFIED)
    return Outcome(_updated(existing, notice), Change.CHANGED, existing.last_msg_id)


def _cancel(notice: AdmissionNotice, existing: Stay | None, new_stay_id: str) -> Outcome:
    # A cancellation of a notice the hub never saw is kept too, so a late original stays void.
    base = existing or _new_stay(notice, new_stay_id)
    cancelled = replace(
        base,
        status=StayStatus.CANCELLED,
        last_msg_id=notice.msg_id,
        updated_at=notice.received_at,
        cancelled_at=max(notice.gen_date, base.cancelled_at or notice.gen_date),
    )
    cancels = existing.last_msg_id if existing else (notice.ref_to_parent or notice.msg_id)
    return Outcome(cancelled, Change.CANCELLED, cancels)


def _new_stay(notice: AdmissionNotice, stay_id: str) -> Stay:
    return Stay(
        stay_id=stay_id,
        key=notice.key,
        unit_her=notice.unit_her,
        municipality_her=notice.municipality_her,
        sector=notice.sector,
        admitted_estimated=notice.admitted_estimated,
        without_fixed_home=notice.without_fixed_home,
        status=StayStatus.ACTIVE,
        conversation_id=notice.ref_to_conversation or notice.msg_id,
        last_msg_id=notice.msg_id,
        notified_at=notice.gen_date,
        updated_at=notice.received_at,
    )


def _updated(stay: Stay, notice: AdmissionNotice) -> Stay:
    return replace(
        stay,
        key=notice.key,
        unit_her=notice.unit_her,
        municipality_her=notice.municipality_her,
        sector=notice.sector,
        admitted_estimated=notice.admitted_estimated,
        without_fixed_home=notice.without_fixed_home,
        status=StayStatus.ACTIVE,
        last_msg_id=notice.msg_id,
        updated_at=notice.received_at,
        cancelled_at=None,
    )
