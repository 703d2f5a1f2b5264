"""Issue 6: one trace follows a message from the EPJ's HTTP request through the outbox relay into
every consumer, across service processes; spans carry the stay id, never the fødselsnummer."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import httpx
import pytest
from rich.console import Console

from hub_shared.testing.http import bearer
from hub_shared.testing.messages import event, log_innlagt, patient, plo
from hub_shared.tools.traces import by_trace, load_spans, render

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

FNR = "15076500565"


def _wait_for(hub, trace_id: str, spans: set[tuple[str, str]], timeout: float = 30) -> list[dict]:
    """The trace's spans once every (service, span name) is written: each process exports its
    spans in its own batches, so one service's span says nothing of another's."""
    deadline = time.monotonic() + timeout
    while True:
        found = by_trace(load_spans(hub.state_dir / "traces")).get(trace_id, [])
        if spans <= {(s["service"], s["name"]) for s in found} or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _tree(spans: list[dict]) -> dict[str, str | None]:
    """span name -> its parent's name (within the trace)."""
    names = {s["span_id"]: s["name"] for s in spans}
    return {s["name"]: names.get(s["parent_id"]) for s in spans}


async def test_a_journey_is_one_trace_across_services(make_hub):
    hub = make_hub("admission-notice", "discharge-ready", "housing-match", "billing")
    admitted = datetime(2024, 4, 2, 10, 0)
    person = patient(FNR, address=None)
    hospital = {"content-type": "application/xml", **bearer("59")}
    async with httpx.AsyncClient(headers=hospital, timeout=10) as http:
        first = await http.post(
            f"{hub.spec('admission-notice').url}/elin/messages",
            content=log_innlagt(admitted_at=admitted, person=person),
        )
        await asyncio.sleep(3)  # the admission reaches discharge-ready before the notice
        ready = plo(
            "LOG_UTSKRIVNINGSKLAR",
            events=[event(1, admitted), event(3, admitted.date() + timedelta(days=6))],
            gen_date=admitted + timedelta(days=6),
            person=person,
        )
        second = await http.post(f"{hub.spec('discharge-ready').url}/elin/messages", content=ready)
    stay_id = first.headers["X-Stay-Id"]
    assert second.headers["X-Stay-Id"] == stay_id

    admission = await asyncio.to_thread(
        _wait_for,
        hub,
        first.headers["X-Trace-Id"],
        {
            ("admission-notice", "POST /elin/messages"),
            ("admission-notice", "admission.v1 publish"),
            ("discharge-ready", "admission.v1 process AdmissionNotified"),
            ("billing", "admission.v1 process AdmissionNotified"),
            # A patient without a fixed home: housing-match opens a case, billing hears of it.
            ("housing-match", "admission.v1 process AdmissionNotified"),
            ("housing-match", "housing.v1 publish"),
            ("billing", "housing.v1 process HousingCaseOpened"),
        },
    )
    tree = _tree(admission)
    Console().print(render(first.headers["X-Trace-Id"], admission))
    assert tree["admission.v1 publish"] == "POST /elin/messages"
    consumers = {
        s["service"] for s in admission if s["name"] == "admission.v1 process AdmissionNotified"
    }
    assert consumers == {"discharge-ready", "housing-match", "billing"}
    assert tree["admission.v1 process AdmissionNotified"] == "admission.v1 publish"
    assert tree["housing.v1 publish"] == "admission.v1 process AdmissionNotified"
    assert tree["housing.v1 process HousingCaseOpened"] == "housing.v1 publish"

    readiness = await asyncio.to_thread(
        _wait_for,
        hub,
        second.headers["X-Trace-Id"],
        {
            ("discharge-ready", "POST /elin/messages"),
            ("discharge-ready", "discharge.v1 publish"),
            ("billing", "discharge.v1 process DischargeReadyNotified"),
        },
    )
    Console().print(render(second.headers["X-Trace-Id"], readiness))
    tree = _tree(readiness)
    assert tree["discharge.v1 publish"] == "POST /elin/messages"
    assert tree["discharge.v1 process DischargeReadyNotified"] == "discharge.v1 publish"
    assert {s["service"] for s in readiness} >= {"discharge-ready", "billing"}

    everything = str(load_spans(hub.state_dir / "traces"))
    assert FNR not in everything and "Gundersen" not in everything
    stayed = [s for s in admission + readiness if s["attributes"].get("hub.stay_id") == stay_id]
    assert {s["service"] for s in stayed} >= {
        "admission-notice",
        "discharge-ready",
        "housing-match",
        "billing",
    }
