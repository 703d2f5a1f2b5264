"""Events as the consumer receives them: an envelope wrapped in the Kafka record a poll returns."""

from __future__ import annotations

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
