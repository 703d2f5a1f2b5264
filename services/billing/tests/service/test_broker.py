"""billing with the real broker: events published on admission.v1 and discharge.v1 are consumed by
the running service (consumer group "billing"), the clock appears in GET /v1/clocks, and the
clock event goes out on billing.v1 through the outbox relay."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from billing_envelopes import (
    Clock,
    adm,
    case_stay,
    envelopes,
    oslo,
    patient_number,
    ready,
    stay_dict,
)

from billing.entrypoints.api import create_app
from billing.settings import Settings
from hub_shared.events import EVENT_MODELS, topics
from hub_shared.kafka import ensure_topics
from hub_shared.settings import KafkaSettings
from hub_shared.testing.http import bearer
from hub_shared.testing.records import read_records

pytestmark = pytest.mark.broker

ALVDAL = "99387"


async def test_published_events_are_consumed_and_the_clock_appears(
    database_url: str, tmp_path: Path, kafka_settings: KafkaSettings
) -> None:
    await ensure_topics(kafka_settings, topics.with_dlqs())
    settings = Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=kafka_settings,
        relay_poll_seconds=0.1,
    )
    # A fresh stay per run: the broker (and the group's offsets) last the whole session.
    stay = case_stay(
        stay_dict("broker", "2024-04-02T10:00"),
        patient=patient_number(random.randrange(1000, 12000)),
    )
    items = envelopes(stay, [adm("adm-b", "2024-04-02T15:00"), ready("rdy-b", "2024-04-08T09:00")])
    app = create_app(settings, clock=Clock(oslo("2024-04-10T12:00")))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
            producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
            await producer.start()
            try:
                for envelope in items:
                    await producer.send_and_wait(
                        EVENT_MODELS[envelope.type].TOPIC,
                        value=envelope.to_bytes(),
                        key=stay.stay_id.encode(),
                    )
            finally:
                await producer.stop()

            clock = None
            async with asyncio.timeout(60):
                while clock is None:
                    response = await http.get(
                        f"/v1/clocks?municipality={ALVDAL}", headers=bearer(ALVDAL)
                    )
                    assert response.status_code == 200, response.text
                    clock = next(
                        (c for c in response.json()["clocks"] if c["stay_ref"] == stay.stay_id),
                        None,
                    )
                    await asyncio.sleep(0.2)
            records = await read_records(
                kafka_settings.bootstrap_servers, topics.BILLING, key=stay.stay_id
            )
            published = [json.loads(r.value) for r in records]

    print(f"published {len(items)} events for stay {stay.stay_id}; clock {clock}")
    assert (clock["since"], clock["days"], clock["amount"]) == ("2024-04-08", 3, "17235")
    assert [e["type"] for e in published] == ["PaymentClockStarted"]
    assert published[0]["data"]["period_key"] == "rdy-b"
