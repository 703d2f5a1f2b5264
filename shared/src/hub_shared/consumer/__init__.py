"""The idempotent consumer loop every service uses to react to events."""

from hub_shared.consumer.loop import EventHandler, IdempotentConsumer, is_transient

__all__ = ["EventHandler", "IdempotentConsumer", "is_transient"]
