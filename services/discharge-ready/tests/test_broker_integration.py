"""discharge-ready with the real broker: a notice's event reaches discharge.v1, and the admission.v1
consumer (group "discharge-ready") learns the stay admission-notice announced."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from discharge_ready.settings import Settings
from hub_shared.elin.models import PatientIdentity
from hub_shared.events import topics
from hub_shared.kafka import ensure_topics
from hub_shared.settings import KafkaSettings
from hub_shared.testing.http import apprec_of, bearer, post_xml, status_and_errors
from hub_shared.testing.messages import (
    ALVDAL_CASEWORK,
    admitted,
    event,
    log_innlagt,
    patient,
    plo,
    random_person_number,
)
from hub_shared.testing.records import read_records

pytestmark = pytest.mark.broker


def someone() -> PatientIdentity:
    """A fresh patient per test: the broker is shared by the whole session."""
    return patient(random_person_number(random.Random()))


def notice(person: PatientIdentity, admitted_at: datetime) -> bytes:
    return plo(
        "LOG_UTSKRIVNINGSKLAR",
        events=[admitted(admitted_at), event(3, date(2024, 5, 10))],
        gen_date=datetime(2024, 5, 10, 9),
        person=person,
        receiver=ALVDAL_CASEWORK,
    )


async def records_of(kafka: KafkaSettings, topic: str, key: str, timeout: float = 30) -> list:
    """The records of one key on a topic, and whatever more of it comes within 0.7 s."""
    return await read_records(kafka.bootstrap_servers, topic, key=key, timeout=timeout, linger=0.7)


@pytest.fixture
async def live(database_url: str, tmp_path: Path, kafka_settings: KafkaSettings, service_with):
    await ensure_topics(kafka_settings, topics.with_dlqs())
    settings = Settings(
        database_url=database_url,
        trace_dir=tmp_path / "traces",
        kafka=kafka_settings,
        relay_poll_seconds=0.1,
    )
    async with service_with(settings, background=True) as service:
        yield service


@pytest.fixture
async def admissions(
    tmp_path: Path, kafka_settings: KafkaSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """admission-notice publishing to the same broker."""
    from admission_notice.entrypoints.api import create_app
    from admission_notice.settings import Settings as AdmissionSettings

    settings = AdmissionSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'admission.db'}",
        trace_dir=None,
        kafka=kafka_settings,
        relay_poll_seconds=0.1,
    )
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://hub", headers=bearer("59")
        ) as http:
            yield http


async def test_a_posted_notice_reaches_discharge_v1_with_the_requests_trace(live, kafka_settings):
    response = await live.post(notice(someone(), datetime(2024, 5, 2, 8)))
    assert status_and_errors(apprec_of(response)) == ("1", [])
    stay_id = response.headers["X-Stay-Id"]
    (record,) = await records_of(kafka_settings, topics.DISCHARGE, stay_id)
    envelope = json.loads(record.value)
    assert envelope["type"] == "DischargeReadyNotified"
    assert envelope["subject"] == envelope["data"]["stay_id"] == stay_id
    traceparent = dict(record.headers)["traceparent"].decode()
    assert traceparent.split("-")[1] == response.headers["X-Trace-Id"]


async def test_the_admission_consumer_links_the_stay_admission_notice_announced(
    live, admissions, kafka_settings
):
    person, admitted_at = someone(), datetime(2024, 5, 3, 14, 30)
    announced = await post_xml(admissions, log_innlagt(admitted_at=admitted_at, person=person))
    assert status_and_errors(apprec_of(announced)) == ("1", [])
    stay_id = announced.headers["X-Stay-Id"]
    async with asyncio.timeout(60):  # the consumer joins its group, then reads admission.v1
        while True:
            seen = await live.http.get(f"/stays/{stay_id}", headers=bearer("59"))
            if seen.status_code == 200:
                break
            await asyncio.sleep(0.2)
    stay = seen.json()
    assert (stay["linked"], stay["admission"], stay["sector"]) == (True, "notified", "somatic")
    assert stay["admitted_at"].startswith("2024-05-03T12:30:00")

    response = await live.post(notice(person, admitted_at))
    assert response.headers["X-Stay-Id"] == stay_id
    (record,) = await records_of(kafka_settings, topics.DISCHARGE, stay_id)
    assert json.loads(record.value)["data"]["stay"]["admission_known"] is True
