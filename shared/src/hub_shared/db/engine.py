"""Async engines for the two supported databases: SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from hub_shared.db.inline_sqlite import InlineDBAPI


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, *, sqlite_cache_mb: int = 0, **kwargs: Any) -> AsyncEngine:
    """An engine tuned for its backend: WAL and statements on the loop's thread for SQLite
    (hub_shared.db.inline_sqlite), a pool for PostgreSQL.

    `sqlite_cache_mb`: SQLite's page cache per connection (0: SQLite's default, 2 MB)."""
    if is_sqlite(url):
        engine = create_async_engine(url, module=InlineDBAPI(), **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if sqlite_cache_mb > 0:
            event.listen(engine.sync_engine, "connect", _sqlite_cache(sqlite_cache_mb))
        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    # No ping per checkout: it is a round trip for every request (~15 % of ingest's CPU). A
    # connection that died (a database restart, a dropped link) fails its statement, the request
    # answers 503 (the EPJ retries) and SQLAlchemy drops every pooled connection older than the
    # failure; connections are also renewed before network gear forgets idle ones.
    kwargs.setdefault("pool_recycle", 1800)
    return create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; NORMAL sync is durable across process
    # crashes in WAL mode (only an OS crash can lose the last commits).
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # No busy handler inside SQLite: it would sleep with the event loop blocked. The adapter
    # waits for the write lock itself (hub_shared.db.inline_sqlite).
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def _sqlite_cache(megabytes: int) -> Any:
    def pragma(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA cache_size=-{int(megabytes) * 1024}")  # negative: in KiB
        cursor.close()

    return pragma


_WRITE_LOCKS: dict[int, asyncio.Lock] = {}


@contextlib.asynccontextmanager
async def write_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """One writing transaction at a time per SQLite file in this process.

    SQLite has one writer; concurrent transactions would otherwise wait in its busy handler,
    which sleeps in steps of up to 100 ms. Queuing them here costs nothing and keeps latency
    flat. PostgreSQL needs no such turn.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _WRITE_LOCKS.setdefault(id(engine.sync_engine), asyncio.Lock())
    async with lock:
        yield


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)
