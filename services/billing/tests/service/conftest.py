"""The billing service through its real app, on SQLite and PostgreSQL; events fed through the
service's own idempotent consumer (the broker test is in test_broker.py)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from billing.adapters import orm
from billing.entrypoints.api import SOURCE, create_app
from billing.service import Billing
from billing.settings import Settings
from hub_shared.consumer import IdempotentConsumer
from hub_shared.db import make_engine
from hub_shared.db.uow import UnitOfWork
from hub_shared.events.envelope import Envelope
from hub_shared.runtime import ServiceRuntime
from hub_shared.settings import KafkaSettings
from hub_shared.testing.http import bearer

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from billing_envelopes import NOW, Clock, feed  # noqa: E402

TRUST, ALVDAL = "59", "99387"


@dataclass
class Hub:
    http: httpx.AsyncClient
    consumer: IdempotentConsumer
    billing: Billing
    clock: Clock
    settings: Settings
    runtime: ServiceRuntime

    def billing_uow(self) -> UnitOfWork:
        return self.runtime.uow(source=SOURCE)

    async def feed(self, envelopes: Iterable[Envelope]) -> None:
        await feed(self.consumer, envelopes)

    async def outbox(self, topic: str = "billing.v1") -> list[Envelope]:
        engine = make_engine(self.settings.resolved_database_url())
        try:
            async with engine.connect() as conn:
                query = (
                    sa.select(orm.outbox.c.payload)
                    .where(orm.outbox.c.topic == topic)
                    .order_by(orm.outbox.c.seq)
                )
                return [Envelope.model_validate_json(r.payload) for r in await conn.execute(query)]
        finally:
            await engine.dispose()

    async def table(self, table: sa.Table) -> list[dict]:
        engine = make_engine(self.settings.resolved_database_url())
        try:
            async with engine.connect() as conn:
                return [dict(r._mapping) for r in await conn.execute(sa.select(table))]
        finally:
            await engine.dispose()

    async def get(self, path: str, *, as_: str = TRUST, **kwargs) -> httpx.Response:
        return await self.http.get(
            path, headers={**bearer(as_), **kwargs.pop("headers", {})}, **kwargs
        )

    async def post(self, path: str, *, as_: str = TRUST, **kwargs) -> httpx.Response:
        return await self.http.post(path, headers=bearer(as_), **kwargs)

    async def stay(self, stay_id: str) -> dict:
        response = await self.get(f"/v1/stays/{stay_id}")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No broker: these tests look at the outbox; the consumer is fed directly (see Hub.feed).
    return Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[Hub]:
    clock = Clock(NOW)
    app = create_app(settings, background=False, clock=clock)
    async with LifespanManager(app) as manager:
        state = app.state.hub
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            consumer = state.runtime.consumers[0]
            billing = state.extras["billing"]
            yield Hub(http, consumer, billing, clock, settings, state.runtime)
