"""Events on discharge.v1: the readiness conversation of a stay (discharge-ready service).

Corrections: an event with `replaces_msg_id` set (Forsendelsesstatus M) supersedes the event of
that message. Cancellations (Forsendelsesstatus C) are `DischargeMessageCancelled`, naming the
message they void. A message told for a stay that turns out to be another one (a corrected
admission time) is `DischargeMessageMoved` there, and told again for the right stay. Consumers
key everything by `stay_id` and deduplicate on the envelope id.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from hub_shared.events import topics
from hub_shared.events.admission import MessageRef, OrganisationRef, PatientRef, Sector
from hub_shared.events.envelope import EventData


class StayRef(BaseModel):
    """The stay a message belongs to, as the hospital states it (for linking and billing)."""

    model_config = ConfigDict(frozen=True)

    patient: PatientRef
    hospital: OrganisationRef
    municipality: OrganisationRef
    sector: Sector
    admitted_at: datetime | None
    admission_known: bool  # False: no admission notice had been received for this stay


class _DischargeEvent(EventData):
    TOPIC = topics.DISCHARGE

    stay_id: str
    message: MessageRef
    replaces_msg_id: str | None = None


class DischargeReadyNotified(_DischargeEvent):
    """`LOG_UTSKRIVNINGSKLAR` (Melding om utskrivningsklar pasient): the §10 notice.

    The notice time is `message.gen_date`; `ready_on` is the Oslo day of TidsfestetHendelse code 3.
    """

    EVENT_TYPE = "DischargeReadyNotified"

    stay: StayRef
    ready_on: date
    ready_at: datetime | None = None
    ready_estimated: bool = False
    decided_by_hpr: str | None = None


class DischargeReadyWithdrawn(_DischargeEvent):
    """`LOG_AVMELDING` (Avmelding av utskrivningsklar pasient): no longer ready."""

    EVENT_TYPE = "DischargeReadyWithdrawn"

    stay: StayRef
    withdrawn_at: datetime


class MunicipalityAnswered(_DischargeEvent):
    """The municipality's answer to a §10 notice (Dialogmelding 1.1, TemaKodet 7, list 7322).

    `can_receive` with `ready_from` is an explicit "a place is ready from that day"; `cannot`
    with `expected_on` is only an estimate and does not stop the payment clock.

    `structured` is False when the answer's text is not in the agreed form
    (docs/municipal-answer.md): the hub could not read what the municipality said, so
    `can_receive` is False and no date is set. A person must read the message (`message.msg_id`).
    `answered_at` is the answer's GenDate; `answers_msg_id` the notice it answers.
    """

    EVENT_TYPE = "MunicipalityAnswered"

    can_receive: bool
    ready_from: date | None = None
    expected_on: date | None = None
    answered_at: datetime
    answers_msg_id: str | None = None
    municipality: OrganisationRef
    hospital: OrganisationRef
    structured: bool = True  # added after v1's first release: absent means True


class PatientDischarged(_DischargeEvent):
    """`LOG_UTSKREVET` (Melding om utskrevet pasient); `died` when Uttilstand is 2 (som død)."""

    EVENT_TYPE = "PatientDischarged"

    stay: StayRef
    discharged_at: datetime
    died: bool
    destination_code: str | None = None
    destination_text: str | None = None


class CooperationMeetingCalled(EventData):
    """Psykisk helsevern / TSB: the hospital called the cooperation meeting (samarbeidsmøte)."""

    EVENT_TYPE = "CooperationMeetingCalled"
    TOPIC = topics.DISCHARGE

    stay_id: str
    registration_id: str
    called_at: datetime
    planned_for: datetime | None = None
    registered_at: datetime
    replaces_registration_id: str | None = None


class DischargeMessageCancelled(EventData):
    """Forsendelsesstatus C: the message `cancels_msg_id` (of `cancelled_type`) is void."""

    EVENT_TYPE = "DischargeMessageCancelled"
    TOPIC = topics.DISCHARGE

    stay_id: str
    message: MessageRef
    cancels_msg_id: str
    cancelled_type: str


class DischargeMessageMoved(EventData):
    """A message told for this stay belongs to stay `moved_to`: it is told again there, and is
    void here (drop what it caused for this stay).

    It happens when a message carried an admission time that no stay had yet, because the
    hospital had corrected the admission time (LOG_INNLAGT M) and the correction had not
    reached discharge-ready: the message formed a stay of its own (this one) under that time.
    When the correction arrives, the corrected stay takes the message over."""

    EVENT_TYPE = "DischargeMessageMoved"
    TOPIC = topics.DISCHARGE

    stay_id: str
    msg_id: str
    msg_type: str
    moved_to: str
    moved_at: datetime
