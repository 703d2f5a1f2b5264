from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka.structs import ConsumerRecord
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from discharge_ready.adapters import orm
from discharge_ready.entrypoints.api import create_app
from discharge_ready.settings import Settings
from hub_shared.db import make_engine
from hub_shared.events import topics
from hub_shared.events.envelope import Envelope
from hub_shared.settings import KafkaSettings
from hub_shared.testing.http import bearer

HOSPITAL = "59"  # St. Olavs: the sender of the hospital test messages
MUNICIPALITY = "99387"  # Alvdal: the receiver, and the sender of the answers


async def read_outbox(database_url: str, table: sa.Table) -> list[Envelope]:
    engine = make_engine(database_url)
    async with engine.connect() as conn:
        rows = await conn.execute(sa.select(table.c.payload).order_by(table.c.seq))
        events = [Envelope.model_validate_json(r.payload) for r in rows]
    await engine.dispose()
    return events


def admission_record(envelope: Envelope, offset: int = 0) -> ConsumerRecord:
    """An admission.v1 record as the broker would deliver it."""
    value, key = envelope.to_bytes(), envelope.subject.encode()
    return ConsumerRecord(
        topics.ADMISSION, 0, offset, 0, 0, key, value, None, len(key), len(value), []
    )


@dataclass
class Service:
    """The running discharge-ready app: its HTTP client, its consumer, its outbox."""

    http: httpx.AsyncClient
    app: FastAPI
    settings: Settings

    async def post(self, body: bytes, sender: str = HOSPITAL) -> httpx.Response:
        return await self.http.post(
            "/elin/messages",
            content=body,
            headers={"content-type": "application/xml", **bearer(sender)},
        )

    async def answer(self, body: bytes) -> httpx.Response:
        return await self.post(body, MUNICIPALITY)

    async def deliver(self, *envelopes: Envelope) -> None:
        """Hand admission.v1 events to the service's idempotent consumer."""
        consumer = self.app.state.hub.runtime.consumers[0]
        for envelope in envelopes:
            await consumer.handle_record(admission_record(envelope))
        assert consumer.dead_lettered == 0

    async def stay(self, stay_id: str, caller: str = HOSPITAL) -> dict[str, Any]:
        response = await self.http.get(f"/stays/{stay_id}", headers=bearer(caller))
        assert response.status_code == 200, response.text
        return response.json()

    async def events(self) -> list[Envelope]:
        return await read_outbox(self.settings.resolved_database_url(), orm.outbox)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No broker here: these tests read the outbox and hand admission events to the consumer;
    # the relay and the subscription are tested with Tansu (test_broker_integration).
    return Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            yield app, http


@asynccontextmanager
async def start_service(settings: Settings, *, background: bool = False) -> AsyncIterator[Service]:
    async with running(create_app(settings, background=background)) as (app, http):
        yield Service(http, app, settings)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    async with start_service(settings) as started:
        yield started


@pytest.fixture
def service_with():
    """Start another app of this service with other settings."""
    return start_service


@pytest.fixture
async def admission_notice(tmp_path: Path) -> AsyncIterator[Any]:
    """admission-notice beside it (on its own SQLite file), to turn LOG_INNLAGT into the
    admission.v1 events discharge-ready consumes."""
    from admission_notice.adapters import orm as admission_orm
    from admission_notice.entrypoints.api import create_app as create_admission_app
    from admission_notice.settings import Settings as AdmissionSettings

    settings = AdmissionSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'admission.db'}",
        trace_dir=None,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )

    @dataclass
    class AdmissionNotice:
        http: httpx.AsyncClient
        seen: int = 0

        async def post(self, body: bytes) -> httpx.Response:
            return await self.http.post(
                "/elin/messages",
                content=body,
                headers={"content-type": "application/xml", **bearer(HOSPITAL)},
            )

        async def new_events(self) -> list[Envelope]:
            """The admission.v1 events published since the last call."""
            events = await read_outbox(settings.resolved_database_url(), admission_orm.outbox)
            fresh, self.seen = events[self.seen :], len(events)
            return fresh

    async with running(create_admission_app(settings, background=False)) as (_app, http):
        yield AdmissionNotice(http)
