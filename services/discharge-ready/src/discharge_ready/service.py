"""Use cases of discharge-ready: take a message, learn a stay from admission.v1, register a
cooperation meeting, show a stay. Each runs in the caller's unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from discharge_ready.adapters.elin_mapping import (
    Incoming,
    NotDischargeAnswer,
    UnusableContent,
    to_incoming,
)
from discharge_ready.adapters.events import to_event
from discharge_ready.adapters.repository import StayRepository
from discharge_ready.domain import (
    Admission,
    Adoption,
    Dispatch,
    Entry,
    Kind,
    MeetingDetails,
    Patient,
    Publication,
    Stay,
    adopt,
    choose_stay,
    take_over,
)
from hub_shared.auth import Caller
from hub_shared.db.uow import UnitOfWork
from hub_shared.elin.apprec import AppRecError
from hub_shared.elin.codes import AppRecErrorCode, MessageType
from hub_shared.elin.models import ElinMessage
from hub_shared.events.admission import AdmissionCancelled, AdmissionChanged, AdmissionNotified
from hub_shared.events.discharge import DischargeMessageMoved
from hub_shared.events.envelope import Envelope
from hub_shared.events.registry import parse_data
from hub_shared.identifiers.stay import pseudonymous_uuid
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.reception import ContentRejected, MessageLog
from hub_shared.register import AddressRegister
from hub_shared.timeutil import utc_now

SUPPORTED_TYPES = frozenset(
    {
        MessageType.LOG_UTSKRIVNINGSKLAR,
        MessageType.LOG_AVMELDING,
        MessageType.LOG_UTSKREVET,
        MessageType.DIALOG_HELSEFAGLIG,
    }
)
ADMISSION_EVENTS = frozenset({"AdmissionNotified", "AdmissionChanged", "AdmissionCancelled"})


def unlinked_stay_id(patient_id: str, hospital_her: str, secret: bytes) -> str:
    """The id of a patient's unlinked stay at a hospital: pseudonymous like a stay id, and
    never equal to one (another HMAC message)."""
    return str(pseudonymous_uuid(f"unlinked|{patient_id}|{hospital_her}", secret))


@dataclass(frozen=True)
class StayLinker:
    """Finds or makes the stay a message belongs to, and lets waiting messages join stays."""

    register: AddressRegister
    stay_secret: bytes

    async def link(self, stays: StayRepository, incoming: Incoming) -> tuple[Stay, bool]:
        """The stay (and whether it is new): by ConversationRef, by admission time, by the
        patient's open stay, else the patient's unlinked stay at that hospital."""
        by_ref = await stays.stay_of_entries(incoming.entry.refs)
        if by_ref is not None:
            stay = await stays.get(by_ref, lock=True)
            # A reference to another patient's message is the sender's mistake: not followed.
            mine = stay is not None and stay.patient.id == incoming.patient.id
            if stay is not None and mine and (stay.linked or incoming.admitted_at is None):
                return stay, False
        if incoming.admitted_at is not None:
            return await self._by_admission(stays, incoming)
        known = await stays.of_patient(incoming.patient.id, incoming.hospital_her, lock=True)
        chosen = choose_stay(incoming.entry, known)
        if chosen is not None:
            return chosen, False
        waiting = next((s for s in known if not s.linked), None)
        if waiting is not None:
            return waiting, False
        stay_id = self.unlinked_id(incoming.patient.id, incoming.hospital_her)
        return _new_stay(stay_id, incoming, admitted_at=None), True

    def unlinked_id(self, patient_id: str, hospital_her: str) -> str:
        return unlinked_stay_id(patient_id, hospital_her, self.stay_secret)

    def keyed_id(self, patient_id: str, hospital_her: str, admitted_at: datetime) -> str:
        # Every service derives the same id from the same key (hub_shared.identifiers.stay).
        return str(derive_stay_id(patient_id, hospital_her, admitted_at, self.stay_secret))

    async def _by_admission(self, stays: StayRepository, incoming: Incoming) -> tuple[Stay, bool]:
        assert incoming.admitted_at is not None
        patient, hospital = incoming.patient.id, incoming.hospital_her
        found = await stays.by_key(patient, hospital, incoming.admitted_at, lock=True)
        if found is not None:
            return found, False
        derived = self.keyed_id(patient, hospital, incoming.admitted_at)
        found = await stays.get(derived, lock=True)
        if found is not None:
            return found, False
        return _new_stay(derived, incoming, admitted_at=incoming.admitted_at), True

    async def adopt_waiting(self, uow: UnitOfWork, stays: StayRepository, stay: Stay) -> Stay:
        """Messages waiting on the patient's unlinked stay that belong to `stay` move there."""
        if not stay.linked:
            return stay
        waiting_id = self.unlinked_id(stay.patient.id, stay.hospital_her)
        waiting = await stays.get(waiting_id, lock=True)
        if waiting is None or not waiting.timeline.entries:
            return stay
        adoption = adopt(stay, waiting)
        await self._settle(uow, stays, adoption)
        return adoption.stay

    async def _settle(
        self, uow: UnitOfWork, stays: StayRepository, adoption: Adoption
    ) -> list[Entry]:
        """Store the moved entries on their new stay and tell them there; returns them."""
        stay = adoption.stay
        moved = [e for e in stay.timeline.entries if e.entry_id in adoption.moved]
        await stays.move_entries(moved, stay.stay_id)
        await MessageLog(uow).link([e.entry_id for e in moved], stay.stay_id)
        await publish(uow, stay, adoption.publications, self.register)
        return moved

    async def take_over_twin(self, uow: UnitOfWork, stays: StayRepository, stay: Stay) -> Stay:
        """Messages that carried this stay's admission time before a correction (LOG_INNLAGT M)
        gave the stay that time formed a stay of their own, under the id that time derives to.
        They move here: told again for this stay, and `DischargeMessageMoved` on the other,
        which is deleted."""
        if stay.admitted_at is None:
            return stay
        patient = stay.patient.id
        twin_id = self.keyed_id(patient, stay.hospital_her, stay.admitted_at)
        if twin_id == stay.stay_id:
            return stay
        twin = await stays.get(twin_id, lock=True)
        if twin is None or twin.admission is not Admission.UNKNOWN or twin.patient.id != patient:
            return stay
        taken = take_over(stay, twin)
        moved = await self._settle(uow, stays, taken)
        now = utc_now()
        for entry in moved:
            void = DischargeMessageMoved(
                stay_id=twin_id,
                msg_id=entry.entry_id,
                msg_type=entry.msg_type or entry.kind.value,
                moved_to=stay.stay_id,
                moved_at=now,
            )
            await uow.publish(void, subject=twin_id)
        await stays.delete(twin_id)
        return taken.stay


