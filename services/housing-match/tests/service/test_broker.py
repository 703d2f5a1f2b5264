"""housing-match with the real broker: an AdmissionNotified published on admission.v1 is consumed
by the running service (consumer group "housing-match") and opens a case; HousingCaseOpened goes
out on housing.v1 through the outbox relay."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from housing_events import MONDAY_MORNING, Clock, Stay, admission, oslo

from housing_match.entrypoints.api import create_app
from housing_match.settings import Settings
from hub_shared.events import topics
from hub_shared.kafka import ensure_topics
from hub_shared.settings import KafkaSettings
from hub_shared.testing.http import bearer
from hub_shared.testing.records import read_records

pytestmark = pytest.mark.broker


async def test_a_published_admission_opens_a_case(
    database_url: str, tmp_path: Path, kafka_settings: KafkaSettings
) -> None:
    await ensure_topics(kafka_settings, topics.with_dlqs())
    settings = Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=kafka_settings,
        relay_poll_seconds=0.1,
    )
    stay = Stay()  # a fresh patient: the broker and the group's offsets last the whole session
    event = admission(stay)
    app = create_app(settings, clock=Clock(oslo(MONDAY_MORNING)))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub", headers=bearer("99387")
        ) as http:
            producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
            await producer.start()
            try:
                await producer.send_and_wait(
                    topics.ADMISSION, event.to_bytes(), key=stay.stay_id.encode()
                )
            finally:
                await producer.stop()

            async def opened() -> list[dict]:
                listed = (await http.get("/v1/cases")).json()
                return [c for c in listed if c["stay_id"] == stay.stay_id]

            async with asyncio.timeout(45):
                while not (found := await opened()):
                    await asyncio.sleep(0.2)
            records = await read_records(
                kafka_settings.bootstrap_servers, topics.HOUSING, key=stay.stay_id
            )
            published = [json.loads(r.value) for r in records]

    (case,) = found
    assert case["status"] == "open" and case["opened_by"] == "admission"
    assert [e["type"] for e in published] == ["HousingCaseOpened"]
    assert published[0]["data"]["case_id"] == case["case_id"]
