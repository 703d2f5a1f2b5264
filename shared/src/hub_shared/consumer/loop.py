"""Idempotent consumer: each event's effect and its id are committed in one transaction, and the
Kafka offset only after that. A redelivered event finds its id recorded and changes nothing.

A service whose handler can take several events at once (a `BatchHandler`) gets each partition's
fetched records in one transaction: the effects and ids of all of them commit together, then the
offset. When such a batch fails, its records are applied again one by one, so that a poison event
is found and dead-lettered alone and the others are applied as usual. Every event keeps its own
span, a child of the publisher's, whether it was applied alone or in a batch.

A poison event (one the handler keeps failing on) goes to `<topic>.dlq` with the error after a bounded
number of tries, so that it does not block its partition. A transient failure (database or broker
away) is retried without end and never sent to the DLQ: it is not the event's fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, datetime

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from opentelemetry import propagate, trace
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub_shared.db.uow import UnitOfWork
from hub_shared.events import topics as topic_names
from hub_shared.events.envelope import Envelope
from hub_shared.kafka import make_consumer, make_producer
from hub_shared.metrics import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED
from hub_shared.settings import KafkaSettings
from hub_shared.telemetry.redact import redact

log = logging.getLogger(__name__)
tracer = trace.get_tracer("hub_shared.consumer")

# A handler applies one event inside the unit of work (and may publish events of its own there).
EventHandler = Callable[[UnitOfWork, Envelope], Awaitable[None]]
# A batch handler applies several events (of one partition, in order, none seen before) in one
# unit of work, with the same effect as applying them one after another.
BatchHandler = Callable[[UnitOfWork, Sequence[Envelope]], Awaitable[None]]

_ID_CHUNK = 500  # ids per IN (...) query: far below SQLite's and PostgreSQL's parameter limits
_BATCH_SPANS: ContextVar[dict[str, trace.Span] | None] = ContextVar("hub_batch_spans", default=None)


@contextlib.contextmanager
def span_of(event_id: str | None) -> Iterator[None]:
    """In a batch handler: make the span of one of the batch's events current, so that what is
    published now continues that event's trace (as the one-by-one path does by itself).
    Elsewhere, or for an id not in the batch, it changes nothing."""
    span = (_BATCH_SPANS.get() or {}).get(event_id or "")
    if span is None:
        yield
        return
    with trace.use_span(span, end_on_exit=False):
        yield


def is_transient(exc: BaseException) -> bool:
    """Failures of the infrastructure, not of the event: retry them, never dead-letter."""
    if isinstance(exc, IntegrityError):
        return False
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or "locked" in str(exc.orig).lower() or _is_os(exc)
    return isinstance(exc, OSError | TimeoutError | ConnectionError)


def _is_os(exc: DBAPIError) -> bool:
    return isinstance(exc.orig, OSError | ConnectionError)


class PoisonEvent(Exception):
    """The record cannot be an event at all (not JSON, not an envelope)."""


class IdempotentConsumer:
    def __init__(
        self,
        *,
        name: str,
        topics: tuple[str, ...],
        handler: EventHandler,
        uow_factory: Callable[[], UnitOfWork],
        processed: sa.Table,
        kafka: KafkaSettings,
        max_attempts: int | None = None,
        batch_handler: BatchHandler | None = None,
    ) -> None:
        self.name = name
        self.topics = topics
        self.handler = handler
        self.batch_handler = batch_handler
        self.uow_factory = uow_factory
        self.processed = processed
        self.kafka = kafka
        self.max_attempts = max_attempts or kafka.consumer_max_attempts
        self.handled = 0
        self.dead_lettered = 0
        self.consumer: AIOKafkaConsumer | None = None
        self._dlq: AIOKafkaProducer | None = None

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.2
        while not stop.is_set():
            try:
                await self._consume(stop)
            except asyncio.CancelledError:
                break
            except Exception as exc:  # broker away: reconnect with backoff, offsets are safe
                log.warning("consumer %s: %s; reconnecting", self.name, type(exc).__name__)
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        await self._close()

    async def _consume(self, stop: asyncio.Event) -> None:
        self.consumer = make_consumer(self.kafka, self.name, *self.topics)
        await self.consumer.start()
        limit = self.kafka.consumer_max_records
        while not stop.is_set():
            batches = await self.consumer.getmany(timeout_ms=200, max_records=limit)
            for tp, records in batches.items():
                await self.handle_records(records)
                await self.consumer.commit({tp: records[-1].offset + 1})
                self._report_lag(tp, records[-1].offset + 1)
            limit = self._next_limit(sum(map(len, batches.values())))

    def _next_limit(self, polled: int) -> int:
        """Records to ask for next: more while the consumer is behind (a poll brought at least
        the usual number), the usual number once it has caught up."""
        usual = self.kafka.consumer_max_records
        return max(self.kafka.consumer_catch_up_records, usual) if polled >= usual else usual

    def _report_lag(self, tp: TopicPartition, committed: int) -> None:
        assert self.consumer is not None
        highwater = self.consumer.highwater(tp)
        if highwater is not None:  # Tansu's high watermark is unreliable (ARCHITECTURE.md)
            lag = max(0, highwater - committed)
            CONSUMER_LAG.labels(self.name, tp.topic, str(tp.partition)).set(lag)

    async def handle_records(self, records: Sequence[ConsumerRecord]) -> None:
        """Apply records of one partition, in order: together in one transaction when the handler
        takes batches, else (or when the batch fails) one by one."""
        if self.batch_handler is None or len(records) < 2:
            for record in records:
                await self.handle_record(record)
            return
        try:
            await self._apply_batch(records)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "consumer %s: a batch of %d failed (%s); applying them one by one",
                self.name,
                len(records),
                type(exc).__name__,
            )
            for record in records:
                await self.handle_record(record)
            return
        self.handled += len(records)
        for record in records:
            EVENTS_CONSUMED.labels(self.name, record.topic).inc()

    async def handle_record(self, record: ConsumerRecord) -> None:
        """Apply one record exactly once, or dead-letter it after bounded tries."""
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._apply(record)
                self.handled += 1
                EVENTS_CONSUMED.labels(self.name, record.topic).inc()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient(exc):
                    log.warning("consumer %s: transient %s", self.name, type(exc).__name__)
                    await asyncio.sleep(min(0.2 * attempt, 5.0))
                    attempt -= 1
                    continue
                if isinstance(exc, PoisonEvent) or attempt >= self.max_attempts:
                    await self._dead_letter(record, exc)
                    return
                await asyncio.sleep(0.05 * attempt)

    async def _apply(self, record: ConsumerRecord) -> None:
        envelope = _envelope(record)
        parent = propagate.extract({k: v.decode() for k, v in record.headers or ()})
        with tracer.start_as_current_span(
            f"{record.topic} process {envelope.type}",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.name,
                "hub.event_type": envelope.type,
                "hub.stay_id": envelope.subject,
            },
        ):
            async with self.uow_factory() as uow:
                if await self._seen(uow.session, envelope):
                    return
                await self.handler(uow, envelope)
                await uow.session.execute(
                    sa.insert(self.processed).values(
                        consumer=self.name,
                        event_id=str(envelope.id),
                        processed_at=datetime.now(UTC),
                    )
                )
                await uow.commit()

    async def _apply_batch(self, records: Sequence[ConsumerRecord]) -> None:
        assert self.batch_handler is not None
        envelopes = [_envelope(record) for record in records]  # a poison record fails the batch
        spans = [
            _span(record, envelope, self.name)
            for record, envelope in zip(records, envelopes, strict=True)
        ]
        try:
            fresh: dict[str, Envelope] = {}
            for envelope in envelopes:  # a redelivery within the batch counts once
                fresh.setdefault(str(envelope.id), envelope)
            async with self.uow_factory() as uow:
                for seen in await self._seen_ids(uow.session, list(fresh)):
                    del fresh[seen]
                if fresh:
                    spans_by_id = {
                        str(e.id): span for e, span in zip(envelopes, spans, strict=True)
                    }
                    token = _BATCH_SPANS.set(spans_by_id)
                    try:
                        await self.batch_handler(uow, list(fresh.values()))
                    finally:
                        _BATCH_SPANS.reset(token)
                    now = datetime.now(UTC)
                    await uow.session.execute(
                        sa.insert(self.processed),
                        [
                            {"consumer": self.name, "event_id": event_id, "processed_at": now}
                            for event_id in fresh
                        ],
                    )
                await uow.commit()
        except BaseException as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            for span in spans:
                span.end()

    async def _seen_ids(self, session: AsyncSession, event_ids: list[str]) -> set[str]:
        seen: set[str] = set()
        for start in range(0, len(event_ids), _ID_CHUNK):
            chunk = event_ids[start : start + _ID_CHUNK]
            query = sa.select(self.processed.c.event_id).where(
                self.processed.c.consumer == self.name, self.processed.c.event_id.in_(chunk)
            )
            seen.update((await session.execute(query)).scalars())
        return seen

    async def _seen(self, session: AsyncSession, envelope: Envelope) -> bool:
        query = sa.select(sa.literal(1)).where(
            self.processed.c.consumer == self.name, self.processed.c.event_id == str(envelope.id)
        )
        return (await session.execute(query)).first() is not None

    async def _dead_letter(self, record: ConsumerRecord, exc: BaseException) -> None:
        error = redact(f"{type(exc).__name__}: {str(exc)[:500]}")
        log.error(
            "consumer %s: dead-lettering %s@%s: %s", self.name, record.topic, record.offset, error
        )
        if self._dlq is None:
            self._dlq = make_producer(self.kafka)
            await self._dlq.start()
        headers = [
            *(record.headers or ()),
            ("dlq-error", error.encode()),
            ("dlq-consumer", self.name.encode()),
            ("dlq-original-topic", record.topic.encode()),
            ("dlq-original-partition", str(record.partition).encode()),
            ("dlq-original-offset", str(record.offset).encode()),
        ]
        await self._dlq.send_and_wait(
            topic_names.dlq(record.topic), value=record.value, key=record.key, headers=headers
        )
        self.dead_lettered += 1
        EVENTS_DEAD_LETTERED.labels(self.name, record.topic).inc()

    async def _close(self) -> None:
        consumer, self.consumer = self.consumer, None
        dlq, self._dlq = self._dlq, None
        for client in (consumer, dlq):
            if client is not None:
                try:
                    await asyncio.wait_for(client.stop(), 5)
                except Exception:  # already broken
                    log.debug("client stop failed", exc_info=True)


def _span(record: ConsumerRecord, envelope: Envelope, group: str) -> trace.Span:
    """The span of one event applied in a batch: a child of its publisher's, as when alone."""
    parent = propagate.extract({k: v.decode() for k, v in record.headers or ()})
    return tracer.start_span(
        f"{record.topic} process {envelope.type}",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes={
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": group,
            "hub.event_type": envelope.type,
            "hub.stay_id": envelope.subject,
        },
    )


def _envelope(record: ConsumerRecord) -> Envelope:
    try:
        return Envelope.from_bytes(record.value or b"")
    except (ValidationError, ValueError) as exc:
        raise PoisonEvent(f"not an event envelope: {exc.__class__.__name__}") from exc


__all__ = ["BatchHandler", "IdempotentConsumer", "TopicPartition", "span_of"]
