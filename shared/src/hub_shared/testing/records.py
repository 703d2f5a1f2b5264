"""Kafka records in tests: an envelope wrapped as the consumer receives it, and the records a
topic holds, read from its start."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from hub_shared.events import EVENT_MODELS, Envelope


def record(envelope: Envelope, offset: int = 0) -> ConsumerRecord:
    """The Kafka record the consumer would receive for an envelope (on its event's topic,
    keyed by the stay, with the event-id header the relay sets)."""
    value = envelope.to_bytes()
    key = envelope.subject.encode()
    return ConsumerRecord(
        topic=EVENT_MODELS[envelope.type].TOPIC,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=key,
        value=value,
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=len(value),
        headers=[("event-id", str(envelope.id).encode())],
    )


async def read_records(
    bootstrap: str,
    topic: str,
    *,
    key: str | None = None,
    enough: Callable[[list[ConsumerRecord]], bool] = bool,
    timeout: float = 30,
    linger: float = 0.0,
) -> list[ConsumerRecord]:
    """The records of a topic (of one key, when given) from its start, without a consumer
    group, read until `enough(records)` holds or `timeout` seconds have passed; then `linger`
    seconds more, so that a test can see a duplicate that should not be there. What was read
    by then is returned: the caller's assertions say what was missing."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    wanted = key.encode() if key is not None else None
    found: list[ConsumerRecord] = []

    async def poll(ms: int) -> None:
        for batch in (await consumer.getmany(timeout_ms=ms)).values():
            found.extend(r for r in batch if wanted is None or r.key == wanted)

    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while not enough(found) and time.monotonic() < deadline:
            await poll(300)
        if linger > 0:
            await poll(int(linger * 1000))
    finally:
        await consumer.stop()
    return found
