"""Spans follow a message, and no fødselsnummer or name ever reaches spans or logs."""

from __future__ import annotations

import logging
from datetime import datetime

import pytest

from hub_shared.testing.http import post_xml
from hub_shared.testing.messages import log_innlagt, patient

FNR = "15076500565"
NAMES = ("Gundersen", "Roland")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_no_person_number_or_name_in_spans_or_logs(client, spans, caplog):
    caplog.set_level(logging.DEBUG)
    ok = log_innlagt(admitted_at=datetime(2024, 4, 2, 10), person=patient(FNR))
    bad_digit = log_innlagt(admitted_at=datetime(2024, 4, 2, 10), person=patient("15076500566"))
    response = await post_xml(client, ok)
    await post_xml(client, bad_digit)
    await client.get(f"/stays/{response.headers['X-Stay-Id']}")
    finished = spans.get_finished_spans()
    assert any(s.attributes.get("hub.stay_id") == response.headers["X-Stay-Id"] for s in finished)
    text = " ".join(
        f"{s.name} {dict(s.attributes or {})} {[e.attributes for e in s.events]}" for s in finished
    )
    logs = " ".join(r.getMessage() for r in caplog.records)
    for secret in (FNR, "15076500566", *NAMES):
        assert secret not in text, f"{secret} leaked into a span"
        assert secret not in logs, f"{secret} leaked into a log line"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_apprec_response_carries_the_trace_id_of_its_spans(client, spans):
    response = await post_xml(client, log_innlagt(admitted_at=datetime(2024, 4, 3, 10)))
    trace_ids = {format(s.context.trace_id, "032x") for s in spans.get_finished_spans()}
    assert response.headers["X-Trace-Id"] in trace_ids
