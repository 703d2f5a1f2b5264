"""The unit of work: state and events are durable together, or not at all."""

from __future__ import annotations

import gc
import weakref
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from hub_shared.db import add_infrastructure_tables, make_engine
from hub_shared.db.uow import UnitOfWork
from hub_shared.events.envelope import EventData
from hub_shared.outbox import OutboxSignal


class Noted(EventData):
    EVENT_TYPE = "Noted"
    TOPIC = "test.noted"

    n: int


metadata = sa.MetaData()
outbox, _processed = add_infrastructure_tables(metadata)
notes = sa.Table("notes", metadata, sa.Column("n", sa.Integer, primary_key=True))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def _counts(engine: AsyncEngine) -> tuple[int, int]:
    async with engine.connect() as conn:
        stored = (await conn.execute(sa.select(sa.func.count()).select_from(notes))).scalar_one()
        events = (await conn.execute(sa.select(sa.func.count()).select_from(outbox))).scalar_one()
    return stored, events


async def _note(uow: UnitOfWork, n: int) -> None:
    await uow.session.execute(sa.insert(notes).values(n=n))
    await uow.publish(Noted(n=n), subject=f"stay-{n}")


async def test_what_is_not_committed_is_gone_with_its_events(engine: AsyncEngine) -> None:
    async with UnitOfWork(engine, outbox, source="/test") as uow:
        await _note(uow, 1)
    assert await _counts(engine) == (0, 0)


async def test_an_error_inside_leaves_nothing_behind(engine: AsyncEngine) -> None:
    with pytest.raises(RuntimeError):
        async with UnitOfWork(engine, outbox, source="/test") as uow:
            await _note(uow, 2)
            raise RuntimeError("the use case failed")
    assert await _counts(engine) == (0, 0)
    async with UnitOfWork(engine, outbox, source="/test") as uow:  # the writer's turn is free
        await _note(uow, 2)
        await uow.commit()
    assert await _counts(engine) == (1, 1)


class CountingSignal(OutboxSignal):
    def __init__(self) -> None:
        super().__init__()
        self.notified = 0

    def notify(self) -> None:
        self.notified += 1
        super().notify()


async def test_a_commit_keeps_state_and_events_and_wakes_the_relay(engine: AsyncEngine) -> None:
    signal = CountingSignal()
    async with UnitOfWork(engine, outbox, source="/test", signal=signal) as uow:
        await _note(uow, 3)
        uow.stage(Noted(n=4), subject="stay-3")
        await uow.commit()
    assert await _counts(engine) == (1, 2)
    assert signal.notified == 1
    async with UnitOfWork(engine, outbox, source="/test", signal=signal) as uow:
        await _note(uow, 5)  # not committed: the relay has nothing new to look for
    assert signal.notified == 1


class _Repository:
    """A repository that refers back to its unit of work, as a scoped one does."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow


async def test_a_scoped_repository_is_one_per_transaction_and_freed_with_it(
    engine: AsyncEngine,
) -> None:
    uow = UnitOfWork(engine, outbox, source="/test")
    async with uow:
        first = uow.scoped(_Repository)
        assert uow.scoped(_Repository) is first
        gone = weakref.ref(first)
        del first
    async with uow:
        assert gone() is None  # freed at the end of its transaction, not by the cycle collector
        assert uow.scoped(_Repository).uow is uow  # a new one for the new transaction


async def test_a_repository_and_its_unit_of_work_leave_no_garbage_cycle(
    engine: AsyncEngine,
) -> None:
    collecting = gc.isenabled()
    gc.disable()  # garbage left to the cycle collector stays put, where this test sees it
    try:
        gc.collect()
        uow = UnitOfWork(engine, outbox, source="/test")
        async with uow:
            uow.scoped(_Repository)
        left = weakref.ref(uow)
        del uow
        assert left() is None
    finally:
        if collecting:
            gc.enable()
