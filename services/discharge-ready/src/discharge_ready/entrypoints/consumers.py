"""discharge-ready's event consumers: stays learned from admission.v1."""

from __future__ import annotations

from discharge_ready.adapters import orm
from discharge_ready.service import AdmissionHandler, StayLinker
from hub_shared.events import topics
from hub_shared.runtime import ServiceRuntime

CONSUMER_GROUP = "discharge-ready"
SOURCE = "/hub/discharge-ready"


def add_admission_consumer(runtime: ServiceRuntime, linker: StayLinker) -> None:
    """Consume AdmissionNotified/Changed/Cancelled, idempotently (processed_events)."""
    runtime.add_consumer(
        name=CONSUMER_GROUP,
        topics=(topics.ADMISSION,),
        handler=AdmissionHandler(linker),
        processed=orm.processed_events,
        source=SOURCE,
        message_log=orm.received_messages,  # adopted entries take their log rows along
    )
