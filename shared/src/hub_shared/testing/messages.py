"""Realistic, valid ELIN traffic for tests and benchmarks: parties from the address register,
patients with valid check digits, the real message shapes (built by hub_shared.elin.builder)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from hub_shared.elin.builder import build_plo_message
from hub_shared.elin.models import (
    Address,
    CodedValue,
    ConversationRef,
    Party,
    PatientIdentity,
    ResponsiblePerson,
    TimedEvent,
)
from hub_shared.identifiers.person import check_digits

ST_OLAV = Party(her_id="59", name="ST OLAVS HOSPITAL HF", service_her_id="90998",
                service_name="Ortopedisk kirurgi")  # fmt: skip
ST_OLAV_PSYCH = ST_OLAV.model_copy(
    update={"service_her_id": "800101", "service_name": "Avdeling for psykisk helsevern (test)"}
)
ST_OLAV_TSB = ST_OLAV.model_copy(
    update={"service_her_id": "800102", "service_name": "Avdeling for rus og avhengighet (test)"}
)
ALVDAL = Party(her_id="99387", name="Alvdal Kommune", service_her_id="5078",
               service_name="Sykepleietjeneste")  # fmt: skip
ALVDAL_CASEWORK = ALVDAL.model_copy(
    update={"service_her_id": "800301", "service_name": "Saksbehandler, pleie, omsorg, rehab"}
)
DOCTOR = ResponsiblePerson(hpr="9144900", family_name="Lin", given_name="Rita")


def person_number(born: date, individual: int, *, d_number: bool = False) -> str | None:
    """A fødselsnummer (or D-number) with valid check digits, or None when none exists."""
    day = born.day + (40 if d_number else 0)
    first9 = f"{day:02d}{born.month:02d}{born.year % 100:02d}{individual:03d}"
    digits = check_digits(first9)
    return f"{first9}{digits[0]}{digits[1]}" if digits else None


def random_person_number(rng: random.Random) -> str:
    while True:
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 80))
        individual = rng.randrange(0, 500) if born.year < 2000 else rng.randrange(500, 1000)
        number = person_number(born, individual, d_number=rng.random() < 0.05)
        if number:
            return number


def patient(
    number: str = "15076500565",
    *,
    family: str = "Gundersen",
    given: str = "Roland",
    address: Address | None = Address(street="Flåklypa 31", postal_code="2560", city="Alvdal"),  # noqa: B008
    id_type: str | None = None,
) -> PatientIdentity:
    kind = id_type or ("DNR" if number[0] in "4567" else "FNR")
    return PatientIdentity(
        id=number, id_type=kind, family_name=family, given_name=given, address=address
    )


def admitted(at: datetime, estimated: bool = False) -> TimedEvent:
    return TimedEvent(code=1, at=at, estimated=estimated)


def event(code: int, at: datetime | date, estimated: bool = False) -> TimedEvent:
    return TimedEvent(code=code, at=at, estimated=estimated)


def log_innlagt(
    *,
    admitted_at: datetime,
    gen_date: datetime | None = None,
    msg_id: str | None = None,
    person: PatientIdentity | None = None,
    sender: Party = ST_OLAV,
    receiver: Party = ALVDAL,
    status: str = "N",
    refers_to: str | None = None,
    version: str = "1.6",
) -> bytes:
    """Melding om innlagt pasient."""
    return plo(
        "LOG_INNLAGT",
        events=[admitted(admitted_at)],
        gen_date=gen_date or admitted_at + timedelta(hours=1),
        msg_id=msg_id,
        person=person,
        sender=sender,
        receiver=receiver,
        status=status,
        refers_to=refers_to,
        version=version,
    )


def plo(
    msg_type: str,
    *,
    events: Sequence[TimedEvent],
    gen_date: datetime,
    msg_id: str | None = None,
    person: PatientIdentity | None = None,
    sender: Party = ST_OLAV,
    receiver: Party = ALVDAL,
    status: str = "N",
    refers_to: str | None = None,
    version: str = "1.6",
    discharged_to: CodedValue | None = None,
    discharge_condition: str | None = None,
) -> bytes:
    """Any Pasientlogistikk message; `refers_to` sets ConversationRef for changes and cancellations."""
    needs_doctor = msg_type in {"LOG_UTSKRIVNINGSKLAR", "LOG_AVMELDING"}
    return build_plo_message(
        msg_type=msg_type,
        version=version,  # type: ignore[arg-type]
        msg_id=msg_id or str(uuid.uuid4()),
        gen_date=gen_date,
        sender=sender,
        receiver=receiver,
        patient=person if person is not None else patient(),
        status=status,
        events=events,
        conversation_ref=ConversationRef(ref_to_parent=refers_to, ref_to_conversation=refers_to)
        if refers_to
        else None,
        discharged_to=discharged_to,
        discharge_condition=discharge_condition,
        responsible=DOCTOR if needs_doctor else None,
    )
