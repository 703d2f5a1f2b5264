"""The office's consumer with the real broker: what billing publishes on billing.v1 (a payment
clock) and the hospital's admission on admission.v1 reach the running service's consumer group
"housing-match-office", and the overview shows the clock without calling billing."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager
from office_harness import LOGINS, Clock, Patient
from office_pages import cells, money, page

from housing_match.entrypoints.api import create_app
from housing_match.settings import Settings
from hub_shared.events import topics
from hub_shared.events.billing import PaymentClockStarted
from hub_shared.events.envelope import Envelope
from hub_shared.kafka import ensure_topics
from hub_shared.settings import KafkaSettings

pytestmark = pytest.mark.broker


async def test_billings_clock_reaches_the_overview(
    tmp_path: Path, kafka_settings: KafkaSettings
) -> None:
    await ensure_topics(kafka_settings, topics.with_dlqs())
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'housing.db'}",
        trace_dir=None,
        kafka=kafka_settings,
        relay_poll_seconds=0.1,
    )
    patient = Patient("Roland", "Gundersen", "2024-04-02T10:00", without_fixed_home=False)
    started = Envelope.wrap(
        PaymentClockStarted(
            stay_id=patient.stay_id,
            period_key="notice-1",
            started_on="2024-04-03",
            notice_msg_id="notice-1",
            hospital_her="59",
            municipality_number="3428",
            daily_rate=Decimal("5745"),
        ),
        subject=patient.stay_id,
        source="/hub/billing",
    )
    app = create_app(settings, deliver=False, clock=Clock("2024-04-08T10:00"))
    async with LifespanManager(app) as manager:
        producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
        await producer.start()
        try:
            key = patient.stay_id.encode()
            await producer.send_and_wait(topics.ADMISSION, patient.admission().to_bytes(), key=key)
            await producer.send_and_wait(topics.BILLING, started.to_bytes(), key=key)
        finally:
            await producer.stop()
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as browser:
            username, password = LOGINS["99387"]
            await browser.post("/office/login", data={"username": username, "password": password})

            async def shown() -> dict[str, str] | None:
                rows = cells(page(await browser.get("/office/")), "clocks-table", "stay")
                row = rows.get(patient.stay_id)
                return row if row and row["since"] == "03.04.2024" else None

            async with asyncio.timeout(45):
                while (row := await shown()) is None:
                    await asyncio.sleep(0.2)
    assert row["days"] == "6"  # Wednesday 3 to Monday 8 April, both included
    assert money(row["amount"]) == Decimal(6 * 5745)
