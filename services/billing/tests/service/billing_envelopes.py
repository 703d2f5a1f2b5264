"""The worked cases of PAYMENT-RULES.md as the events billing consumes (admission.v1,
discharge.v1, housing.v1), built with the event models, and fed through the service's own
idempotent consumer.

Envelope ids are derived from the stay and the event's id in the case, so building a case twice
gives the same envelopes: a replay.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hub_shared.consumer import IdempotentConsumer
from hub_shared.events import admission, discharge, housing
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.settings import DEV_STAY_SECRET
from hub_shared.testing.messages import person_number
from hub_shared.testing.records import record

OSLO = ZoneInfo("Europe/Oslo")
ALVDAL_NUMBER = "3428"  # municipality number of HER-id 99387 in config/address-register.toml
NAMESPACE = uuid.UUID("6f1c1d4e-6a43-4cbb-9a3c-7d8a1f0b2e55")
ADMISSION_KIND = "admission_notice"
NOW = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
"""The tests' "now": every month of the scenarios has ended."""


class Clock:
    """The service's "now", set by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def oslo(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=OSLO).astimezone(UTC)


def patient_number(n: int) -> str:
    """A valid fødselsnummer per test patient: one birth day per `n`."""
    born = date(1965, 1, 1) + timedelta(days=n)
    for individual in range(100, 500):
        number = person_number(born, individual)
        if number:
            return number
    raise AssertionError(f"no fødselsnummer for {born}")


@dataclass(frozen=True)
class CaseStay:
    """A case's stay as the hub knows it: the real stay id and the parties of the events."""

    stay_id: str
    patient_id: str
    trust: str
    unit: str
    municipality_her: str
    municipality_number: str
    sector: str
    admitted_at: datetime


MUNICIPALITY_NUMBERS = {"99387": ALVDAL_NUMBER, "800400": "5501"}  # as in the address register


def case_stay(
    stay: Mapping[str, Any], *, patient: str, municipality_number: str | None = None
) -> CaseStay:
    admitted = oslo(stay["admitted"])
    municipality_number = municipality_number or MUNICIPALITY_NUMBERS[stay["municipality_her"]]
    return CaseStay(
        stay_id=str(
            derive_stay_id(patient, stay["hospital_trust"], admitted, DEV_STAY_SECRET.encode())
        ),
        patient_id=patient,
        trust=stay["hospital_trust"],
        unit=stay["hospital_her"],
        municipality_her=stay["municipality_her"],
        municipality_number=municipality_number,
        sector=stay["sector"],
        admitted_at=admitted,
    )


def envelopes(stay: CaseStay, events: Iterable[Mapping[str, Any]]) -> list[Envelope]:
    """One envelope per case event, in the case's order."""
    events = list(events)
    kinds = {e["id"]: e["kind"] for e in events}
    found = []
    for event in events:
        data = _data(stay, event, kinds)
        envelope = Envelope.wrap(data, subject=stay.stay_id, source=_source(data))
        found.append(
            envelope.model_copy(
                update={"id": uuid.uuid5(NAMESPACE, f"{stay.stay_id}/{event['id']}")}
            )
        )
    return found


async def feed(consumer: IdempotentConsumer, items: Iterable[Envelope]) -> None:
    """Hand envelopes to the service's consumer as if the broker delivered them."""
    for offset, envelope in enumerate(items):
        await consumer.handle_record(record(envelope, offset))


def _source(data: EventData) -> str:
    return {
        admission.AdmissionNotified.TOPIC: "/hub/admission-notice",
        discharge.DischargeReadyNotified.TOPIC: "/hub/discharge-ready",
        housing.HousingAssigned.TOPIC: "/hub/housing-match",
    }[data.TOPIC]


def _message(stay: CaseStay, event: Mapping[str, Any], msg_type: str) -> admission.MessageRef:
    sent = oslo(event["sent"])
    received = oslo(event["received"]) if "received" in event else sent + timedelta(seconds=3)
    return admission.MessageRef(
        msg_id=event["id"],
        conversation_id=event.get("replaces") or event["id"],
        msg_type=msg_type,
        plo_version="1.6",
        gen_date=sent,
        received_at=received,
    )


def _hospital(stay: CaseStay) -> admission.OrganisationRef:
    return admission.OrganisationRef(
        her_id=stay.trust, name="ST OLAVS HOSPITAL HF", unit_her_id=stay.unit
    )


def _municipality(stay: CaseStay) -> admission.OrganisationRef:
    return admission.OrganisationRef(
        her_id=stay.municipality_her,
        name="Alvdal Kommune",
        municipality_number=stay.municipality_number,
    )


def _patient(stay: CaseStay) -> admission.PatientRef:
    return admission.PatientRef(
        id=stay.patient_id, id_type="FNR", family_name="Gundersen", given_name="Roland"
    )


def _stay_ref(stay: CaseStay) -> discharge.StayRef:
    return discharge.StayRef(
        patient=_patient(stay),
        hospital=_hospital(stay),
        municipality=_municipality(stay),
        sector=stay.sector,  # type: ignore[arg-type]
        admitted_at=stay.admitted_at,
        admission_known=True,
    )


