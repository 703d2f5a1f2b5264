"""discharge-ready over HTTP: ELIN ingress, a stay's readiness timeline, cooperation meetings."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from pydantic import BaseModel, Field, field_validator, model_validator

from discharge_ready.adapters import orm
from discharge_ready.domain import Entry, EntryState, MeetingDetails, Stay
from discharge_ready.entrypoints.consumers import SOURCE, add_admission_consumer
from discharge_ready.service import (
    SUPPORTED_TYPES,
    DischargeApplier,
    MeetingConflict,
    MeetingRegistration,
    StayLinker,
    StayNotFound,
    get_stay,
    register_meeting,
)
from discharge_ready.settings import Settings
from hub_shared.audit import record_access
from hub_shared.db.uow import UnitOfWork
from hub_shared.elin.models import Party
from hub_shared.elin.schema import load_schema
from hub_shared.http import (
    APPLIER_KEY,
    RECEPTION_KEY,
    CurrentCaller,
    ServiceState,
    create_service_app,
    include_elin,
    problem,
)
from hub_shared.identifiers.person import mask
from hub_shared.reception import MessageReception
from hub_shared.register import load_register
from hub_shared.runtime import ServiceRuntime
from hub_shared.timeutil import local_to_utc, utc_now

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"
HUB_PARTY = Party(her_id=None, name="Utskrivningshub", service_her_id=None, service_name=None)


# --- views --------------------------------------------------------------------------------------
class EntryView(BaseModel):
    """One message (or meeting registration) on the stay's readiness timeline."""

    kind: str = Field(
        description="ready_notice, withdrawal, answer, discharge, cooperation_meeting"
    )
    time: datetime = Field(description="GenDate; for a meeting, when it was called")
    msg_id: str = Field(description="MsgId; for a meeting, the registration id")
    status: str = Field(description="Forsendelsesstatus N / M / C (a meeting correction: M)")
    in_force: bool
    superseded_by: str | None = None
    cancelled_by: str | None = None
    refers_to: str | None = Field(None, description="What it changes, cancels or answers")
    received_at: datetime
    details: dict[str, Any] = Field(default_factory=dict)


class StayView(BaseModel):
    """A stay's readiness conversation; the patient shown masked."""

    stay_id: str
    linked: bool = Field(description="False: messages waiting for the stay they belong to")
    admission: str = Field(description="unknown, notified or cancelled (from admission.v1)")
    admission_known: bool
    admitted_at: datetime | None
    patient: str
    hospital_her: str
    unit_her: str | None
    municipality_her: str | None
    sector: str
    readiness: str = Field(description="not_ready, ready, withdrawn, discharged or died")
    running_notice_msg_id: str | None
    timeline: list[EntryView]


def _aware(value: datetime) -> datetime:
    """A naive time is Norwegian wall-clock time, as in ELIN; every instant is kept in UTC."""
    return local_to_utc(value) if value.tzinfo is None else value.astimezone(UTC)


class MeetingIn(BaseModel):
    """The hospital called a cooperation meeting (samarbeidsmøte). A correction is a new
    registration naming the one it replaces; `registration_id` makes a retry safe."""

    called_at: datetime = Field(description="When it was called; without offset: Oslo time")
    planned_for: datetime | None = Field(None, description="When the meeting is to take place")
    replaces_registration_id: uuid.UUID | None = None
    registration_id: uuid.UUID | None = Field(None, description="Chosen by the client, or new")

    @field_validator("called_at", "planned_for")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _aware(value)

    @model_validator(mode="after")
    def _planned_after_called(self) -> MeetingIn:
        if self.planned_for is not None and self.planned_for < self.called_at:
            raise ValueError("planned_for is before called_at")
        return self


class MeetingOut(BaseModel):
    registration_id: str
    stay_id: str
    called_at: datetime
    planned_for: datetime | None
    registered_at: datetime
    replaces_registration_id: str | None


def _json_safe(details: Any) -> dict[str, Any]:
    if details is None:
        return {}
    values = asdict(details)
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _entry_view(entry: Entry, state: EntryState) -> EntryView:
    return EntryView(
        kind=entry.kind.value,
        time=entry.sent_at,
        msg_id=entry.entry_id,
        status=entry.status.value,
        in_force=state.in_force,
        superseded_by=state.superseded_by,
        cancelled_by=state.cancelled_by,
        refers_to=entry.target,
        received_at=entry.received_at,
        details=_json_safe(entry.details),
    )


