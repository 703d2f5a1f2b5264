"""The unit of work: one transaction for a use case's state change and the events it causes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import cache
from types import TracebackType
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from hub_shared.db.engine import write_turn
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.outbox import OutboxSignal, outbox_row

T = TypeVar("T")


class UnitOfWork:
    """`async with uow:` opens a transaction; `commit()` makes state and events durable together."""

    def __init__(
        self,
        sessionmaker: AsyncEngine | async_sessionmaker,
        outbox: sa.Table,
        *,
        source: str,
        signal: OutboxSignal | None = None,
        message_log: sa.Table | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self.message_log = message_log
        self._outbox = outbox
        self._signal = signal
        self.source = source
        # With an engine, a Core connection: every repository speaks SQLAlchemy Core, and the
        # hot path saves the ORM session's bookkeeping (about a third of a request's time).
        self.session: AsyncConnection | AsyncSession
        self._events = 0
        self._staged: dict[sa.Table, list[dict]] = {}
        self._scoped: dict[Callable[..., Any], Any] = {}
        self._turn: contextlib.AbstractAsyncContextManager[None] | None = None

    async def __aenter__(self) -> UnitOfWork:
        if isinstance(self._sessionmaker, AsyncEngine):
            self._turn = write_turn(self._sessionmaker)
            await self._turn.__aenter__()
            self.session = await self._sessionmaker.connect()
        else:
            self.session = self._sessionmaker()
        self._events = 0
        self._staged = {}
        self._scoped = {}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # A scoped repository refers back to this unit of work: let go of it here, so that the
        # pair is freed when the transaction ends rather than left to the cycle collector.
        self._scoped = {}
        try:
            # Closing rolls back whatever was not committed (a connection and a session alike).
            await self.session.close()
        finally:
            if self._turn is not None:
                await self._turn.__aexit__(exc_type, exc, tb)
                self._turn = None

    def scoped(self, factory: Callable[[UnitOfWork], T]) -> T:
        """The one `factory(self)` of this transaction: a repository whose identity map lives
        as long as the transaction, shared by every message of a group commit."""
        found = self._scoped.get(factory)
        if found is None:
            found = self._scoped[factory] = factory(self)
        return found

    async def publish(self, data: EventData, *, subject: str) -> Envelope:
        """Record an event in the outbox, inside this transaction."""
        envelope = self.stage(data, subject=subject)
        await self.flush()
        return envelope

    def stage(self, data: EventData, *, subject: str) -> Envelope:
        """Record an event as `publish` does, but write it with the next publish, flush or commit,
        together with the other staged events (one statement for many). The outbox order is the
        order of the calls; the trace context is the current one at this call."""
        envelope = Envelope.wrap(data, subject=subject, source=self.source)
        self.stage_row(self._outbox, outbox_row(envelope, data.TOPIC))
        self._events += 1
        return envelope

    def stage_row(self, table: sa.Table, row: dict) -> None:
        """Insert a row with the next flush or commit, in one statement with the table's other
        staged rows. Whoever reads the table in this transaction flushes first."""
        self._staged.setdefault(table, []).append(row)

    async def flush(self) -> None:
        """Write the staged rows, table by table, each table's in the order they were staged."""
        staged, self._staged = self._staged, {}
        for table, rows in staged.items():
            await self.session.execute(_insert(table), rows)

    async def commit(self) -> None:
        await self.flush()
        await self.session.commit()
        self._scoped = {}  # what they hold was this transaction's; the next one reads anew
        if self._events and self._signal is not None:
            self._signal.notify()
        self._events = 0

    async def rollback(self) -> None:
        self._staged = {}
        self._scoped = {}
        self._events = 0
        await self.session.rollback()


@cache
def _insert(table: sa.Table) -> sa.Insert:
    # Built once per table: building a statement costs more than running it on SQLite.
    return table.insert()