def _data(stay: CaseStay, event: Mapping[str, Any], kinds: Mapping[str, str]) -> EventData:
    kind = event["kind"]
    at = oslo(event["at"]) if "at" in event else None
    common = {"stay_id": stay.stay_id}
    if kind == "admission_notice":
        fields = {
            **common,
            "message": _message(stay, event, "LOG_INNLAGT"),
            "patient": _patient(stay),
            "hospital": _hospital(stay),
            "municipality": _municipality(stay),
            "sector": stay.sector,
            # A change may correct the admission time ("admitted", Oslo time); the id stays.
            "admitted_at": oslo(event["admitted"]) if event.get("admitted") else stay.admitted_at,
            "without_fixed_home": True,
        }
        if event.get("replaces"):
            return admission.AdmissionChanged(**fields, replaces_msg_id=event["replaces"])
        return admission.AdmissionNotified(**fields)
    if kind == "cancel":
        if kinds.get(event["cancels"]) == ADMISSION_KIND:
            return admission.AdmissionCancelled(
                **common,
                message=_message(stay, event, "LOG_INNLAGT"),
                cancels_msg_id=event["cancels"],
                hospital=_hospital(stay),
                municipality=_municipality(stay),
            )
        return discharge.DischargeMessageCancelled(
            **common,
            message=_message(stay, event, "LOG_UTSKRIVNINGSKLAR"),
            cancels_msg_id=event["cancels"],
            cancelled_type=kinds.get(event["cancels"], "unknown"),
        )
    if kind == "meeting_called":
        planned = event.get("planned_for")
        return discharge.CooperationMeetingCalled(
            **common,
            registration_id=event["id"],
            called_at=oslo(event.get("called") or event["sent"]),
            planned_for=oslo(planned if "T" in planned else f"{planned}T00:00")
            if planned
            else None,
            registered_at=oslo(event["sent"]),
            replaces_registration_id=event.get("replaces"),
        )
    if kind == "housing_assigned":
        return housing.HousingAssigned(
            **common,
            case_id=f"case-{stay.stay_id[:8]}",
            assignment_id=event["assignment"],
            unit_id="unit-1",
            site_id="site-1",
            municipality_her=stay.municipality_her,
            move_in=date.fromisoformat(event["move_in"]),
            decided_at=oslo(event["decided"]),
        )
    if kind == "housing_cancelled":
        return housing.HousingAssignmentCancelled(
            **common,
            case_id=f"case-{stay.stay_id[:8]}",
            assignment_id=event["assignment"],
            cancelled_at=oslo(event["cancelled"]),
        )
    replaces = {"replaces_msg_id": event.get("replaces")}
    if kind == "ready_notice":
        ready = event["ready"]
        return discharge.DischargeReadyNotified(
            **common,
            **replaces,
            message=_message(stay, event, "LOG_UTSKRIVNINGSKLAR"),
            stay=_stay_ref(stay),
            ready_on=oslo(ready).astimezone(OSLO).date()
            if "T" in ready
            else date.fromisoformat(ready),
            ready_at=oslo(ready) if "T" in ready else None,
            decided_by_hpr=event.get("decided_by"),
        )
    if kind == "withdrawal":
        return discharge.DischargeReadyWithdrawn(
            **common,
            **replaces,
            message=_message(stay, event, "LOG_AVMELDING"),
            stay=_stay_ref(stay),
            withdrawn_at=at or oslo(event["sent"]),
        )
    if kind == "answer":
        day = date.fromisoformat(event["day"]) if event.get("day") else None
        return discharge.MunicipalityAnswered(
            **common,
            **replaces,
            message=_message(stay, event, "DIALOG_HELSEFAGLIG"),
            can_receive=event["can_receive"],
            ready_from=day if event["can_receive"] else None,
            expected_on=None if event["can_receive"] else day,
            answered_at=oslo(event["sent"]),
            municipality=_municipality(stay),
            hospital=_hospital(stay),
        )
    if kind in ("discharge", "death"):
        return discharge.PatientDischarged(
            **common,
            **replaces,
            message=_message(stay, event, "LOG_UTSKREVET"),
            stay=_stay_ref(stay),
            discharged_at=at or oslo(event["sent"]),
            died=kind == "death" or event.get("died", False),
            destination_code=event.get("destination"),
        )
    raise ValueError(f"unknown event kind {kind!r}")


# --- short constructors for derived scenarios (the plain-data shapes of worked_cases) ---------


def stay_dict(name: str, admitted: str, **changes: Any) -> dict[str, Any]:
    from hub_shared.testing.worked_cases import SOMATIC_STAY

    return {**SOMATIC_STAY, "stay_id": name, "admitted": admitted, **changes}


def adm(msg_id: str, sent: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "admission_notice", "id": msg_id, "sent": sent, **extra}


def ready(msg_id: str, sent: str, on: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "ready_notice",
        "id": msg_id,
        "sent": sent,
        "ready": on or sent[:10],
        "decided_by": "9144900",
        **extra,
    }


def answer(msg_id: str, sent: str, can_receive: bool, on: str | None = None, **extra: Any) -> dict:
    return {
        "kind": "answer",
        "id": msg_id,
        "sent": sent,
        "can_receive": can_receive,
        "day": on,
        **extra,
    }


def discharged(msg_id: str, sent: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "discharge", "id": msg_id, "sent": sent, **extra}


def cancel(msg_id: str, sent: str, cancels: str) -> dict[str, Any]:
    return {"kind": "cancel", "id": msg_id, "sent": sent, "cancels": cancels}
