"""housing-match through its real app, on SQLite and PostgreSQL. Events are fed through the
service's own idempotent consumer (the broker test is in test_broker.py); the office's clock is
fixed at Monday 2024-04-08 10:00 (Oslo)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from housing_events import MONDAY_MORNING, Clock, feed, oslo  # noqa: E402

from housing_match.adapters import orm  # noqa: E402
from housing_match.adapters.outbound import AnswerSender  # noqa: E402
from housing_match.entrypoints.api import SOURCE, create_app  # noqa: E402
from housing_match.service import HousingOffice  # noqa: E402
from housing_match.settings import Settings  # noqa: E402
from hub_shared.consumer import IdempotentConsumer  # noqa: E402
from hub_shared.db.uow import UnitOfWork  # noqa: E402
from hub_shared.events.envelope import Envelope  # noqa: E402
from hub_shared.runtime import ServiceRuntime  # noqa: E402
from hub_shared.settings import KafkaSettings  # noqa: E402
from hub_shared.testing.http import bearer  # noqa: E402

ALVDAL, NORD, ST_OLAV = "99387", "800400", "59"


@dataclass
class Hub:
    http: httpx.AsyncClient
    transport: httpx.ASGITransport
    app: Any
    clock: Clock
    settings: Settings

    @property
    def runtime(self) -> ServiceRuntime:
        return self.app.state.hub.runtime

    @property
    def office(self) -> HousingOffice:
        return self.app.state.hub.extras["office"]

    @property
    def sender(self) -> AnswerSender:
        return self.app.state.hub.extras["sender"]

    @property
    def consumer(self) -> IdempotentConsumer:
        """The service's own consumer (group "housing-match")."""
        return next(c for c in self.runtime.consumers if c.name == self.settings.consumer_group)

    def uow(self) -> UnitOfWork:
        return self.runtime.uow(source=SOURCE)

    async def feed(self, *envelopes: Envelope) -> None:
        await feed(self.consumer, *envelopes)

    async def events(self) -> list[Envelope]:
        """Every event written to the outbox so far, in order."""
        async with self.uow() as uow:
            rows = await uow.session.execute(
                sa.select(orm.outbox.c.payload).order_by(orm.outbox.c.seq)
            )
            return [Envelope.model_validate_json(r.payload) for r in rows]

    async def rows(self, table: sa.Table, *where: Any) -> list[Any]:
        async with self.uow() as uow:
            return list((await uow.session.execute(sa.select(table).where(*where))).all())

    def as_party(self, her_id: str) -> httpx.AsyncClient:
        """Another client on the same app, with another party's token."""
        return httpx.AsyncClient(
            transport=self.transport, base_url="http://hub", headers=bearer(her_id)
        )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No broker: these tests look at the outbox; the relay and the consumer loop are tested with
    # Tansu in test_broker.py. Fast outbound timings for the delivery tests.
    return Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        outbound_poll_seconds=0.02,
        outbound_timeout_seconds=0.5,
        outbound_backoff_seconds=0.1,
        outbound_backoff_jitter=0.0,
    )


@asynccontextmanager
async def running(
    settings: Settings, *, deliver: bool = False, clock: Clock | None = None
) -> AsyncIterator[Hub]:
    clock = clock or Clock(oslo(MONDAY_MORNING))
    app = create_app(settings, background=False, deliver=deliver, clock=clock)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub", headers=bearer(ALVDAL)
        ) as http:
            yield Hub(http, transport, app, clock, settings)


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[Hub]:
    async with running(settings) as started:
        yield started


@pytest.fixture
def start() -> Callable[..., Any]:
    """Start the app with other settings (e.g. a register with a fake hospital's endpoint)."""
    return running