def stay_view(stay: Stay) -> StayView:
    states = stay.timeline.states()
    running = stay.running_notice
    return StayView(
        stay_id=stay.stay_id,
        linked=stay.linked,
        admission=stay.admission.value,
        admission_known=stay.admission_known,
        admitted_at=stay.admitted_at,
        patient=mask(stay.patient.id),
        hospital_her=stay.hospital_her,
        unit_her=stay.unit_her,
        municipality_her=stay.municipality_her,
        sector=stay.sector,
        readiness=stay.readiness.value,
        running_notice_msg_id=running.entry_id if running else None,
        timeline=[_entry_view(e, states[e.entry_id]) for e in stay.timeline.ordered()],
    )


# --- the app ------------------------------------------------------------------------------------
def _state(request: Request) -> ServiceState:
    return request.app.state.hub


def uow_factory(request: Request) -> Callable[[], UnitOfWork]:
    runtime = _state(request).runtime
    return lambda: runtime.uow(source=SOURCE, message_log=orm.received_messages)


def create_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    settings = settings or Settings()
    parts: dict[str, Any] = {}

    def build_runtime(s: Settings) -> ServiceRuntime:
        register = load_register(s.register_file)
        parts["linker"] = StayLinker(register, s.stay_secret.get_secret_value().encode())
        runtime = ServiceRuntime(settings=s, outbox_table=orm.outbox)
        runtime.run_background = background
        if s.consume_admissions:
            add_admission_consumer(runtime, parts["linker"])
        return runtime

    def on_start(state: ServiceState) -> None:
        state.extras[RECEPTION_KEY] = MessageReception(
            schema=load_schema(settings.elin_xsd),
            register=state.register,
            supported_types=SUPPORTED_TYPES,
            hub=HUB_PARTY,
            max_bytes=settings.max_body_bytes,
        )
        state.extras["linker"] = parts["linker"]
        state.extras[APPLIER_KEY] = DischargeApplier(parts["linker"])

    app = create_service_app(
        title="discharge-ready",
        settings=settings,
        build_runtime=build_runtime,
        migrations_dir=MIGRATIONS,
        on_start=on_start,
    )
    include_elin(app, uow_factory=uow_factory)

    @app.get("/stays/{stay_id}", response_model=StayView, tags=["stays"])
    async def read_stay(stay_id: str, request: Request, caller: CurrentCaller) -> Any:
        """The stay's readiness timeline: every notice, withdrawal, answer, discharge and
        meeting, in force, superseded or cancelled.

        Only the stay's hospital and municipality see it (others get 404); every view is
        written to the audit log."""
        async with uow_factory(request)() as uow:
            stay = await get_stay(uow, stay_id)
            if stay is None or not caller.acts_for(stay.hospital_her, stay.municipality_her):
                return problem(404, "Not Found", "No such stay.")
            await record_access(uow.session, orm.audit_log, caller, "view stay", stay_id=stay_id)
            await uow.commit()
        return stay_view(stay)

    @app.post(
        "/stays/{stay_id}/cooperation-meeting",
        response_model=MeetingOut,
        status_code=201,
        tags=["stays"],
        responses={
            200: {"description": "The same registration_id again: nothing new"},
            404: {"description": "No such stay, or not one of the caller's hospital"},
            409: {"description": "The registration cannot be taken (the detail says why)"},
        },
    )
    async def call_meeting(
        stay_id: str,
        meeting: MeetingIn,
        request: Request,
        response: Response,
        caller: CurrentCaller,
    ) -> Any:
        """Register that the hospital called a cooperation meeting (samarbeidsmøte) for a stay in
        psykisk helsevern or TSB. A correction is a new registration naming the one it replaces."""
        registration = MeetingRegistration(
            registration_id=str(meeting.registration_id or uuid.uuid4()),
            called_at=meeting.called_at,
            planned_for=meeting.planned_for,
            replaces_registration_id=_text(meeting.replaces_registration_id),
        )
        linker: StayLinker = _state(request).extras["linker"]
        async with uow_factory(request)() as uow:
            try:
                entry, created = await register_meeting(
                    uow, stay_id, registration, utc_now(), caller, linker.register
                )
            except StayNotFound:
                return problem(404, "Not Found", "No such stay.")
            except MeetingConflict as exc:
                return problem(409, "Conflict", str(exc))
            action = "register cooperation meeting" if created else "resend cooperation meeting"
            await record_access(uow.session, orm.audit_log, caller, action, stay_id=stay_id)
            await uow.commit()
        response.status_code = 201 if created else 200
        details = entry.details
        assert isinstance(details, MeetingDetails)
        return MeetingOut(
            registration_id=entry.entry_id,
            stay_id=stay_id,
            called_at=details.called_at,
            planned_for=details.planned_for,
            registered_at=entry.received_at,
            replaces_registration_id=entry.target,
        )

    return app


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)
