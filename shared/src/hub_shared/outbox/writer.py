"""Writing events to the outbox inside the caller's transaction (never to Kafka in a request)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from opentelemetry import propagate

from hub_shared.events.envelope import Envelope


def outbox_row(envelope: Envelope, topic: str) -> dict:
    """The row for one event; the current trace context travels along as W3C headers."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {
        "event_id": str(envelope.id),
        "topic": topic,
        "key": envelope.subject,
        "payload": envelope.model_dump_json(),
        "headers": json.dumps(carrier),
        "created_at": datetime.now(UTC),
    }
