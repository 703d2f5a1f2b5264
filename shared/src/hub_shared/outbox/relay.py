"""The outbox relay: publishes committed events to Kafka in order and marks them sent.

At-least-once: an event is marked sent only after the broker acknowledged it, so a crash between
the two re-sends it and consumers drop the duplicate by event id. While the broker is away the
relay keeps retrying with backoff; the events wait safely in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from opentelemetry import propagate, trace
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from hub_shared.db.engine import write_turn
from hub_shared.events import topics
from hub_shared.kafka import ensure_topics, make_producer
from hub_shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from hub_shared.settings import KafkaSettings

log = logging.getLogger(__name__)
tracer = trace.get_tracer("hub_shared.outbox")


class OutboxSignal:
    """Wakes the relay as soon as a transaction with events commits, instead of waiting a poll."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout)
        self._event.clear()


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        outbox: sa.Table,
        kafka: KafkaSettings,
        *,
        signal: OutboxSignal | None = None,
        poll_seconds: float = 0.5,
        linger_seconds: float = 0.005,
        batch_size: int = 200,
        max_backoff: float = 5.0,
        name: str = "relay",
        broker_check_seconds: float = 5.0,
        retention: timedelta | None = None,
        prune_every_seconds: float = 600.0,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.kafka = kafka
        self.signal = signal or OutboxSignal()
        self.poll_seconds = poll_seconds
        self.linger_seconds = linger_seconds
        self.batch_size = batch_size
        self.max_backoff = max_backoff
        self.producer: AIOKafkaProducer | None = None
        self.last_error: str | None = None
        self.published = 0
        self.republished = 0
        # A topic of this relay's own: if the broker lacks it, the broker lacks our events too.
        self.marker_topic = f"_hub.relay.{name}"
        self.broker_check_seconds = broker_check_seconds
        self._checked_at = 0.0
        self.name = name
        self._leadership: AsyncConnection | None = None
        self._lock_key = 0
        # Published events kept for republishing to a fresh broker; None keeps them all.
        self.retention = retention
        self.prune_every_seconds = prune_every_seconds
        self._pruned_at = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        while not stop.is_set():
            try:
                if not await self._lead():
                    await asyncio.sleep(self.poll_seconds * 4)  # another replica publishes
                    continue
                if time.monotonic() - self._checked_at > self.broker_check_seconds:
                    await self.check_broker()
                sent = await self.publish_pending()
                if time.monotonic() - self._pruned_at > self.prune_every_seconds:
                    await self.prune()
                self.last_error = None
                backoff = 0.1
                if sent < self.batch_size:
                    await self.signal.wait(self.poll_seconds)
                    # Let the events of the next few commits join this batch (Kafka's linger.ms):
                    # a relay cycle per commit cost as much as storing the message.
                    await asyncio.sleep(self.linger_seconds)
            except asyncio.CancelledError:
                break
            except Exception as exc:  # broker or database away: wait and try again
                self.last_error = type(exc).__name__
                log.warning("outbox relay: %s; retrying in %.1fs", type(exc).__name__, backoff)
                await self._drop_producer()
                await self._resign()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
        await self._drop_producer()
        await self._resign()

    async def _lead(self) -> bool:
        """On PostgreSQL, only the replica holding the relay's advisory lock publishes, so one
        stay's events leave in commit order; the lock goes with its connection if the holder
        dies. SQLite is one process: always the leader."""
        if self.engine.dialect.name != "postgresql":
            return True
        if self._leadership is not None and not self._leadership.closed:
            return True
        connection = await self.engine.connect()
        key = self._lock_key = int.from_bytes(
            hashlib.sha256(f"outbox-relay:{self.name}".encode()).digest()[:8], "big", signed=True
        )
        got = (await connection.execute(sa.select(sa.func.pg_try_advisory_lock(key)))).scalar()
        await connection.commit()
        if got:
            self._leadership = connection
            log.info("outbox relay %s: this replica publishes", self.name)
            return True
        await connection.close()
        return False

    async def _resign(self) -> None:
        leadership, self._leadership = self._leadership, None
        if leadership is not None:
            try:
                await leadership.execute(sa.select(sa.func.pg_advisory_unlock(self._lock_key)))
                await leadership.commit()
                await leadership.close()
            except Exception:  # the session is gone, and its lock with it
                with contextlib.suppress(Exception):
                    await leadership.invalidate()

    async def publish_pending(self) -> int:
        """Publish one batch of unsent events in commit order; returns how many were sent."""
        rows = await self._pending()
        if not rows:
            return 0
        producer = await self._producer()
        futures = [await producer.send(**self._record(row)) for row in rows]
        # All futures resolve or the first failure raises; nothing after a failure is marked.
        await asyncio.gather(*futures)
        await self._mark_sent([row.seq for row in rows])
        self.published += len(rows)
        for row in rows:
            OUTBOX_PUBLISHED.labels(row.topic).inc()
        return len(rows)

    async def check_broker(self) -> int:
        """Republish everything if the broker is not the one we published to (e.g. a fresh
        broker after a loss): its marker topic is gone, and with it our events. Returns how many
        events were queued again."""
        created = await ensure_topics(self.kafka, [*topics.with_dlqs(), self.marker_topic])
        self._checked_at = time.monotonic()
        if self.marker_topic not in created:
            return 0
        async with self.engine.begin() as conn:
            result = await conn.execute(
                sa.update(self.outbox)
                .where(self.outbox.c.sent_at.is_not(None))
                .values(sent_at=None)
            )
        if result.rowcount:
            log.warning(
                "broker lacks this relay's events (new broker?): republishing %d", result.rowcount
            )
            self.republished += result.rowcount
        return result.rowcount or 0

    async def prune(self, chunk: int = 5_000) -> int:
        """Delete events published longer ago than the retention; returns how many.

        Unsent events are never deleted. What is kept is what a fresh broker gets again
        (`check_broker`), so the retention should cover the topics' own retention on the
        broker. Deleted in chunks, each a short transaction, so writers are not held up."""
        self._pruned_at = time.monotonic()
        if self.retention is None:
            return 0
        cutoff = datetime.now(UTC) - self.retention
        old = (
            sa.select(self.outbox.c.seq)
            .where(self.outbox.c.sent_at.is_not(None), self.outbox.c.sent_at < cutoff)
            .limit(chunk)
            .scalar_subquery()
        )
        deleted = 0
        while True:
            async with write_turn(self.engine), self.engine.begin() as conn:
                result = await conn.execute(
                    sa.delete(self.outbox).where(self.outbox.c.seq.in_(old))
                )
            deleted += result.rowcount or 0
            if (result.rowcount or 0) < chunk:
                break
        if deleted:
            log.info("outbox: %d events published before %s deleted", deleted, cutoff.isoformat())
        return deleted

    async def backlog(self) -> int:
        async with self.engine.connect() as conn:
            query = sa.select(sa.func.count()).where(self.outbox.c.sent_at.is_(None))
            count = int((await conn.execute(query)).scalar_one())
        OUTBOX_BACKLOG.set(count)
        return count

    async def _pending(self) -> Sequence[sa.Row]:
        query = (
            sa.select(self.outbox)
            .where(self.outbox.c.sent_at.is_(None))
            .order_by(self.outbox.c.seq)
            .limit(self.batch_size)
        )
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).all()

    async def _mark_sent(self, seqs: list[int]) -> None:
        async with write_turn(self.engine), self.engine.begin() as conn:
            await conn.execute(
                sa.update(self.outbox)
                .where(self.outbox.c.seq.in_(seqs))
                .values(sent_at=datetime.now(UTC))
            )

    def _record(self, row: sa.Row) -> dict:
        parent = propagate.extract(json.loads(row.headers))
        with tracer.start_as_current_span(
            f"{row.topic} publish",
            context=parent,
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.destination.name": row.topic, "hub.stay_id": row.key},
        ):
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
        headers = [(k, v.encode()) for k, v in carrier.items()]
        headers.append(("event-id", row.event_id.encode()))
        return {
            "topic": row.topic,
            "key": row.key.encode(),
            "value": row.payload.encode(),
            "headers": headers,
        }

    async def _producer(self) -> AIOKafkaProducer:
        if self.producer is None:
            producer = make_producer(self.kafka)
            await producer.start()
            self.producer = producer
        return self.producer

    async def _drop_producer(self) -> None:
        producer, self.producer = self.producer, None
        if producer is not None:
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except Exception:  # already broken; nothing more to release
                log.debug("producer stop failed", exc_info=True)
