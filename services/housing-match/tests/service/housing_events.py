"""Events of admission.v1 and discharge.v1 as the other services publish them, for the consumer.

Stay ids are derived as admission-notice derives them (patient, hospital, admission time, the
development stay secret), so that a case opened by hand meets the events of its stay.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hub_shared.consumer import IdempotentConsumer
from hub_shared.events.admission import (
    AdmissionCancelled,
    AdmissionNotified,
    MessageRef,
    OrganisationRef,
    PatientRef,
)
from hub_shared.events.discharge import (
    DischargeMessageCancelled,
    DischargeMessageMoved,
    DischargeReadyNotified,
    DischargeReadyWithdrawn,
    PatientDischarged,
    StayRef,
)
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.settings import DEV_STAY_SECRET
from hub_shared.testing.messages import random_person_number
from hub_shared.testing.records import record
from hub_shared.timeutil import local_to_utc

ALVDAL = "99387"
HOSPITAL = OrganisationRef(
    her_id="59", name="ST OLAVS HOSPITAL HF", unit_her_id="90998", unit_name="Ortopedisk kirurgi"
)
MUNICIPALITY = OrganisationRef(
    her_id=ALVDAL,
    name="Alvdal Kommune",
    unit_her_id="800301",
    unit_name="Saksbehandler, pleie, omsorg, rehab",
    municipality_number="3428",
)
SOURCES = {
    "admission.v1": "/hub/admission-notice",
    "discharge.v1": "/hub/discharge-ready",
}


def oslo(text: str) -> datetime:
    """An Oslo wall-clock time ("2024-04-08T09:00") as a UTC instant."""
    return local_to_utc(datetime.fromisoformat(text))


@dataclass
class Stay:
    """One patient's stay at St. Olavs, with a fresh patient number per test."""

    admitted: str = "2024-04-02T10:00"
    patient_id: str = field(default_factory=lambda: random_person_number(random.Random()))
    family_name: str = "Gundersen"
    given_name: str = "Roland"

    @property
    def admitted_at(self) -> datetime:
        return oslo(self.admitted)

    @property
    def stay_id(self) -> str:
        naive = datetime.fromisoformat(self.admitted)
        return str(derive_stay_id(self.patient_id, "59", naive, DEV_STAY_SECRET.encode()))

    @property
    def patient(self) -> PatientRef:
        return PatientRef(
            id=self.patient_id,
            id_type="FNR",
            family_name=self.family_name,
            given_name=self.given_name,
        )

    def ref(self) -> StayRef:
        return StayRef(
            patient=self.patient,
            hospital=HOSPITAL,
            municipality=MUNICIPALITY,
            sector="somatic",
            admitted_at=self.admitted_at,
            admission_known=True,
        )


def message(msg_id: str, msg_type: str, sent: str, conversation: str | None = None) -> MessageRef:
    at = oslo(sent)
    return MessageRef(
        msg_id=msg_id,
        conversation_id=conversation or msg_id,
        msg_type=msg_type,
        plo_version="1.6",
        gen_date=at,
        received_at=at + timedelta(seconds=3),
    )


def wrap(data: EventData, stay: Stay) -> Envelope:
    return Envelope.wrap(data, subject=stay.stay_id, source=SOURCES[data.TOPIC])


def admission(
    stay: Stay, *, without_fixed_home: bool = True, sent: str = "2024-04-02T15:00"
) -> Envelope:
    return wrap(
        AdmissionNotified(
            stay_id=stay.stay_id,
            message=message(str(uuid.uuid4()), "LOG_INNLAGT", sent),
            patient=stay.patient,
            hospital=HOSPITAL,
            municipality=MUNICIPALITY,
            sector="somatic",
            admitted_at=stay.admitted_at,
            without_fixed_home=without_fixed_home,
        ),
        stay,
    )


def admission_cancelled(stay: Stay, sent: str = "2024-04-03T09:00") -> Envelope:
    return wrap(
        AdmissionCancelled(
            stay_id=stay.stay_id,
            message=message(str(uuid.uuid4()), "LOG_INNLAGT", sent),
            cancels_msg_id="whatever",
            hospital=HOSPITAL,
            municipality=MUNICIPALITY,
        ),
        stay,
    )


def ready(
    stay: Stay,
    *,
    ready_on: date = date(2024, 4, 8),
    sent: str = "2024-04-08T09:00",
    msg_id: str | None = None,
) -> Envelope:
    return wrap(
        DischargeReadyNotified(
            stay_id=stay.stay_id,
            message=message(msg_id or str(uuid.uuid4()), "LOG_UTSKRIVNINGSKLAR", sent),
            stay=stay.ref(),
            ready_on=ready_on,
        ),
        stay,
    )


def withdrawn(stay: Stay, sent: str = "2024-04-09T09:00") -> Envelope:
    return wrap(
        DischargeReadyWithdrawn(
            stay_id=stay.stay_id,
            message=message(str(uuid.uuid4()), "LOG_AVMELDING", sent),
            stay=stay.ref(),
            withdrawn_at=oslo(sent),
        ),
        stay,
    )


def notice_cancelled(stay: Stay, notice: Envelope, sent: str = "2024-04-08T12:00") -> Envelope:
    return wrap(
        DischargeMessageCancelled(
            stay_id=stay.stay_id,
            message=message(str(uuid.uuid4()), "LOG_UTSKRIVNINGSKLAR", sent),
            cancels_msg_id=notice.data["message"]["msg_id"],
            cancelled_type="LOG_UTSKRIVNINGSKLAR",
        ),
        stay,
    )


def notice_moved(stay: Stay, notice: Envelope, sent: str = "2024-04-08T12:00") -> Envelope:
    return wrap(
        DischargeMessageMoved(
            stay_id=stay.stay_id,
            msg_id=notice.data["message"]["msg_id"],
            msg_type="LOG_UTSKRIVNINGSKLAR",
            moved_to=str(uuid.uuid4()),
            moved_at=oslo(sent),
        ),
        stay,
    )


def discharged(stay: Stay, sent: str = "2024-04-10T12:00") -> Envelope:
    return wrap(
        PatientDischarged(
            stay_id=stay.stay_id,
            message=message(str(uuid.uuid4()), "LOG_UTSKREVET", sent),
            stay=stay.ref(),
            discharged_at=oslo(sent),
            died=False,
        ),
        stay,
    )


async def feed(consumer: IdempotentConsumer, *envelopes: Envelope) -> None:
    """Hand envelopes to the service's consumer as if the broker delivered them."""
    for offset, envelope in enumerate(envelopes):
        await consumer.handle_record(record(envelope, offset))


class Clock:
    """A settable "now" for the office (UTC instants)."""

    def __init__(self, now: datetime) -> None:
        self.at = now

    def __call__(self) -> datetime:
        return self.at

    def set(self, oslo_time: str) -> None:
        self.at = oslo(oslo_time)


MONDAY_MORNING = "2024-04-08T10:00"
