"""SQLite for the async engine without a thread hop per statement.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a worker thread and wakes the
event loop for each result: about 40 thread hand-offs per received message, which cost more than
the SQL itself (benchmarks/README.md). SQLite is an in-process library whose statements take
microseconds, so this adapter calls the standard `sqlite3` module directly on the event loop's
thread, behind the awaitable interface SQLAlchemy's aiosqlite dialect expects
(``create_async_engine(..., async_creator=...)``).

What a thread gave for free is done here by hand:
- **Waiting for the write lock.** SQLite's own busy handler would sleep with the event loop
  blocked, and the holder of the lock (a task on this same loop) could never finish. The
  connections use ``busy_timeout=0``; a statement answered SQLITE_BUSY is retried after an
  ``asyncio.sleep`` that lets the other task run, until `busy_timeout` seconds have passed.
- **Checkpoints.** A commit that crosses SQLite's WAL threshold copies the WAL back into the
  database file (and fsyncs it) inside that commit, with the loop blocked. A service runs
  `checkpointer` beside its writers (ServiceRuntime): it copies the WAL back often, on a thread
  and a connection of its own, so the commits' automatic checkpoints find little left to do.

The trade-off: a long read blocks the loop while it runs. The hub's queries are indexed lookups;
PostgreSQL remains the production database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

_BUSY_FIRST_SLEEP = 0.0005
_BUSY_MAX_SLEEP = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_BUSY
    return "database is locked" in str(error)


class _Busy:
    """Retries a call that met another writer's lock, yielding the loop between attempts."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    async def run(self, call: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + self.timeout
        pause = _BUSY_FIRST_SLEEP
        while True:
            try:
                return call()
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, _BUSY_MAX_SLEEP)


class InlineCursor:
    """The awaitable cursor interface SQLAlchemy's aiosqlite adapter calls."""

    def __init__(self, cursor: sqlite3.Cursor, busy: _Busy) -> None:
        self._cursor = cursor
        self._busy = busy

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        if parameters is None:
            await self._busy.run(lambda: self._cursor.execute(sql))
        else:
            await self._busy.run(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # an iterator could not be replayed after SQLITE_BUSY
        await self._busy.run(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size) if size is not None else self._cursor.fetchmany()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class _ImmediateQueue:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation level:
    the call runs at once, on this thread."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def put_nowait(self, item: tuple[asyncio.Future, Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite does
            future.set_exception(error)


class InlineConnection:
    """An sqlite3 connection with aiosqlite's awaitable interface, run on the calling thread."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout: float) -> None:
        self._conn = connection
        self._tx = _ImmediateQueue(connection)
        self._busy = _Busy(busy_timeout)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor(), self._busy)

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> InlineCursor:
        return await (await self.cursor()).execute(sql, parameters)

    async def commit(self) -> None:
        await self._busy.run(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        self._conn.close()

    def stop(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def sqlite_file(url: str) -> str | None:
    """The database file of an SQLite URL; None for another database or an in-memory one."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return None if not database or database == ":memory:" else database


def inline_creator(path: str, *, busy_timeout: float = 30.0) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine``: connections to the SQLite file `path`."""

    async def connect() -> InlineConnection:
        # The pool may hand a connection to another thread (Alembic's run_sync stays on this
        # one, but nothing guarantees it); SQLAlchemy serialises use of a connection anyway.
        connection = sqlite3.connect(path, timeout=0, check_same_thread=False)
        return InlineConnection(connection, busy_timeout)

    return connect


async def checkpointer(path: str, *, every: float = 1.0, stop: asyncio.Event | None = None) -> None:
    """Copy the WAL back into the database file every `every` seconds, on a thread and a
    connection of its own, so that commits seldom pay for it. PASSIVE: never waits for, nor
    blocks, a writer."""
    stop = stop or asyncio.Event()
    connection = await asyncio.to_thread(sqlite3.connect, path, timeout=0, check_same_thread=False)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
            try:
                await asyncio.to_thread(connection.execute, "PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as error:  # a busy moment; the next round catches up
                log.debug("checkpoint skipped: %s", error)
    finally:
        connection.close()