def _new_stay(stay_id: str, incoming: Incoming, *, admitted_at: datetime | None) -> Stay:
    return Stay(
        stay_id=stay_id,
        patient=incoming.patient,
        hospital_her=incoming.hospital_her,
        unit_her=incoming.unit_her,
        municipality_her=incoming.municipality_her,
        sector=incoming.sector,
        admitted_at=admitted_at,
    )


async def publish(
    uow: UnitOfWork, stay: Stay, publications: Sequence[Publication], register: AddressRegister
) -> None:
    """Events of a linked stay go out in the same transaction; an unlinked stay's wait."""
    if not stay.linked:
        return
    for pub in publications:
        await uow.publish(to_event(pub, stay, register), subject=stay.stay_id)


# --- POST /elin/messages ------------------------------------------------------------------------
@dataclass(frozen=True)
class DischargeApplier:
    """Applies one checked message to its stay's timeline, in the reception's unit of work."""

    linker: StayLinker

    async def __call__(self, msg: ElinMessage, uow: UnitOfWork, received_at: datetime) -> str:
        try:
            incoming = to_incoming(msg, self.linker.register, received_at)
        except NotDischargeAnswer as exc:
            raise ContentRejected([AppRecError(AppRecErrorCode.T10, str(exc))]) from exc
        except UnusableContent as exc:
            raise ContentRejected([AppRecError(AppRecErrorCode.X99, str(exc))]) from exc
        stays = StayRepository(uow.session)
        stay, is_new = await self.linker.link(stays, incoming)
        applied = stay.timeline.apply(incoming.entry)
        stay = replace(stay, timeline=applied.timeline)
        await (stays.add(stay) if is_new else stays.update(stay))
        await stays.add_entry(stay.stay_id, applied.entry)
        await publish(uow, stay, applied.publications, self.linker.register)
        stay = await self.linker.adopt_waiting(uow, stays, stay)
        return stay.stay_id


