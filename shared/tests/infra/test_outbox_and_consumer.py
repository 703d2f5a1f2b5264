"""The outbox relay and the idempotent consumer against the real broker and real databases."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer, ConsumerRecord

from hub_shared import broker
from hub_shared.consumer import IdempotentConsumer
from hub_shared.db import add_infrastructure_tables, make_engine, make_sessionmaker
from hub_shared.db.uow import UnitOfWork
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.outbox import OutboxRelay, OutboxSignal
from hub_shared.settings import KafkaSettings
from hub_shared.testing.records import read_records

pytestmark = pytest.mark.broker


class Ping(EventData):
    EVENT_TYPE = "Ping"
    TOPIC = "test.ping"

    n: int


metadata = sa.MetaData()
outbox, processed = add_infrastructure_tables(metadata)
effects = sa.Table(
    "effects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("n", sa.Integer, nullable=False),
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[tuple]:
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine, make_sessionmaker(engine)
    await engine.dispose()


def unique_topic() -> str:
    return f"test.ping.{uuid.uuid4().hex[:8]}"


async def write_events(sessionmaker, topic: str, numbers: range, signal=None) -> list[str]:
    ids = []
    for n in numbers:
        uow = UnitOfWork(sessionmaker, outbox, source="/test", signal=signal)
        async with uow:
            Ping.TOPIC = topic
            envelope = await uow.publish(Ping(n=n), subject=f"stay-{n % 3}")
            await uow.session.execute(sa.insert(effects).values(n=-n))  # the state change
            await uow.commit()
            ids.append(str(envelope.id))
    return ids


async def consume(kafka: KafkaSettings, topic: str, count: int, timeout: float = 30) -> list:
    """`count` records of the topic, and any beyond it that come within 0.5 s (duplicates)."""
    return await read_records(
        kafka.bootstrap_servers,
        topic,
        enough=lambda records: len(records) >= count,
        timeout=timeout,
        linger=0.5,
    )


async def test_relay_publishes_in_order_with_trace_headers_and_marks_sent(db, kafka_settings):
    engine, sessionmaker = db
    topic = unique_topic()
    ids = await write_events(sessionmaker, topic, range(12))
    relay = OutboxRelay(engine, outbox, kafka_settings)
    assert await relay.publish_pending() == 12
    assert await relay.backlog() == 0
    records = await consume(kafka_settings, topic, 12)
    assert [json.loads(r.value)["id"] for r in records if r.key == b"stay-0"] == [
        i for k, i in enumerate(ids) if k % 3 == 0
    ]
    assert sorted(json.loads(r.value)["id"] for r in records) == sorted(ids)
    for record in records:
        headers = dict(record.headers)
        assert headers["event-id"].decode() == json.loads(record.value)["id"]
    await relay._drop_producer()


async def test_commits_in_quick_succession_are_published_in_one_round(db, kafka_settings):
    engine, sessionmaker = db
    topic = unique_topic()
    signal = OutboxSignal()
    relay = OutboxRelay(engine, outbox, kafka_settings, signal=signal, linger_seconds=1.0)
    await relay.check_broker()  # a new marker topic would have the run publish everything again
    await write_events(sessionmaker, topic, range(1))
    assert await relay.publish_pending() == 1  # the producer is up before the run
    rounds: list[int] = []
    publish = relay.publish_pending

    async def counted() -> int:
        sent = await publish()
        rounds.append(sent)
        return sent

    relay.publish_pending = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    await asyncio.sleep(0.2)  # the relay found nothing and waits for a commit
    await write_events(sessionmaker, topic, range(1, 6), signal=signal)  # each commit signals
    assert len(await consume(kafka_settings, topic, 6)) == 6
    stop.set()
    signal.notify()
    await running
    # Five commits, each waking the relay: published together after the linger.
    assert [sent for sent in rounds if sent] == [5]


async def test_events_accepted_while_broker_is_down_arrive_once_it_is_back(db, tmp_path):
    engine, sessionmaker = db
    port = broker.free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=2000)
    signal = OutboxSignal()
    relay = OutboxRelay(engine, outbox, kafka, signal=signal, poll_seconds=0.1, max_backoff=0.5)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    topic = unique_topic()
    ids = await write_events(sessionmaker, topic, range(5), signal)
    await asyncio.sleep(1.0)
    assert await relay.backlog() == 5, "nothing can be sent without a broker"
    assert relay.last_error is not None
    proc = broker.start_tansu(port, log_file=tmp_path / "tansu.log")
    try:
        async with asyncio.timeout(30):
            while await relay.backlog():
                await asyncio.sleep(0.1)
        records = await consume(kafka, topic, 5)
        got = [json.loads(r.value)["id"] for r in records]
        print(f"injected broker outage; wrote {len(ids)}, received {len(got)}")
        assert sorted(got) == sorted(ids)
    finally:
        stop.set()
        await task
        broker.stop(proc)


async def test_consumer_applies_each_event_once_and_dead_letters_poison(db, kafka_settings):
    engine, sessionmaker = db
    topic = unique_topic()
    seen: list[int] = []

    async def handler(uow: UnitOfWork, envelope: Envelope) -> None:
        if envelope.data.get("n") == 99:
            raise ValueError("cannot handle 99")
        seen.append(envelope.data["n"])
        await uow.session.execute(sa.insert(effects).values(n=envelope.data["n"]))

    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    first = Envelope.wrap(Ping(n=1), subject="s", source="/test").to_bytes()
    values = [
        first,
        first,  # duplicate delivery of the same event
        b"not json at all",  # poison: not an envelope
        Envelope.wrap(Ping(n=99), subject="s", source="/test").to_bytes(),  # handler fails
        Envelope.wrap(Ping(n=2), subject="s", source="/test").to_bytes(),
    ]
    for value in values:
        await producer.send_and_wait(topic, value=value, key=b"s")
    await producer.stop()

    consumer = IdempotentConsumer(
        name=f"group-{topic}",
        topics=(topic,),
        handler=handler,
        uow_factory=lambda: UnitOfWork(sessionmaker, outbox, source="/test"),
        processed=processed,
        kafka=kafka_settings,
        max_attempts=2,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        async with asyncio.timeout(40):
            while consumer.handled + consumer.dead_lettered < 5:
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    assert seen == [1, 2]
    async with engine.connect() as conn:
        stored = (await conn.execute(sa.select(effects.c.n).order_by(effects.c.id))).scalars()
        assert list(stored) == [1, 2]
    dead = await consume(kafka_settings, f"{topic}.dlq", 2)
    errors = sorted(dict(r.headers)["dlq-error"].decode().split(":")[0] for r in dead)
    assert errors == ["PoisonEvent", "ValueError"]


def batch_consumer(
    topic: str, sessionmaker, kafka: KafkaSettings, apply_all, **options
) -> IdempotentConsumer:
    """A consumer of the topic whose handler takes a poll's events at once (one at a time too)."""

    async def apply_one(uow: UnitOfWork, envelope: Envelope) -> None:
        await apply_all(uow, [envelope])

    return IdempotentConsumer(
        name=f"group-{topic}",
        topics=(topic,),
        handler=apply_one,
        batch_handler=apply_all,
        uow_factory=lambda: UnitOfWork(sessionmaker, outbox, source="/test"),
        processed=processed,
        kafka=kafka,
        **options,
    )


