"""A municipal system subscribes with another client (confluent-kafka / librdkafka) in its own
consumer group, as docs/integrators.md tells it to, and deduplicates on the envelope id."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
from confluent_kafka import Consumer

from hub_shared.db import add_infrastructure_tables, make_engine, make_sessionmaker
from hub_shared.db.uow import UnitOfWork
from hub_shared.events.admission import AdmissionCancelled, MessageRef, OrganisationRef
from hub_shared.outbox import OutboxRelay

pytestmark = pytest.mark.broker


def _cancelled(stay_id: str) -> AdmissionCancelled:
    now = "2024-04-02T10:00:00Z"
    ref = MessageRef(
        msg_id=str(uuid.uuid4()),
        conversation_id="c",
        msg_type="LOG_INNLAGT",
        gen_date=now,
        received_at=now,
    )
    org = OrganisationRef(her_id="59")
    return AdmissionCancelled(
        stay_id=stay_id, message=ref, cancels_msg_id="x", hospital=org, municipality=org
    )


def _poll_key(consumer: Consumer, key: bytes, want: int, timeout: float) -> list:
    got: list = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None and message.key() == key:
            got.append(message)
    return got


async def test_confluent_kafka_consumer_group_receives_in_order_and_can_deduplicate(
    tmp_path, kafka_settings
):
    import sqlalchemy as sa

    metadata = sa.MetaData()
    outbox, _ = add_infrastructure_tables(metadata)
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessionmaker = make_sessionmaker(engine)
    stay = str(uuid.uuid4())
    ids = []
    for _ in range(3):
        async with UnitOfWork(sessionmaker, outbox, source="/test") as uow:
            ids.append(str((await uow.publish(_cancelled(stay), subject=stay)).id))
            await uow.commit()
    relay = OutboxRelay(engine, outbox, kafka_settings)
    await relay.publish_pending()
    # A lost acknowledgement: the relay sends the same rows again (at-least-once).
    await engine.dispose()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    async with engine.begin() as conn:
        await conn.execute(sa.update(outbox).values(sent_at=None))
    relay = OutboxRelay(engine, outbox, kafka_settings)
    await relay.publish_pending()
    await relay._drop_producer()
    await engine.dispose()

    consumer = Consumer(
        {
            "bootstrap.servers": kafka_settings.bootstrap_servers,
            "group.id": f"municipality-5001-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 500,
        }
    )
    consumer.subscribe(["admission.v1"])
    try:
        records = await asyncio.to_thread(_poll_key, consumer, stay.encode(), 6, 60)
    finally:
        consumer.close()
    mine = [json.loads(m.value()) for m in records]
    assert [e["id"] for e in mine] == ids + ids, "at-least-once: the resend arrives again, in order"
    seen: list[str] = []
    for event in mine:  # what the integrators' page tells subscribers to do
        if event["id"] not in seen:
            seen.append(event["id"])
    assert seen == ids
