"""Health, readiness and metrics as operations staff see them."""

from __future__ import annotations

from datetime import datetime

from hub_shared.testing.http import post_xml
from hub_shared.testing.messages import log_innlagt, patient


async def test_ready_is_503_without_a_broker_and_live_is_200(client):
    # The test settings point Kafka at 127.0.0.1:1, where nothing listens.
    assert (await client.get("/health/live")).status_code == 200
    ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["database"] is True
    assert ready.json()["broker"] is False


async def test_ready_is_200_with_database_and_broker(settings, app_with, kafka_settings):
    live = settings.model_copy(update={"kafka": kafka_settings})
    async with app_with(live, {}) as http:
        ready = await http.get("/health/ready")
        assert ready.status_code == 200, ready.json()


async def test_metrics_count_messages_by_type_and_status_without_personal_data(client):
    fnr = "15076500565"
    await post_xml(client, log_innlagt(admitted_at=datetime(2024, 4, 2, 10), person=patient(fnr)))
    await post_xml(client, b"garbage")
    text = (await client.get("/metrics")).text
    assert (
        'hub_elin_messages_total{apprec_status="OK",error_codes="",msg_type="LOG_INNLAGT"}' in text
    )
    assert 'apprec_status="AVVIST",error_codes="T01",msg_type="other"' in text
    assert "hub_outbox_backlog" in text
    assert fnr not in text and "Gundersen" not in text