def _record(topic: str, value: bytes, offset: int) -> ConsumerRecord:
    return ConsumerRecord(topic, 0, offset, 0, 0, b"s", value, None, 1, len(value), [])


async def test_a_batch_handler_gets_a_polls_events_at_once_and_poison_is_found_alone(
    db, kafka_settings
):
    engine, sessionmaker = db
    topic = unique_topic()
    calls: list[list[int]] = []

    async def apply_all(uow: UnitOfWork, envelopes) -> None:
        numbers = [e.data["n"] for e in envelopes]
        if 99 in numbers:
            raise ValueError("cannot handle 99")
        calls.append(numbers)
        await uow.session.execute(sa.insert(effects), [{"n": n} for n in numbers])

    consumer = batch_consumer(topic, sessionmaker, kafka_settings, apply_all, max_attempts=2)

    def ping(n: int) -> bytes:
        return Envelope.wrap(Ping(n=n), subject="s", source="/test").to_bytes()

    first = ping(1)
    await consumer.handle_records(
        [_record(topic, v, i) for i, v in enumerate([first, first, ping(2), ping(3)])]
    )
    await consumer.handle_records([_record(topic, v, i) for i, v in enumerate([first, ping(4)])])
    poll = [ping(5), b"not json at all", ping(99), ping(6)]
    await consumer.handle_records([_record(topic, v, i) for i, v in enumerate(poll)])

    # One transaction per poll; a redelivery counts once; a poll with poison goes one by one.
    assert calls == [[1, 2, 3], [4], [5], [6]]
    async with engine.connect() as conn:
        stored = (await conn.execute(sa.select(effects.c.n).order_by(effects.c.id))).scalars()
        assert list(stored) == [1, 2, 3, 4, 5, 6]
        ids = (await conn.execute(sa.select(processed.c.event_id))).scalars()
        assert len(list(ids)) == 6
    assert consumer.dead_lettered == 2
    dead = await consume(kafka_settings, f"{topic}.dlq", 2)
    errors = sorted(dict(r.headers)["dlq-error"].decode().split(":")[0] for r in dead)
    assert errors == ["PoisonEvent", "ValueError"]
    await consumer._close()


