"""From a read ELIN message to what discharge-ready needs: the timeline entry and the stay key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from discharge_ready.domain import (
    AnswerDetails,
    Details,
    DischargeDetails,
    Dispatch,
    Entry,
    Kind,
    Organisation,
    Patient,
    ReadyDetails,
    WithdrawalDetails,
)
from hub_shared.elin.answer import UnreadableAnswer, read_answer
from hub_shared.elin.codes import DialogTheme, DischargeCondition, EventCode, MessageType
from hub_shared.elin.models import ElinMessage, Party, TimedEvent
from hub_shared.register import AddressRegister
from hub_shared.timeutil import local_to_utc

KINDS = {
    MessageType.LOG_UTSKRIVNINGSKLAR: Kind.READY_NOTICE,
    MessageType.LOG_AVMELDING: Kind.WITHDRAWAL,
    MessageType.LOG_UTSKREVET: Kind.DISCHARGE,
}


class NotDischargeAnswer(ValueError):
    """A Helsefaglig dialog with another theme than 7: not for this hub (AppRec T10)."""


class UnusableContent(ValueError):
    """Valid ELIN whose business content cannot be taken in (AppRec X99). Names the field only."""


@dataclass(frozen=True)
class Incoming:
    """One received message as a timeline entry, with what links it to its stay."""

    entry: Entry
    patient: Patient
    hospital_her: str  # organisation (level 1)
    unit_her: str | None
    municipality_her: str | None
    sector: str
    admitted_at: datetime | None  # TidsfestetHendelse code 1 (UTC), when the message has it


def to_incoming(msg: ElinMessage, register: AddressRegister, received_at: datetime) -> Incoming:
    if msg.dialog is not None:
        return _answer(msg, register, received_at)
    return _plo(msg, register, received_at)


def _patient(msg: ElinMessage) -> Patient:
    patient = msg.head.patient
    assert patient is not None and patient.id is not None  # the reception checks guarantee it
    return Patient(patient.id, patient.id_type or "", patient.family_name, patient.given_name)


def _organisation(party: Party) -> Organisation:
    return Organisation(party.her_id or "", party.name, party.service_her_id, party.service_name)


def _refs(msg: ElinMessage) -> tuple[str, ...]:
    ref = msg.head.conversation_ref
    if ref is None:
        return ()
    return tuple(dict.fromkeys((ref.ref_to_parent, ref.ref_to_conversation)))


def _instant(event: TimedEvent | None) -> datetime | None:
    """A TidsfestetHendelse time as UTC; a bare date is its Oslo midnight; a year, a month or a
    time of day alone is no instant (None)."""
    if event is None or not isinstance(event.at, date):
        return None
    return local_to_utc(event.at)


def _plo(msg: ElinMessage, register: AddressRegister, received_at: datetime) -> Incoming:
    head, plo = msg.head, msg.plo
    assert plo is not None
    kind = KINDS[MessageType(head.msg_type)]
    status = Dispatch(plo.status)
    sent_at = local_to_utc(msg.gen_date)
    details = None if status.is_cancellation else _plo_details(kind, msg, sent_at)
    entry = Entry(
        entry_id=msg.msg_id,
        kind=kind,
        status=status,
        sent_at=sent_at,
        received_at=received_at,
        details=details,
        refs=_refs(msg),
        hospital=_organisation(head.sender),
        municipality=_organisation(head.receiver),
        msg_type=head.msg_type,
        version=plo.version,
    )
    unit = head.sender.service_her_id
    return Incoming(
        entry=entry,
        patient=_patient(msg),
        # The sender's organisation as written, exactly as admission-notice keys the stay.
        hospital_her=head.sender.her_id or "",
        unit_her=unit,
        municipality_her=head.receiver.her_id,
        sector=register.sector_of(unit, head.sender.her_id) or "unknown",
        admitted_at=_instant(plo.event(EventCode.ADMITTED)),
    )


def _plo_details(kind: Kind, msg: ElinMessage, sent_at: datetime) -> Details:
    plo = msg.plo
    assert plo is not None
    if kind is Kind.READY_NOTICE:
        return _ready(plo.event(EventCode.READY), plo.responsible_hpr)
    if kind is Kind.WITHDRAWAL:
        return WithdrawalDetails(_instant(plo.event(EventCode.WITHDRAWN)) or sent_at)
    event = plo.event(EventCode.DIED) or plo.event(EventCode.DISCHARGED)
    died = plo.discharge_condition == DischargeCondition.DEAD or (
        plo.event(EventCode.DIED) is not None
    )
    destination = plo.discharged_to
    return DischargeDetails(
        discharged_at=_instant(event) or sent_at,
        died=died,
        destination_code=destination.code if destination else None,
        destination_text=destination.text if destination else None,
    )


def _ready(event: TimedEvent | None, hpr: str | None) -> ReadyDetails:
    # The readiness day is what the notice is about: without it there is nothing to take in.
    if event is None:
        raise UnusableContent(
            "TidsfestetHendelse med Hendelsekode 3 (Pasient utskrivningsklar) mangler"
        )
    if not isinstance(event.at, date):
        raise UnusableContent(
            "TidspunktForHendelse for Hendelsekode 3 må være en dato eller dato og klokkeslett"
        )
    at = event.at
    ready_at = local_to_utc(at) if isinstance(at, datetime) else None
    ready_on = at.date() if isinstance(at, datetime) else at
    return ReadyDetails(ready_on, ready_at, event.estimated, hpr)


def _answer(msg: ElinMessage, register: AddressRegister, received_at: datetime) -> Incoming:
    dialog, head = msg.dialog, msg.head
    assert dialog is not None
    if dialog.theme_code != DialogTheme.DISCHARGE_READY_ANSWER:
        raise NotDischargeAnswer(
            "Bare Helsefaglig dialog med TemaKodet 7 (Tilbakemelding på mottak av "
            "utskrivningsklar pasient) tas imot her"
        )
    try:
        answer = read_answer(msg)
        details = AnswerDetails(answer.can_receive, answer.ready_from, answer.expected_on, True)
    except UnreadableAnswer:
        # Kept and shown as unreadable; it never counts as "can receive".
        details = AnswerDetails(False, None, None, structured=False)
    entry = Entry(
        entry_id=msg.msg_id,
        kind=Kind.ANSWER,
        status=Dispatch.NEW,
        sent_at=local_to_utc(msg.gen_date),
        received_at=received_at,
        details=details,
        refs=_refs(msg),
        hospital=_organisation(head.receiver),
        municipality=_organisation(head.sender),
        msg_type=head.msg_type,
        version=msg.content_version,
    )
    receiver = head.receiver
    # The answer goes to the hospital; whichever level it was addressed at, the stay is keyed
    # by the hospital organisation.
    return Incoming(
        entry=entry,
        patient=_patient(msg),
        hospital_her=register.organisation_id(receiver.her_id) or "",
        unit_her=receiver.service_her_id,
        municipality_her=head.sender.her_id,
        sector=register.sector_of(receiver.service_her_id, receiver.her_id) or "unknown",
        admitted_at=None,
    )
