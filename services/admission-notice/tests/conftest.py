from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager

from admission_notice.adapters import orm
from admission_notice.entrypoints.api import create_app
from admission_notice.settings import Settings
from hub_shared.db import make_engine
from hub_shared.events.envelope import Envelope
from hub_shared.settings import KafkaSettings
from hub_shared.testing.http import bearer


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # No broker here: these tests look at what lands in the outbox; the relay is tested with Tansu.
    return Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )


@asynccontextmanager
async def running_app(
    settings: Settings, headers: dict[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, background=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub", headers=headers
        ) as http:
            yield http


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # St. Olavs' own token: the sender of the test messages (hub_shared.testing.messages).
    async with running_app(settings, bearer("59")) as http:
        yield http


@pytest.fixture
def app_with():
    """Start another app of this service with other settings or headers."""
    return running_app


@pytest.fixture
def outbox_events(settings: Settings):
    async def read() -> list[Envelope]:
        engine = make_engine(settings.resolved_database_url())
        async with engine.connect() as conn:
            rows = await conn.execute(sa.select(orm.outbox.c.payload).order_by(orm.outbox.c.seq))
            events = [Envelope.model_validate_json(r.payload) for r in rows]
        await engine.dispose()
        return events

    return read