# --- admission.v1 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdmissionHandler:
    """Learns stays from admission.v1 (consumer group "discharge-ready")."""

    linker: StayLinker

    async def __call__(self, uow: UnitOfWork, envelope: Envelope) -> None:
        if envelope.type not in ADMISSION_EVENTS:
            return
        data = parse_data(envelope)
        stays = StayRepository(uow.session)
        if isinstance(data, AdmissionCancelled):
            found = await stays.get(data.stay_id, lock=True)
            if found is not None:  # an unknown stay's cancellation names no patient: nothing to do
                await stays.update(replace(found, admission=Admission.CANCELLED))
            return
        assert isinstance(data, AdmissionNotified | AdmissionChanged)
        found = await stays.get(data.stay_id, lock=True)
        stay = _from_admission(data, found)
        await (stays.update(stay) if found is not None else stays.add(stay))
        stay = await self.linker.adopt_waiting(uow, stays, stay)
        await self.linker.take_over_twin(uow, stays, stay)


def _from_admission(data: AdmissionNotified, found: Stay | None) -> Stay:
    patient = Patient(
        data.patient.id, data.patient.id_type, data.patient.family_name, data.patient.given_name
    )
    known = {
        "patient": patient,
        "hospital_her": data.hospital.her_id,
        "unit_her": data.hospital.unit_her_id,
        "municipality_her": data.municipality.her_id,
        "admitted_at": data.admitted_at,
        "admission": Admission.NOTIFIED,
    }
    if found is None:
        return Stay(stay_id=data.stay_id, sector=data.sector, **known)
    sector = found.sector if data.sector == "unknown" else data.sector
    return replace(found, sector=sector, **known)


# --- POST /stays/{stay_id}/cooperation-meeting ------------------------------------------------
class StayNotFound(LookupError):
    pass


class MeetingConflict(ValueError):
    """The registration cannot be taken as asked (the text says why, without personal data)."""


@dataclass(frozen=True)
class MeetingRegistration:
    """A cooperation meeting (samarbeidsmøte) the hospital called: psykisk helsevern and TSB."""

    registration_id: str
    called_at: datetime
    planned_for: datetime | None
    replaces_registration_id: str | None


async def register_meeting(
    uow: UnitOfWork,
    stay_id: str,
    registration: MeetingRegistration,
    registered_at: datetime,
    caller: Caller,
    register: AddressRegister,
) -> tuple[Entry, bool]:
    """The registration's entry, and whether it is new (False: the same id was sent again).

    Only the stay's hospital registers its meetings; to anyone else the stay does not exist."""
    stays = StayRepository(uow.session)
    stay = await stays.get(stay_id, lock=True)
    if stay is None or not caller.acts_for(stay.hospital_her):
        raise StayNotFound(stay_id)
    entry = Entry(
        entry_id=registration.registration_id,
        kind=Kind.COOPERATION_MEETING,
        status=Dispatch.CHANGE if registration.replaces_registration_id else Dispatch.NEW,
        sent_at=registration.called_at,
        received_at=registered_at,
        details=MeetingDetails(registration.called_at, registration.planned_for),
        refs=tuple(filter(None, [registration.replaces_registration_id])),
    )
    existing = stay.timeline.get(entry.entry_id)
    if existing is not None and _same_registration(existing, entry):
        return existing, False
    await _check_meeting(stays, stay, entry)
    applied = stay.timeline.apply(entry)
    stay = replace(stay, timeline=applied.timeline)
    await stays.add_entry(stay.stay_id, applied.entry)
    await publish(uow, stay, applied.publications, register)
    return applied.entry, True


def _same_registration(a: Entry, b: Entry) -> bool:
    return a.kind is b.kind and (a.details, a.refs) == (b.details, b.refs)


async def _check_meeting(stays: StayRepository, stay: Stay, entry: Entry) -> None:
    if await stays.stay_of_entries([entry.entry_id]) is not None:
        raise MeetingConflict("registration_id is already used for another registration")
    if not stay.linked:
        raise MeetingConflict("the stay is not linked to an admission (no admission time known)")
    if stay.sector == "somatic":
        raise MeetingConflict("cooperation meetings are registered for psykisk helsevern and TSB")
    if not entry.refs:
        return
    replaced = stay.timeline.get(entry.refs[0])
    if replaced is None or replaced.kind is not Kind.COOPERATION_MEETING:
        raise MeetingConflict("replaces_registration_id is no registration of this stay")
    state = stay.timeline.states()[replaced.entry_id]
    if not state.in_force:
        raise MeetingConflict(f"that registration was already replaced by {state.superseded_by}")


# --- GET /stays/{stay_id} -----------------------------------------------------------------------
async def get_stay(uow: UnitOfWork, stay_id: str) -> Stay | None:
    return await StayRepository(uow.session).get(stay_id)
