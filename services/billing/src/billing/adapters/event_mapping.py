"""From the events billing consumes (admission.v1, discharge.v1, housing.v1) to domain facts.

Each event gives at most one fact, keyed by the message it rests on (the ELIN MsgId, or for a
housing event its event id), and what it states about the stay itself (hospital, municipality,
sector, admission time). `stay_facts` assembles a stay from its stored events; it depends only on
the set of events, never on the order they arrived in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from billing.domain import facts as domain
from billing.domain.corrections import resolve
from billing.domain.facts import Fact, Sector, StayFacts
from hub_shared.events import admission, discharge, housing
from hub_shared.events.admission import MessageRef, OrganisationRef
from hub_shared.events.envelope import EventData
from hub_shared.timeutil import instant_utc

_SECTORS = frozenset(s.value for s in Sector)

UNKNOWN_SECTOR_NOTE = (
    "The sector of the hospital unit is not known (not in the address register): judged as "
    "somatic, without the cooperation-meeting rule of psykisk helsevern and TSB"
)


@dataclass(frozen=True)
class StayRef:
    """What one event states about its stay."""

    hospital_trust: str
    hospital_unit: str | None
    municipality_her: str | None
    municipality_number: str | None
    sector: str | None
    admitted_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "hospital_trust": self.hospital_trust,
            "hospital_unit": self.hospital_unit,
            "municipality_her": self.municipality_her,
            "municipality_number": self.municipality_number,
            "sector": self.sector,
            "admitted_at": self.admitted_at.isoformat() if self.admitted_at else None,
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> StayRef:
        admitted = document.get("admitted_at")
        return cls(
            hospital_trust=document["hospital_trust"],
            hospital_unit=document.get("hospital_unit"),
            municipality_her=document.get("municipality_her"),
            municipality_number=document.get("municipality_number"),
            sector=document.get("sector"),
            admitted_at=datetime.fromisoformat(admitted) if admitted else None,
        )


@dataclass(frozen=True)
class MappedEvent:
    """One consumed event as billing keeps it."""

    fact: Fact
    stay_ref: StayRef | None
    message_id: str
    gen_date: datetime | None
    """The sender's GenDate (for housing events: when the officer decided)."""
    received_at: datetime | None
    """When the hub received the message behind the event."""
    from_admission: bool = False


@dataclass(frozen=True)
class StoredFact:
    """A row of the fact store, as `stay_facts` needs it."""

    event_id: str
    event_type: str
    fact: Fact
    stay_ref: StayRef | None
    from_admission: bool


def map_event(data: EventData, event_id: str) -> MappedEvent | None:
    """The fact an event gives, or None for events that are no fact of the payment rules."""
    match data:
        case admission.AdmissionCancelled():
            return _message_fact(
                data.message,
                lambda common: domain.Cancellation(**common, cancels=data.cancels_msg_id),
                None,
                from_admission=True,
            )
        case admission.AdmissionNotified():  # and AdmissionChanged, its subclass
            replaces = getattr(data, "replaces_msg_id", None)
            ref = _stay_ref(data.hospital, data.municipality, data.sector, data.admitted_at)
            return _message_fact(
                data.message,
                lambda common: domain.AdmissionNotice(**common),
                ref,
                replaces=replaces,
                from_admission=True,
            )
        case discharge.DischargeReadyNotified():
            ready = instant_utc(data.ready_at) if data.ready_at is not None else data.ready_on
            return _message_fact(
                data.message,
                lambda common: domain.DischargeReadyNotice(
                    **common, ready=ready, decided_by=data.decided_by_hpr
                ),
                _from_stay(data.stay),
                replaces=data.replaces_msg_id,
            )
        case discharge.DischargeReadyWithdrawn():
            return _message_fact(
                data.message,
                lambda common: domain.ReadinessWithdrawn(
                    **common, withdrawn_at=instant_utc(data.withdrawn_at)
                ),
                _from_stay(data.stay),
                replaces=data.replaces_msg_id,
            )
        case discharge.MunicipalityAnswered():
            day = data.ready_from if data.can_receive else data.expected_on
            ref = _stay_ref(data.hospital, data.municipality, None, None)
            return _message_fact(
                data.message,
                lambda common: domain.MunicipalityAnswer(
                    **common, can_receive=data.can_receive, day=day
                ),
                ref,
                replaces=data.replaces_msg_id,
            )
        case discharge.PatientDischarged():
            return _message_fact(
                data.message,
                lambda common: domain.Discharged(
                    **common,
                    discharged_at=instant_utc(data.discharged_at),
                    died=data.died,
                    destination=data.destination_code,
                ),
                _from_stay(data.stay),
                replaces=data.replaces_msg_id,
            )
        case discharge.DischargeMessageCancelled():
            return _message_fact(
                data.message,
                lambda common: domain.Cancellation(**common, cancels=data.cancels_msg_id),
                None,
            )
        case discharge.DischargeMessageMoved():
            # The message is void on this stay (it is told again for the stay it moved to).
            moved_at = instant_utc(data.moved_at)
            void = domain.Cancellation(
                message_id=f"{data.msg_id}>{data.moved_to}",
                sent_at=moved_at,
                received_at=moved_at,
                cancels=data.msg_id,
            )
            return MappedEvent(void, None, void.message_id, moved_at, moved_at)
        case discharge.CooperationMeetingCalled():
            planned = data.planned_for
            fact = domain.CooperationMeetingCalled(
                message_id=data.registration_id,
                sent_at=instant_utc(data.registered_at),
                called_at=instant_utc(data.called_at),
                planned_for=instant_utc(planned) if planned is not None else None,
                replaces=data.replaces_registration_id,
            )
            return MappedEvent(
                fact, None, data.registration_id, instant_utc(data.registered_at), None
            )
        case housing.HousingAssigned():
            fact = domain.HousingAssigned(
                message_id=event_id,
                assignment_id=data.assignment_id,
                decided_at=instant_utc(data.decided_at),
                move_in=data.move_in,
            )
            return MappedEvent(fact, None, event_id, instant_utc(data.decided_at), None)
        case housing.HousingAssignmentCancelled():
            fact = domain.HousingAssignmentCancelled(
                message_id=event_id,
                assignment_id=data.assignment_id,
                cancelled_at=instant_utc(data.cancelled_at),
            )
            return MappedEvent(fact, None, event_id, instant_utc(data.cancelled_at), None)
    return None


