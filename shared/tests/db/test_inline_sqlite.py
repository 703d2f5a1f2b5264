"""The SQLite adapter that runs statements on the event loop's thread (hub_shared.db.inline_sqlite).

Two engines on one file stand for two writers that do not share the in-process write turn: the
second must wait for the first's lock with the loop free, then go through; a lock held past the
timeout must fail the waiter, not hang it."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from hub_shared.db import make_engine
from hub_shared.db.inline_sqlite import Checkpointer, InlineDBAPI, sqlite_file

NOTES = sa.Table("notes", sa.MetaData(), sa.Column("n", sa.Integer, primary_key=True))


async def _engines(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'inline.db'}"
    first, second = make_engine(url), make_engine(url)
    async with first.begin() as conn:
        await conn.run_sync(NOTES.metadata.create_all)
    return first, second


async def test_a_writer_waits_for_the_lock_without_blocking_the_loop(tmp_path: Path) -> None:
    first, second = await _engines(tmp_path)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    clock = asyncio.create_task(ticker())
    try:
        async with first.connect() as holder:
            await holder.execute(NOTES.insert(), {"n": 1})  # takes the write lock
            waiter = asyncio.create_task(_insert(second, 2))
            await asyncio.sleep(0.3)
            assert not waiter.done(), "the second writer went through a held lock"
            ticks_while_waiting = ticks
            await holder.commit()
        await asyncio.wait_for(waiter, 5)
    finally:
        clock.cancel()
    assert ticks_while_waiting >= 20, f"the loop stalled while a writer waited ({ticks} ticks)"
    async with second.connect() as conn:
        assert (await conn.execute(sa.select(NOTES.c.n).order_by(NOTES.c.n))).scalars().all() == [
            1,
            2,
        ]
    await first.dispose()
    await second.dispose()


async def test_a_lock_held_past_the_timeout_fails_the_waiter(tmp_path: Path) -> None:
    path = tmp_path / "inline.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE notes (n INTEGER PRIMARY KEY)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", module=InlineDBAPI(busy_timeout=0.2)
    )
    started = time.monotonic()
    with pytest.raises(OperationalError, match="locked"):
        await asyncio.wait_for(_insert(engine, 1), 5)
    assert time.monotonic() - started >= 0.2  # it waited its time, then gave up
    holder.rollback()
    await _insert(engine, 1)
    await engine.dispose()
    assert holder.execute("SELECT n FROM notes").fetchall() == [(1,)]
    holder.close()


async def test_errors_other_than_busy_are_raised_at_once(tmp_path: Path) -> None:
    first, _second = await _engines(tmp_path)
    await _insert(first, 1)
    with pytest.raises(sa.exc.IntegrityError):
        await _insert(first, 1)
    with pytest.raises(OperationalError, match="no such table"):
        async with first.connect() as conn:
            await conn.execute(sa.text("SELECT * FROM missing"))
    await first.dispose()


async def _insert(engine, n: int) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as conn:
        await conn.execute(NOTES.insert(), {"n": n})


def test_the_checkpointer_copies_the_wal_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "wal.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # only the checkpointer copies pages back
    writer.execute("CREATE TABLE notes (n INTEGER PRIMARY KEY)")
    writer.executemany("INSERT INTO notes VALUES (?)", [(n,) for n in range(100)])

    def in_file_itself() -> int:  # the database file alone, its WAL ignored
        uri = f"file:{path}?immutable=1"
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            return conn.execute("SELECT count(*) FROM notes").fetchone()[0] if tables else 0

    assert in_file_itself() == 0
    checkpoints = Checkpointer(str(path), every=0.05)
    checkpoints.start()
    time.sleep(0.5)
    checkpoints.stop()
    assert in_file_itself() == 100
    writer.close()


def test_the_checkpointer_stops_cleanly_in_the_middle_of_its_work(tmp_path: Path) -> None:
    """Regression: the connection was closed on another thread while a checkpoint ran on it,
    which crashed the process (SIGSEGV) when a service stopped at the wrong moment."""
    path = tmp_path / "busy.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE notes (n INTEGER PRIMARY KEY)")
    for round_ in range(40):
        checkpoints = Checkpointer(str(path), every=0.0)  # checkpoints back to back
        checkpoints.start()
        writer.executemany(
            "INSERT INTO notes VALUES (?)", [(round_ * 100 + n,) for n in range(100)]
        )
        checkpoints.stop()
        names = [thread.name for thread in threading.enumerate()]
        assert "sqlite-checkpoints" not in names
    assert writer.execute("SELECT count(*) FROM notes").fetchone()[0] == 4000
    writer.close()


def test_sqlite_file_of_a_url() -> None:
    assert sqlite_file("sqlite+aiosqlite:////var/hub/billing.db") == "/var/hub/billing.db"
    assert sqlite_file("sqlite+aiosqlite://") is None
    assert sqlite_file("postgresql+asyncpg://hub@db/hub") is None