async def test_a_fresh_broker_gets_every_event_again(db, tmp_path):
    """RELIABILITY.md "broker gone": a new, empty broker lacks what was sent to the old one."""
    engine, sessionmaker = db
    port = broker.free_port()
    kafka = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}", request_timeout_ms=3000)
    topic = unique_topic()
    first = broker.start_tansu(port, log_file=tmp_path / "a.log")
    relay = OutboxRelay(engine, outbox, kafka, name=f"t{uuid.uuid4().hex[:6]}")
    try:
        assert await relay.check_broker() == 0  # first contact: nothing was sent before
        ids = await write_events(sessionmaker, topic, range(4))
        assert await relay.publish_pending() == 4
        assert await relay.check_broker() == 0  # same broker: nothing to resend
    finally:
        await relay._drop_producer()
        broker.stop(first)
    second = broker.start_tansu(port, log_file=tmp_path / "b.log")
    try:
        assert await relay.check_broker() == 4
        assert await relay.publish_pending() == 4
        records = await consume(kafka, topic, 4)
        print(f"fresh broker: republished {relay.republished}, the new broker holds {len(records)}")
        assert sorted(json.loads(r.value)["id"] for r in records) == sorted(ids)
    finally:
        await relay._drop_producer()
        broker.stop(second)


async def test_only_one_relay_per_service_publishes_on_postgresql(db, kafka_settings, database_url):
    """Two replicas of a service: the advisory lock lets one publish; the other takes over when
    the first stops."""
    if not database_url.startswith("postgresql"):
        pytest.skip("leader election is for PostgreSQL; SQLite is one process")
    engine, _ = db
    name = f"svc-{uuid.uuid4().hex[:6]}"
    first = OutboxRelay(engine, outbox, kafka_settings, name=name)
    other_engine = make_engine(database_url)
    second = OutboxRelay(other_engine, outbox, kafka_settings, name=name)
    try:
        assert await first._lead() is True
        assert await second._lead() is False
        await first._resign()
        assert await second._lead() is True
    finally:
        await first._resign()
        await second._resign()
        await other_engine.dispose()


async def test_published_events_older_than_the_retention_are_pruned(db, kafka_settings):
    """Sent events past the retention go; recent ones and unsent ones stay, however old."""
    engine, sessionmaker = db
    topic = unique_topic()
    ids = await write_events(sessionmaker, topic, range(6))
    now = datetime.now(UTC)
    ages = {ids[0]: 30, ids[1]: 8, ids[2]: 1}  # days since sent; the rest unsent
    async with engine.begin() as conn:
        for event_id, days in ages.items():
            await conn.execute(
                sa.update(outbox)
                .where(outbox.c.event_id == event_id)
                .values(sent_at=now - timedelta(days=days))
            )
        await conn.execute(
            sa.update(outbox)
            .where(outbox.c.event_id == ids[3])
            .values(created_at=now - timedelta(days=40))
        )
    relay = OutboxRelay(engine, outbox, kafka_settings, retention=timedelta(days=7))
    assert await relay.prune(chunk=1) == 2  # chunked: one per transaction
    async with engine.connect() as conn:
        left = set((await conn.execute(sa.select(outbox.c.event_id))).scalars())
    assert left == set(ids) - {ids[0], ids[1]}
    forever = OutboxRelay(engine, outbox, kafka_settings, retention=None)
    assert await forever.prune() == 0


async def test_a_consumer_that_is_behind_takes_bigger_polls_and_applies_each_event_once(
    db, kafka_settings
):
    engine, sessionmaker = db
    topic = unique_topic()
    await write_events(sessionmaker, topic, range(300))
    relay = OutboxRelay(engine, outbox, kafka_settings)
    assert await relay.publish_pending() + await relay.publish_pending() == 300
    await relay._drop_producer()
    sizes: list[int] = []

    async def apply_all(uow: UnitOfWork, envelopes) -> None:
        sizes.append(len(envelopes))
        rows = [{"n": 1000 + e.data["n"]} for e in envelopes]  # apart from write_events' -n
        await uow.session.execute(sa.insert(effects), rows)

    usual = {"consumer_max_records": 20, "consumer_catch_up_records": 120}
    kafka = kafka_settings.model_copy(update=usual)
    consumer = batch_consumer(topic, sessionmaker, kafka, apply_all)
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        async with asyncio.timeout(40):
            while consumer.handled < 300:
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    # A partition's share of a usual poll is at most 20 events; behind, the polls grew.
    assert max(sizes) > 20
    async with engine.connect() as conn:
        applied = (await conn.execute(sa.select(effects.c.n).where(effects.c.n >= 1000))).scalars()
        assert sorted(applied) == list(range(1000, 1300))
