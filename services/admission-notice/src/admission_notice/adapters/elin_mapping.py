"""From a parsed ELIN message to the domain's AdmissionNotice, and from outcomes to events."""

from __future__ import annotations

from datetime import datetime

from admission_notice.domain import AdmissionNotice, DispatchStatus, Outcome, StayKey
from hub_shared.elin.codes import EventCode
from hub_shared.elin.models import ElinMessage, Party, TimedEvent
from hub_shared.events.admission import (
    AdmissionCancelled,
    AdmissionChanged,
    AdmissionNotified,
    MessageRef,
    OrganisationRef,
    PatientRef,
)
from hub_shared.register import AddressRegister
from hub_shared.timeutil import local_to_utc


class NoAdmissionTime(ValueError):
    """A LOG_INNLAGT without TidsfestetHendelse code 1: the stay cannot be keyed."""


def to_notice(
    msg: ElinMessage, register: AddressRegister, received_at: datetime
) -> AdmissionNotice:
    head, plo = msg.head, msg.plo
    assert plo is not None
    admitted = _admitted(msg)
    ref = head.conversation_ref
    return AdmissionNotice(
        msg_id=head.msg_id,
        ref_to_parent=ref.ref_to_parent if ref else None,
        ref_to_conversation=ref.ref_to_conversation if ref else None,
        status=DispatchStatus(plo.status),
        key=stay_key(msg),
        unit_her=head.sender.service_her_id,
        municipality_her=head.receiver.her_id or "",
        sector=register.sector_of(head.sender.service_her_id, head.sender.her_id) or "unknown",
        admitted_estimated=admitted.estimated,
        without_fixed_home=head.patient.without_fixed_home,
        gen_date=local_to_utc(head.gen_date),
        received_at=received_at,
    )


def stay_key(msg: ElinMessage) -> StayKey:
    """The stay a LOG_INNLAGT names: patient, hospital (the sender) and admission time."""
    head = msg.head
    assert head.patient is not None and head.patient.id is not None
    return StayKey(head.patient.id, head.sender.her_id or "", local_to_utc(_admitted(msg).at))


def _admitted(msg: ElinMessage) -> TimedEvent:
    assert msg.plo is not None
    admitted = msg.plo.event(EventCode.ADMITTED)
    if admitted is None:
        raise NoAdmissionTime("TidsfestetHendelse med Hendelsekode 1 (Pasient innlagt) mangler")
    return admitted


def to_event(
    outcome: Outcome, msg: ElinMessage, notice: AdmissionNotice, register: AddressRegister
) -> AdmissionNotified | AdmissionChanged | AdmissionCancelled:
    head = msg.head
    message = MessageRef(
        msg_id=notice.msg_id,
        conversation_id=outcome.stay.conversation_id,
        msg_type=head.msg_type,
        plo_version=msg.plo.version if msg.plo else None,
        gen_date=notice.gen_date,
        received_at=notice.received_at,
    )
    hospital = _organisation(head.sender, register)
    municipality = _organisation(head.receiver, register)
    if outcome.change.value == "cancelled":
        return AdmissionCancelled(
            stay_id=outcome.stay.stay_id,
            message=message,
            cancels_msg_id=outcome.replaces_msg_id or notice.msg_id,
            hospital=hospital,
            municipality=municipality,
        )
    patient = head.patient
    assert patient is not None and patient.id is not None
    fields = {
        "stay_id": outcome.stay.stay_id,
        "message": message,
        "patient": PatientRef(
            id=patient.id,
            id_type=patient.id_type or "",
            family_name=patient.family_name,
            given_name=patient.given_name,
        ),
        "hospital": hospital,
        "municipality": municipality,
        "sector": notice.sector,
        "admitted_at": notice.key.admitted_at,
        "admitted_at_estimated": notice.admitted_estimated,
        "without_fixed_home": notice.without_fixed_home,
        "contact_unit": msg.plo.contact_unit if msg.plo else None,
    }
    if outcome.change.value == "changed":
        return AdmissionChanged(**fields, replaces_msg_id=outcome.replaces_msg_id or "")
    return AdmissionNotified(**fields)


def _organisation(party: Party, register: AddressRegister) -> OrganisationRef:
    return OrganisationRef(
        her_id=party.her_id or "",
        name=party.name,
        unit_her_id=party.service_her_id,
        unit_name=party.service_name,
        municipality_number=register.municipality_number(party.her_id),
    )
