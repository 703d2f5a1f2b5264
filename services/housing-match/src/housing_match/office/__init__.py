"""The housing office's web pages (/office/) and the consumer that feeds them.

Wiring (in `entrypoints/api.py`): `add_office_consumer(runtime, settings)` beside the service's
own consumer, and `include_office(app)`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from housing_match.adapters import orm
from housing_match.office.feed import OFFICE_CONSUMER_GROUP, OFFICE_TOPICS, OfficeFeed
from housing_match.office.routes import configure_office, include_office
from hub_shared.consumer import IdempotentConsumer
from hub_shared.register import load_register
from hub_shared.runtime import ServiceRuntime
from hub_shared.settings import ServiceSettings
from hub_shared.timeutil import utc_now

SOURCE = "/hub/housing-match"


def add_office_consumer(
    runtime: ServiceRuntime,
    settings: ServiceSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
) -> IdempotentConsumer:
    """Subscribe the office's feed (group `housing-match-office`: admission.v1, discharge.v1 and
    billing.v1) on the service's runtime, as the service's own consumer is."""
    feed = OfficeFeed(load_register(settings.register_file), now=clock)
    return runtime.add_consumer(
        name=OFFICE_CONSUMER_GROUP,
        topics=OFFICE_TOPICS,
        handler=feed.apply,
        processed=orm.processed_events,
        source=SOURCE,
    )


__all__ = [
    "OFFICE_CONSUMER_GROUP",
    "OFFICE_TOPICS",
    "add_office_consumer",
    "configure_office",
    "include_office",
]
