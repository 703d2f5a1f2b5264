"""admission-notice end to end with the real broker: HTTP in, event out on admission.v1."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from admission_notice.entrypoints.api import create_app
from admission_notice.settings import Settings
from hub_shared import broker
from hub_shared.elin.models import PatientIdentity
from hub_shared.settings import KafkaSettings
from hub_shared.testing.http import apprec_of, bearer, post_xml, status_and_errors
from hub_shared.testing.messages import log_innlagt, patient, random_person_number
from hub_shared.testing.records import read_records

pytestmark = pytest.mark.broker


async def read_topic(kafka: KafkaSettings, topic: str, *, until: int, timeout: float = 30) -> list:
    """At least `until` records of the topic, and whatever else comes within 0.7 s."""
    return await read_records(
        kafka.bootstrap_servers,
        topic,
        enough=lambda records: len(records) >= until,
        timeout=timeout,
        linger=0.7,
    )


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub", headers=bearer("59")
        ) as http:
            yield http


@pytest.fixture
async def live(database_url: str, tmp_path: Path, kafka_settings: KafkaSettings):
    settings = Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=kafka_settings,
        relay_poll_seconds=0.1,
    )
    async for http in _client(settings):
        yield http


def someone() -> PatientIdentity:
    """A fresh patient per test: the broker is shared by the whole session."""
    return patient(random_person_number(random.Random()))


def _trace_id(record) -> str | None:  # type: ignore[no-untyped-def]
    traceparent = dict(record.headers or ()).get("traceparent")
    return traceparent.decode().split("-")[1] if traceparent else None


def _stay_events(records: list, stay_id: str) -> list[dict]:
    return [json.loads(r.value) for r in records if r.key == stay_id.encode()]


async def test_posted_message_reaches_the_topic_with_the_requests_trace(live, kafka_settings):
    response = await post_xml(
        live, log_innlagt(admitted_at=datetime(2024, 5, 6, 8, 15), person=someone())
    )
    assert status_and_errors(apprec_of(response)) == ("1", [])
    trace_id = response.headers["X-Trace-Id"]
    records = await read_topic(kafka_settings, "admission.v1", until=1)
    # Other suites share the broker and may have put records without a trace on the topic.
    mine = [r for r in records if _trace_id(r) == trace_id]
    assert len(mine) == 1
    event = json.loads(mine[0].value)
    assert event["type"] == "AdmissionNotified"
    assert mine[0].key.decode() == event["subject"] == event["data"]["stay_id"]


async def test_a_duplicate_post_publishes_nothing_new(live, kafka_settings):
    body = log_innlagt(admitted_at=datetime(2024, 5, 7, 8, 15), person=someone())
    first = await post_xml(live, body)
    stay_id = first.headers["X-Stay-Id"]
    await asyncio.sleep(0.5)
    again = await post_xml(live, body)
    assert again.content == first.content
    records = await read_topic(kafka_settings, "admission.v1", until=1)
    assert len(_stay_events(records, stay_id)) == 1


async def test_events_accepted_while_the_broker_is_down_are_delivered_when_it_is_back(
    database_url: str, tmp_path: Path
):
    port = broker.free_port()
    kafka = KafkaSettings(
        bootstrap_servers=f"127.0.0.1:{port}",
        request_timeout_ms=2000,
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
        rebalance_timeout_ms=500,
    )
    settings = Settings(
        database_url=database_url, trace_dir=tmp_path / "t", kafka=kafka, relay_poll_seconds=0.1
    )
    async for http in _client(settings):
        stays = []
        for day in range(1, 6):
            response = await post_xml(
                http, log_innlagt(admitted_at=datetime(2024, 6, day, 9), person=someone())
            )
            assert status_and_errors(apprec_of(response)) == ("1", [])
            stays.append(response.headers["X-Stay-Id"])
        health = (await http.get("/health")).json()
        assert health["outbox_backlog"] == 5
        proc = broker.start_tansu(port, log_file=tmp_path / "tansu.log")
        try:
            records = await read_topic(kafka, "admission.v1", until=5, timeout=60)
            print(f"accepted {len(stays)} while the broker was down; delivered {len(records)}")
            assert sorted(r.key.decode() for r in records) == sorted(stays)
            async with asyncio.timeout(10):
                while (await http.get("/health")).json()["outbox_backlog"]:
                    await asyncio.sleep(0.1)
        finally:
            broker.stop(proc)
