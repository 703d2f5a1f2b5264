"""admission-notice over HTTP: ELIN ingress for LOG_INNLAGT, stays, health."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

from admission_notice.adapters import orm
from admission_notice.adapters.repository import StayRepository
from admission_notice.service import SUPPORTED_TYPES, AdmissionApplier
from admission_notice.settings import Settings
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
)
from hub_shared.identifiers.person import mask
from hub_shared.reception import MessageLog, MessageReception
from hub_shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"
SOURCE = "/hub/admission-notice"
HUB_PARTY = Party(her_id=None, name="Utskrivningshub", service_her_id=None, service_name=None)


class MessageView(BaseModel):
    msg_id: str
    msg_type: str | None
    gen_date: datetime | None
    received_at: datetime
    accepted: bool


class StayView(BaseModel):
    """A stay as announced; the patient shown masked (the full number stays in the hub)."""

    stay_id: str
    status: str
    patient: str
    hospital_her: str
    unit_her: str | None
    municipality_her: str
    sector: str
    admitted_at: datetime
    admitted_estimated: bool
    without_fixed_home: bool
    conversation_id: str
    messages: list[MessageView]


def build_runtime(settings: Settings) -> ServiceRuntime:
    return ServiceRuntime(settings=settings, outbox_table=orm.outbox)


def _on_start(state: ServiceState) -> None:
    settings, register = state.settings, state.register
    state.extras[RECEPTION_KEY] = MessageReception(
        schema=load_schema(settings.elin_xsd),
        register=register,
        supported_types=SUPPORTED_TYPES,
        hub=HUB_PARTY,
        max_bytes=settings.max_body_bytes,
    )
    state.extras[APPLIER_KEY] = AdmissionApplier(
        register, settings.stay_secret.get_secret_value().encode()
    )


def _state(request: Request) -> ServiceState:
    return request.app.state.hub


def uow_factory(request: Request) -> Callable[[], UnitOfWork]:
    runtime = _state(request).runtime
    return lambda: runtime.uow(source=SOURCE, message_log=orm.received_messages)


def create_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    settings = settings or Settings()

    def runtime_factory(s: Settings) -> ServiceRuntime:
        runtime = build_runtime(s)
        runtime.run_background = background
        return runtime

    app = create_service_app(
        title="admission-notice",
        settings=settings,
        build_runtime=runtime_factory,
        migrations_dir=MIGRATIONS,
        on_start=_on_start,
    )
    include_elin(app, uow_factory=uow_factory)

    @app.get("/stays/{stay_id}", response_model=StayView, tags=["stays"])
    async def get_stay(stay_id: str, request: Request, caller: CurrentCaller) -> StayView:
        """One stay as the hospital announced it, with the messages behind it.

        Only the hospital and the municipality of the stay see it (others get 404), and every
        view is written to the audit log."""
        async with uow_factory(request)() as uow:
            stay = await uow.scoped(StayRepository).get(stay_id)
            if stay is None or not caller.acts_for(stay.key.hospital_her, stay.municipality_her):
                raise HTTPException(404, "No such stay")
            messages = await MessageLog(uow).for_stay(stay_id)
            await record_access(uow.session, orm.audit_log, caller, "view stay", stay_id=stay_id)
            await uow.commit()
        return StayView(
            stay_id=stay.stay_id,
            status=stay.status.value,
            patient=mask(stay.key.patient_id),
            hospital_her=stay.key.hospital_her,
            unit_her=stay.unit_her,
            municipality_her=stay.municipality_her,
            sector=stay.sector,
            admitted_at=stay.key.admitted_at,
            admitted_estimated=stay.admitted_estimated,
            without_fixed_home=stay.without_fixed_home,
            conversation_id=stay.conversation_id,
            messages=[MessageView.model_validate(m, from_attributes=True) for m in messages],
        )

    return app
