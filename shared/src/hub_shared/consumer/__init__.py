"""The idempotent consumer loop every service uses to react to events."""

from hub_shared.consumer.loop import (
    BatchHandler,
    EventHandler,
    IdempotentConsumer,
    is_transient,
    span_of,
)

__all__ = ["BatchHandler", "EventHandler", "IdempotentConsumer", "is_transient", "span_of"]
