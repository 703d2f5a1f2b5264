"""From a publication on a stay's timeline to its event on discharge.v1."""

from __future__ import annotations

from typing import get_args

from discharge_ready.domain import (
    AnswerDetails,
    DischargeDetails,
    Entry,
    Kind,
    MeetingDetails,
    Organisation,
    Publication,
    ReadyDetails,
    Stay,
    WithdrawalDetails,
)
from hub_shared.events.admission import MessageRef, OrganisationRef, PatientRef, Sector
from hub_shared.events.discharge import (
    CooperationMeetingCalled,
    DischargeMessageCancelled,
    DischargeReadyNotified,
    DischargeReadyWithdrawn,
    MunicipalityAnswered,
    PatientDischarged,
    StayRef,
)
from hub_shared.events.envelope import EventData
from hub_shared.register import AddressRegister

_SECTORS = set(get_args(Sector))


def to_event(pub: Publication, stay: Stay, register: AddressRegister) -> EventData:
    entry = pub.entry
    if entry.kind is Kind.COOPERATION_MEETING:
        return _meeting(pub, stay)
    common = {
        "stay_id": stay.stay_id,
        "message": _message(entry, stay),
        "replaces_msg_id": pub.replaces,
    }
    if pub.cancels is not None:
        return DischargeMessageCancelled(
            stay_id=stay.stay_id,
            message=common["message"],
            cancels_msg_id=pub.cancels,
            cancelled_type=entry.msg_type or "",
        )
    details = entry.details
    if isinstance(details, AnswerDetails):
        return MunicipalityAnswered(
            **common,
            can_receive=details.can_receive,
            ready_from=details.ready_from,
            expected_on=details.expected_on,
            structured=details.structured,
            answered_at=entry.sent_at,
            answers_msg_id=entry.target,
            municipality=_organisation(entry.municipality, stay.municipality_her, register),
            hospital=_organisation(entry.hospital, stay.hospital_her, register),
        )
    ref = _stay_ref(entry, stay, register)
    if isinstance(details, ReadyDetails):
        return DischargeReadyNotified(
            **common,
            stay=ref,
            ready_on=details.ready_on,
            ready_at=details.ready_at,
            ready_estimated=details.estimated,
            decided_by_hpr=details.decided_by_hpr,
        )
    if isinstance(details, WithdrawalDetails):
        return DischargeReadyWithdrawn(**common, stay=ref, withdrawn_at=details.withdrawn_at)
    assert isinstance(details, DischargeDetails)
    return PatientDischarged(
        **common,
        stay=ref,
        discharged_at=details.discharged_at,
        died=details.died,
        destination_code=details.destination_code,
        destination_text=details.destination_text,
    )


def conversation_of(entry: Entry, stay: Stay) -> str:
    """The first message of the entry's conversation: the chain's first version; for an answer
    or a cancellation, the conversation of the message it answers or cancels."""
    timeline = stay.timeline
    if entry.kind is Kind.ANSWER or entry.status.is_cancellation:
        target = timeline.get(entry.target)
        if target is not None:
            return timeline.root_of(target)
        return entry.refs[-1] if entry.refs else entry.target or entry.entry_id
    return timeline.root_of(entry)


def _message(entry: Entry, stay: Stay) -> MessageRef:
    return MessageRef(
        msg_id=entry.entry_id,
        conversation_id=conversation_of(entry, stay),
        msg_type=entry.msg_type or "",
        plo_version=entry.version if entry.kind is not Kind.ANSWER else None,
        gen_date=entry.sent_at,
        received_at=entry.received_at,
    )


def _organisation(
    org: Organisation | None, fallback_her: str | None, register: AddressRegister
) -> OrganisationRef:
    if org is None:
        party = register.get(fallback_her)
        org = Organisation(fallback_her or "", party.name if party else None)
    return OrganisationRef(
        her_id=org.her_id,
        name=org.name,
        unit_her_id=org.unit_her_id,
        unit_name=org.unit_name,
        municipality_number=register.municipality_number(org.her_id),
    )


def _stay_ref(entry: Entry, stay: Stay, register: AddressRegister) -> StayRef:
    patient = stay.patient
    return StayRef(
        patient=PatientRef(
            id=patient.id,
            id_type=patient.id_type,
            family_name=patient.family_name,
            given_name=patient.given_name,
        ),
        hospital=_organisation(entry.hospital, stay.hospital_her, register),
        municipality=_organisation(entry.municipality, stay.municipality_her, register),
        sector=stay.sector if stay.sector in _SECTORS else "unknown",  # type: ignore[arg-type]
        admitted_at=stay.admitted_at,
        admission_known=stay.admission_known,
    )


def _meeting(pub: Publication, stay: Stay) -> CooperationMeetingCalled:
    entry = pub.entry
    details = entry.details
    assert isinstance(details, MeetingDetails)
    return CooperationMeetingCalled(
        stay_id=stay.stay_id,
        registration_id=entry.entry_id,
        called_at=details.called_at,
        planned_for=details.planned_for,
        registered_at=entry.received_at,
        replaces_registration_id=pub.replaces,
    )
