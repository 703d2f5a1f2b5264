"""SQLite for the async engine without a thread hop per statement.

aiosqlite runs every call (cursor, execute, fetch, close, commit) on a worker thread and wakes the
event loop for each result: about 40 thread hand-offs per received message, which cost more than
the SQL itself (benchmarks/README.md). SQLite is an in-process library whose statements take
microseconds, so this driver module calls the standard `sqlite3` module directly on the event
loop's thread. It plugs into SQLAlchemy's aiosqlite dialect as its DBAPI module
(``create_async_engine(url, module=InlineDBAPI())``); cursors and commits are plain calls, so a
statement costs two greenlet switches instead of about ten.

What a thread gave for free is done here by hand:
- **Waiting for the write lock.** SQLite's own busy handler would sleep with the event loop
  blocked, and the holder of the lock (a task on this same loop) could never finish. The
  connections use ``busy_timeout=0``; a statement answered SQLITE_BUSY is retried after an
  ``asyncio.sleep`` (awaited from SQLAlchemy's greenlet) that lets the other task run, until
  `busy_timeout` seconds have passed.
- **Checkpoints.** A commit that crosses SQLite's WAL threshold copies the WAL back into the
  database file (and fsyncs it) inside that commit, with the loop blocked. A service runs
  a `Checkpointer` beside its writers (ServiceRuntime): it copies the WAL back often, on a thread
  and a connection of its own, so the commits' automatic checkpoints find little left to do.

The trade-off: a long read blocks the loop while it runs. The hub's queries are indexed lookups;
PostgreSQL remains the production database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.engine import make_url
from sqlalchemy.util import await_only

log = logging.getLogger(__name__)

_BUSY_FIRST_SLEEP = 0.0005
_BUSY_MAX_SLEEP = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_BUSY
    return "database is locked" in str(error)


def _patiently(call: Callable[[], Any], timeout: float) -> Any:
    """`call()`, retried while another writer holds the lock; the loop runs in between."""
    deadline = time.monotonic() + timeout
    pause = _BUSY_FIRST_SLEEP
    while True:
        try:
            return call()
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or time.monotonic() >= deadline:
                raise
        await_only(asyncio.sleep(pause))
        pause = min(pause * 2, _BUSY_MAX_SLEEP)


async def _await_once() -> None:
    """Awaited once per statement: SQLAlchemy's async engine refuses an execution that never
    awaited (AwaitRequired, its guard against a blocking driver). This one does, once."""


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """The adapter's buffered cursor, executing on this thread."""

    __slots__ = ()

    def execute(self, operation: Any, parameters: Sequence[Any] | None = None) -> Any:
        connection: _Connection = self._adapt_connection  # type: ignore[assignment]
        await_only(_await_once())
        cursor = connection.raw.cursor()
        try:
            args = (operation,) if parameters is None else (operation, parameters)
            _patiently(lambda: cursor.execute(*args), connection.busy_timeout)
            if cursor.description:
                self.description = cursor.description
                self.lastrowid = self.rowcount = -1
                self._rows = deque(cursor.fetchall())
            else:
                self.description = None
                self.lastrowid = cursor.lastrowid
                self.rowcount = cursor.rowcount
        finally:
            cursor.close()

    def executemany(self, operation: Any, seq_of_parameters: Iterable[Sequence[Any]]) -> Any:
        connection: _Connection = self._adapt_connection  # type: ignore[assignment]
        rows = list(seq_of_parameters)  # an iterator could not be replayed after SQLITE_BUSY
        await_only(_await_once())
        cursor = connection.raw.cursor()
        try:
            _patiently(lambda: cursor.executemany(operation, rows), connection.busy_timeout)
            self.description = None
            self.lastrowid = cursor.lastrowid
            self.rowcount = cursor.rowcount
        finally:
            cursor.close()


class _Connection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter over a plain sqlite3 connection."""

    __slots__ = ("busy_timeout", "raw")

    def __init__(self, dbapi: Any, raw: sqlite3.Connection, busy_timeout: float) -> None:
        super().__init__(dbapi, raw)  # type: ignore[arg-type]
        self.raw = raw
        self.busy_timeout = busy_timeout

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self.raw.isolation_level = value

    def create_function(self, *args: Any, **kw: Any) -> None:
        self.raw.create_function(*args, **kw)

    def cursor(self, server_side: bool = False) -> _Cursor:  # type: ignore[override]
        if server_side:
            raise NotImplementedError("server-side cursors are not supported on inline SQLite")
        return _Cursor(self)

    def execute(self, *args: Any, **kw: Any) -> Any:
        return self.raw.execute(*args, **kw)

    def rollback(self) -> None:
        self.raw.rollback()

    def commit(self) -> None:
        _patiently(self.raw.commit, self.busy_timeout)

    def close(self) -> None:
        self.raw.close()

    async def _terminate_graceful_close(self) -> None:
        self.raw.close()

    def _terminate_force_close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.raw.close()


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module for SQLAlchemy's aiosqlite dialect: connections run on this thread."""

    def __init__(self, busy_timeout: float = 30.0) -> None:
        super().__init__(_ErrorNames, sqlite3)
        self.has_stop = True
        self.busy_timeout = busy_timeout

    def connect(self, *args: Any, **kw: Any) -> _Connection:  # type: ignore[override]
        kw.pop("async_fallback", None)
        kw.pop("async_creator_fn", None)
        # No busy handler inside SQLite (see the module's docstring). The pool may hand a
        # connection to another thread; SQLAlchemy serialises the use of a connection anyway.
        kw.update(timeout=0, check_same_thread=False)
        return _Connection(self, sqlite3.connect(*args, **kw), self.busy_timeout)


class _ErrorNames:
    """The exception classes the dialect reads off the driver: sqlite3's own."""

    DatabaseError = sqlite3.DatabaseError
    Error = sqlite3.Error
    IntegrityError = sqlite3.IntegrityError
    NotSupportedError = sqlite3.NotSupportedError
    OperationalError = sqlite3.OperationalError
    ProgrammingError = sqlite3.ProgrammingError
    sqlite_version = sqlite3.sqlite_version
    sqlite_version_info = sqlite3.sqlite_version_info

    class Connection:  # the dialect checks the driver for stop() (aiosqlite 0.22+)
        stop = None


def sqlite_file(url: str) -> str | None:
    """The database file of an SQLite URL; None for another database or an in-memory one."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return None if not database or database == ":memory:" else database


class Checkpointer:
    """Copies the WAL back into the database file every `every` seconds, so that commits seldom
    pay for it. PASSIVE: never waits for, nor blocks, a writer.

    It runs on a thread of its own that alone opens, uses and closes its connection: closing an
    sqlite3 connection while another thread is inside one of its calls can crash the process, so
    the connection never crosses threads (stop() asks the thread to finish and waits for it).
    """

    def __init__(self, path: str, *, every: float = 1.0) -> None:
        self._path = path
        self._every = every
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoints", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        with contextlib.closing(sqlite3.connect(self._path, timeout=0)) as connection:
            while not self._stopping.wait(self._every):
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as error:  # a busy moment; the next round catches up
                    log.debug("checkpoint skipped: %s", error)
