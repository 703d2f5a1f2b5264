"""Every event model by type name: for consumers, and for the AsyncAPI document."""

from __future__ import annotations

from hub_shared.events import admission, billing, discharge, housing
from hub_shared.events.envelope import Envelope, EventData

EVENT_MODELS: dict[str, type[EventData]] = {
    model.EVENT_TYPE: model
    for module in (admission, discharge, housing, billing)
    for model in vars(module).values()
    if isinstance(model, type) and issubclass(model, EventData) and "EVENT_TYPE" in vars(model)
}


class UnknownEventType(ValueError):
    pass


def parse_data(envelope: Envelope) -> EventData:
    """The typed data of an envelope; unknown types are an error the consumer may skip."""
    model = EVENT_MODELS.get(envelope.type)
    if model is None:
        raise UnknownEventType(envelope.type)
    return model.model_validate(envelope.data)