def redacted(data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data without the patient's identity: billing keeps only the stay id."""
    kept = {k: v for k, v in data.items() if k != "patient"}
    stay = kept.get("stay")
    if isinstance(stay, Mapping):
        kept["stay"] = {k: v for k, v in stay.items() if k != "patient"}
    return kept


def stay_facts(stay_id: str, stored: Iterable[StoredFact]) -> tuple[StayFacts | None, list[str]]:
    """The stay and its facts, with notes on what had to be assumed; None while the events
    received so far do not say which hospital admitted the patient when."""
    rows = sorted(stored, key=lambda r: r.event_id)
    ref = _stay_attributes(rows)
    if ref is None or ref.admitted_at is None:
        return None, []
    notes = []
    sector = ref.sector or next((r.stay_ref.sector for r in rows if _sector_of(r)), None)
    if sector not in _SECTORS:
        notes.append(UNKNOWN_SECTOR_NOTE)
        sector = Sector.SOMATIC.value
    stay = StayFacts(
        stay_id=stay_id,
        sector=Sector(sector),
        hospital_her=ref.hospital_unit or ref.hospital_trust,
        hospital_trust=ref.hospital_trust,
        admitted_at=ref.admitted_at,
        municipality_her=ref.municipality_her,
        # The events name the municipality the hospital notified: the one where the patient
        # stays. The register of residence (payer 2012-2018) is not in the events.
        residence_municipality=ref.municipality_number,
        registered_municipality=ref.municipality_number,
        facts=tuple(r.fact for r in rows),
    )
    return stay, notes


def _sector_of(row: StoredFact) -> bool:
    return row.stay_ref is not None and row.stay_ref.sector in _SECTORS


def _stay_attributes(rows: list[StoredFact]) -> StayRef | None:
    """The admission in force says what the stay is; else the latest discharge message does."""
    in_force = resolve(r.fact for r in rows).admission_notices
    by_message = {
        r.fact.message_id: r
        for r in rows
        if r.from_admission and r.stay_ref is not None and isinstance(r.fact, domain.Message)
    }
    current = [
        by_message[c.content.message_id] for c in in_force if c.content.message_id in by_message
    ]
    if current:
        return _latest(current).stay_ref
    stated = [
        r
        for r in rows
        if r.stay_ref is not None and r.stay_ref.admitted_at is not None and not r.from_admission
    ]
    if stated:
        return _latest(stated).stay_ref
    cancelled = [r for r in by_message.values() if r.stay_ref and r.stay_ref.admitted_at]
    return _latest(cancelled).stay_ref if cancelled else None


def _latest(rows: list[StoredFact]) -> StoredFact:
    def order(row: StoredFact) -> tuple[datetime, str]:
        fact = row.fact
        sent = (
            fact.sent_at if isinstance(fact, domain.Message) else datetime.min.replace(tzinfo=UTC)
        )
        return sent, row.event_id

    return max(rows, key=order)


def _message_fact(
    message: MessageRef,
    build: Any,
    ref: StayRef | None,
    *,
    replaces: str | None = None,
    from_admission: bool = False,
) -> MappedEvent:
    common = {
        "message_id": message.msg_id,
        "sent_at": instant_utc(message.gen_date),
        "received_at": instant_utc(message.received_at),
        "replaces": replaces,
    }
    return MappedEvent(
        fact=build(common),
        stay_ref=ref,
        message_id=message.msg_id,
        gen_date=instant_utc(message.gen_date),
        received_at=instant_utc(message.received_at),
        from_admission=from_admission,
    )


def _stay_ref(
    hospital: OrganisationRef,
    municipality: OrganisationRef,
    sector: str | None,
    admitted_at: datetime | None,
) -> StayRef:
    return StayRef(
        hospital_trust=hospital.her_id,
        hospital_unit=hospital.unit_her_id,
        municipality_her=municipality.her_id or None,
        municipality_number=municipality.municipality_number,
        sector=sector if sector and sector != "unknown" else None,
        admitted_at=instant_utc(admitted_at) if admitted_at is not None else None,
    )


def _from_stay(stay: discharge.StayRef) -> StayRef:
    return _stay_ref(stay.hospital, stay.municipality, stay.sector, stay.admitted_at)
