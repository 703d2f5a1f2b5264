"""RELIABILITY.md "database lost": connections dropped during a load. Requests fail cleanly (503,
which the EPJ retries), never an OK AppRec for an unsaved message, and recovery needs no restart."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from harness import epj_send, msg_id_of, topic_events
from sqlalchemy.ext.asyncio import create_async_engine

from hub_shared.testing.fixtures import POSTGRES_ADMIN_URL, postgres_reachable

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from traffic import admissions

pytestmark = [pytest.mark.system, pytest.mark.postgres, pytest.mark.timeout(300)]


async def _terminate_connections(admin: sa.ext.asyncio.AsyncEngine, database: str) -> int:
    async with admin.connect() as conn:
        result = await conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        )
        return len(result.all())


async def test_dropped_database_connections_mid_load(make_hub):
    if not await postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL.split('@')[-1]}")
    database = f"hubsys_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{database}"
    try:
        hub = make_hub("admission-notice", HUB_DATABASE_URL=url)
        spec = hub.spec("admission-notice")
        bodies = list(admissions(300, seed=21))
        progress = [0]
        sending = asyncio.create_task(epj_send(spec.url, bodies, concurrency=8, progress=progress))
        dropped = 0
        for share in (4, 2, 4 / 3):
            while progress[0] < len(bodies) / share * 0.9:
                await asyncio.sleep(0.02)
            dropped += await _terminate_connections(admin, database)
        result = await sending
        print(f"injected: {dropped} connections terminated; EPJ saw {dict(result.server_errors)}")
        assert set(result.server_errors) <= {503}, (
            "only 503 (retry later) may answer a lost database"
        )
        assert result.ok == {msg_id_of(b) for b in bodies}
        engine = create_async_engine(url)
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT msg_id FROM received_messages WHERE accepted")
            )
            stored = {r[0] for r in rows}
        await engine.dispose()
        assert stored == result.ok
        events = await topic_events(hub.bootstrap, "admission.v1", expect=len(bodies))
        assert {e["data"]["message"]["msg_id"] for e in events} == result.ok
        assert len({e["id"] for e in events}) == len(bodies)
        assert hub.exited() == [], "recovered without a restart"
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        await admin.dispose()
