"""Event envelope, topics and the event models that form the hub's public topic contract."""

from hub_shared.events import topics
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.events.registry import EVENT_MODELS, parse_data

__all__ = ["EVENT_MODELS", "Envelope", "EventData", "parse_data", "topics"]
