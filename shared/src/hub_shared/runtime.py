"""What runs beside a service's HTTP app: the outbox relay and its event consumers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from hub_shared.consumer import BatchHandler, EventHandler, IdempotentConsumer
from hub_shared.db import make_engine, make_sessionmaker
from hub_shared.db.inline_sqlite import Checkpointer, sqlite_file
from hub_shared.db.uow import UnitOfWork
from hub_shared.outbox import OutboxRelay, OutboxSignal
from hub_shared.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    """A service's database, outbox relay and consumers, started and stopped together."""

    settings: ServiceSettings
    outbox_table: sa.Table
    engine: AsyncEngine = field(init=False)
    sessionmaker: async_sessionmaker = field(init=False)
    signal: OutboxSignal = field(default_factory=OutboxSignal)
    relay: OutboxRelay = field(init=False)
    consumers: list[IdempotentConsumer] = field(default_factory=list)
    run_background: bool = True
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _checkpoints: Checkpointer | None = None

    def __post_init__(self) -> None:
        self.engine = make_engine(
            self.settings.resolved_database_url(), sqlite_cache_mb=self.settings.sqlite_cache_mb
        )
        self.sessionmaker = make_sessionmaker(self.engine)
        self.relay = OutboxRelay(
            self.engine,
            self.outbox_table,
            self.settings.kafka,
            signal=self.signal,
            poll_seconds=self.settings.relay_poll_seconds,
            linger_seconds=self.settings.relay_linger_ms / 1000,
            name=self.settings.service_name,
            retention=_retention(self.settings.outbox_retention_hours),
        )

    def uow(self, *, source: str, message_log: sa.Table | None = None) -> UnitOfWork:
        """A unit of work on this service's database whose events wake the relay."""
        return UnitOfWork(
            self.engine,
            self.outbox_table,
            source=source,
            signal=self.signal,
            message_log=message_log,
        )

    def add_consumer(
        self,
        *,
        name: str,
        topics: tuple[str, ...],
        handler: EventHandler,
        processed: sa.Table,
        source: str,
        batch_handler: BatchHandler | None = None,
        message_log: sa.Table | None = None,
    ) -> IdempotentConsumer:
        """Subscribe a handler (in consumer group `name`); it runs when the runtime starts.
        `batch_handler`, when given, applies each fetched batch in one transaction;
        `message_log`, when given, is the handler's `uow.message_log`."""
        consumer = IdempotentConsumer(
            name=name,
            topics=topics,
            handler=handler,
            uow_factory=lambda: self.uow(source=source, message_log=message_log),
            processed=processed,
            kafka=self.settings.kafka,
            batch_handler=batch_handler,
        )
        self.consumers.append(consumer)
        return consumer

    async def start(self) -> None:
        if not self.run_background:
            return
        self._tasks.append(asyncio.create_task(self.relay.run(self._stop), name="outbox-relay"))
        database_file = sqlite_file(self.settings.resolved_database_url())
        if database_file is not None:
            # Commits find the WAL already copied back: their own checkpoint has little to do.
            self._checkpoints = Checkpointer(database_file, every=0.25)
            self._checkpoints.start()
        for consumer in self.consumers:
            self._tasks.append(asyncio.create_task(consumer.run(self._stop), name=consumer.name))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._checkpoints is not None:
            await asyncio.to_thread(self._checkpoints.stop)
            self._checkpoints = None
        await self.engine.dispose()

    async def broker_ok(self, timeout: float = 1.0) -> bool:
        """Whether a bootstrap broker accepts a connection (the relay's state says the rest)."""
        for server in self.settings.kafka.bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                _reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, int(port)), timeout
                )
            except (OSError, TimeoutError, ValueError):
                continue
            writer.close()
            return True
        return False

    async def database_ok(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except Exception:
            log.warning("database check failed", exc_info=True)
            return False


def _retention(hours: float) -> timedelta | None:
    return timedelta(hours=hours) if hours > 0 else None
