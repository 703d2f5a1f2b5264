"""Issue 4: every worked case of PAYMENT-RULES.md, end to end through XML.

Each case is played as its conversation (hub_shared.testing.conversations): the hospital's
LOG_INNLAGT to admission-notice, its LOG_UTSKRIVNINGSKLAR / LOG_AVMELDING / LOG_UTSKREVET and the
municipality's answers to discharge-ready, cooperation meetings to discharge-ready's API, all as
the parties would send them (their own bearer tokens). The three services run as they do in
production, in this process: their HTTP apps, outbox relays and consumers, on their own SQLite
files, with the real broker (Tansu). The events cross admission.v1 and discharge.v1 to billing,
and billing's API, asked by the stay's key as the hospital knows it, reports the case's days and
amount.

Housing steps are published by the test as HousingAssigned events on housing.v1 (housing-match
is built elsewhere); no worked case has one, so one derived case below plays that path. Another
corrects the admission time and sends the readiness notice with the corrected time at once: the
notice overtakes the correction (discharge-ready's take-over of the stay it formed).

All cases run at once through one set of apps, each for a patient of its own: the broker lasts
the whole session.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from asgi_lifespan import LifespanManager

from admission_notice.entrypoints.api import create_app as admission_app
from admission_notice.settings import Settings as AdmissionSettings
from billing.entrypoints.api import create_app as billing_app
from billing.settings import Settings as BillingSettings
from discharge_ready.entrypoints.api import create_app as discharge_app
from discharge_ready.settings import Settings as DischargeSettings
from hub_shared.events import topics
from hub_shared.events.envelope import Envelope
from hub_shared.events.housing import HousingAssigned
from hub_shared.kafka import ensure_topics, make_producer
from hub_shared.settings import KafkaSettings
from hub_shared.testing.conversations import Conversation, Step, conversation
from hub_shared.testing.http import apprec_of, bearer, post_xml, status_and_errors
from hub_shared.testing.messages import patient, random_person_number
from hub_shared.testing.worked_cases import CASES, SOMATIC_STAY
from hub_shared.timeutil import local_to_utc

pytestmark = [pytest.mark.broker, pytest.mark.timeout(150)]

TRUST = "59"
SETTLE_SECONDS = 60

HOUSING_CASE: dict[str, Any] = {
    "number": 103,
    "title": "As 3 (no answer), but the housing office assigns a place: decided Wed 04-10 for "
    "Fri 04-12; discharged 04-12",
    "stay": {**SOMATIC_STAY, "stay_id": "stay-h03"},
    "events": [
        {"kind": "admission_notice", "id": "adm-1", "sent": "2024-04-02T15:00"},
        {
            "kind": "ready_notice",
            "id": "rdy-1",
            "sent": "2024-04-08T09:00",
            "ready": "2024-04-08",
            "decided_by": "Lege Testesen",
        },
        {
            "kind": "housing_assigned",
            "id": "hou-1",
            "assignment": "asg-1",
            "decided": "2024-04-10T11:00",
            "move_in": "2024-04-12",
        },
        {"kind": "discharge", "id": "dis-1", "sent": "2024-04-12T14:00"},
    ],
    "expected": {
        "payable": True,
        "days": 4,
        "amount": "22980",
        "reasons": [],
        "periods": [
            {
                "start": "2024-04-08",
                "end": "2024-04-12",
                "end_reason": "place_ready",
                "days": 4,
                "amount": "22980",
            }
        ],
    },
}
CORRECTED_ADMISSION_CASE: dict[str, Any] = {
    "number": 104,
    "title": "As 3, but the hospital corrects the admission time (LOG_INNLAGT M, 10:00 -> 09:30) "
    "and sends the readiness notice, which carries 09:30, right after it",
    "stay": {**SOMATIC_STAY, "stay_id": "stay-h04"},
    "events": [
        {"kind": "admission_notice", "id": "adm-1", "sent": "2024-04-02T15:00"},
        {
            "kind": "admission_notice",
            "id": "adm-2",
            "replaces": "adm-1",
            "sent": "2024-04-02T15:30",
            "admitted": "2024-04-02T09:30",
        },
        {
            "kind": "ready_notice",
            "id": "rdy-1",
            "sent": "2024-04-08T09:00",
            "ready": "2024-04-08",
            "decided_by": "Lege Testesen",
        },
        {"kind": "discharge", "id": "dis-1", "sent": "2024-04-10T13:00"},
    ],
    "expected": {
        "payable": True,
        "days": 2,
        "amount": "11490",
        "reasons": [],
        "periods": [
            {
                "start": "2024-04-08",
                "end": "2024-04-10",
                "end_reason": "discharged",
                "days": 2,
                "amount": "11490",
            }
        ],
    },
}
PLAYED = [*CASES, HOUSING_CASE, CORRECTED_ADMISSION_CASE]


@dataclass
class Services:
    admission: httpx.AsyncClient
    discharge: httpx.AsyncClient
    billing: httpx.AsyncClient
    producer: AIOKafkaProducer


@dataclass(frozen=True)
class Outcome:
    conv: Conversation
    summary: dict[str, Any]
    """billing's POST /v1/stays/search for the stay's key, once every event has arrived."""


async def _client(stack: list, app: Any) -> httpx.AsyncClient:
    manager = LifespanManager(app, startup_timeout=60, shutdown_timeout=30)
    await manager.__aenter__()
    stack.append(manager)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://hub"
    )
    stack.append(client)
    return client


@pytest.fixture(scope="module")
async def services(
    tmp_path_factory: pytest.TempPathFactory, kafka_settings: KafkaSettings
) -> AsyncIterator[Services]:
    """admission-notice, discharge-ready and billing with their relays and consumers running."""
    await ensure_topics(kafka_settings, topics.with_dlqs())
    state: Path = tmp_path_factory.mktemp("e2e")
    common: dict[str, Any] = {"trace_dir": None, "kafka": kafka_settings, "relay_poll_seconds": 0.1}
    stack: list[Any] = []
    producer = make_producer(kafka_settings)
    await producer.start()
    try:
        admission = await _client(
            stack,
            admission_app(
                AdmissionSettings(database_url=f"sqlite+aiosqlite:///{state / 'a.db'}", **common)
            ),
        )
        discharge = await _client(
            stack,
            discharge_app(
                DischargeSettings(database_url=f"sqlite+aiosqlite:///{state / 'd.db'}", **common)
            ),
        )
        billing = await _client(
            stack,
            billing_app(
                BillingSettings(
                    database_url=f"sqlite+aiosqlite:///{state / 'b.db'}",
                    # a group of its own: it reads the topics from the start, whoever read before
                    consumer_group=f"billing-e2e-{uuid.uuid4().hex[:8]}",
                    **common,
                )
            ),
        )
        yield Services(admission, discharge, billing, producer)
    finally:
        await producer.stop()
        for item in reversed(stack):
            if isinstance(item, httpx.AsyncClient):
                await item.aclose()
            else:
                await item.__aexit__(None, None, None)


def _someone() -> Any:
    """A fresh patient per case and run: the broker and its topics last the whole session."""
    return patient(random_person_number(random.Random(uuid.uuid4().int)))


async def _step(services: Services, conv: Conversation, step: Step) -> None:
    if step.target in ("admission-notice", "discharge-ready"):
        client = services.admission if step.target == "admission-notice" else services.discharge
        assert step.body is not None
        response = await post_xml(client, step.body, **bearer(step.sender_her))
        assert status_and_errors(apprec_of(response)) == ("1", []), (conv.case["number"], step)
        # A message keyed by a corrected admission time may get there before the correction:
        # it is told for the time's own stay first, and moved to the stay when it arrives.
        if not _corrected_before(conv, step):
            assert response.headers["X-Stay-Id"] == conv.stay_id
    elif step.target == "discharge-ready-api":
        assert step.path is not None
        path = step.path.format(stay_id=conv.stay_id)
        async with asyncio.timeout(SETTLE_SECONDS):
            while True:  # the stay is known to discharge-ready once admission.v1 told it
                response = await services.discharge.post(
                    path, json=step.payload, headers=bearer(step.sender_her)
                )
                if response.status_code != 404:
                    break
                await asyncio.sleep(0.2)
        assert response.status_code == 201, response.text
    else:
        await _publish_housing(services, conv, step)


def _corrected_before(conv: Conversation, step: Step) -> bool:
    """Whether an admission notice before this step corrected the admission time."""
    position = [s.case_id for s in conv.steps].index(step.case_id)
    before = conv.case["events"][:position]
    return step.target == "discharge-ready" and any(e.get("admitted") for e in before)


async def _publish_housing(services: Services, conv: Conversation, step: Step) -> None:
    """What housing-match publishes when an officer accepts an assignment."""
    payload = step.payload or {}
    assert step.kind == "housing_assigned", f"no housing step {step.kind} in these cases"
    data = HousingAssigned(
        stay_id=conv.stay_id,
        case_id=f"case-{conv.stay_id[:8]}",
        assignment_id=payload["assignment"],
        unit_id="unit-e2e",
        site_id="site-e2e",
        municipality_her=conv.case["stay"]["municipality_her"],
        move_in=date.fromisoformat(payload["move_in"]),
        decided_at=local_to_utc(datetime.fromisoformat(payload["decided"])),
    )
    envelope = Envelope.wrap(data, subject=conv.stay_id, source="/hub/housing-match")
    envelope = envelope.model_copy(update={"id": uuid.UUID(step.msg_id)})
    await services.producer.send_and_wait(
        topics.HOUSING, value=envelope.to_bytes(), key=conv.stay_id.encode()
    )


async def _play(services: Services, case: dict[str, Any]) -> Outcome:
    conv = conversation(case, person=_someone())
    for step in conv.steps:
        await _step(services, conv, step)
    expected_messages = set(conv.ids.values())
    async with asyncio.timeout(SETTLE_SECONDS):
        while True:  # billing has every message of the stay
            response = await services.billing.get(
                f"/v1/stays/{conv.stay_id}", headers=bearer(TRUST)
            )
            if response.status_code == 200:
                messages = {m["message_id"] for m in response.json()["messages"]}
                if messages == expected_messages:
                    break
            await asyncio.sleep(0.25)
    stay = case["stay"]
    # The hospital knows the stay by its admission time as last corrected.
    corrected = [e["admitted"] for e in case["events"] if e.get("admitted")]
    response = await services.billing.post(
        "/v1/stays/search",
        json={
            "patient_id": conv.patient.id,
            "hospital_her": stay["hospital_her"],
            "admitted_at": (corrected or [stay["admitted"]])[-1],
        },
        headers=bearer(TRUST),
    )
    assert response.status_code == 200, response.text
    return Outcome(conv, response.json())


@pytest.fixture(scope="module")
async def outcomes(services: Services) -> dict[int, Outcome]:
    played = await asyncio.gather(*(_play(services, case) for case in PLAYED))
    return {outcome.conv.case["number"]: outcome for outcome in played}


def _periods(periods: list[dict[str, Any]]) -> list[tuple]:
    return [
        (p["start"], p["end"], p["end_reason"], p["days"], Decimal(p["amount"])) for p in periods
    ]


@pytest.mark.parametrize("case", PLAYED, ids=[f"case-{c['number']}" for c in PLAYED])
async def test_the_case_posted_as_xml_gives_its_days_and_amount_in_billing(
    outcomes: dict[int, Outcome], case: dict[str, Any]
) -> None:
    outcome = outcomes[case["number"]]
    summary, expected = outcome.summary, case["expected"]

    assert summary["stay_ref"] == outcome.conv.stay_id
    assert (summary["total_days"], Decimal(summary["total_amount"])) == (
        expected["days"],
        Decimal(expected["amount"]),
    ), case["title"]
    assert summary["payable"] is expected["payable"]
    assert _periods(summary["periods"]) == _periods(expected["periods"])
    assert set(expected["reasons"]) <= set(summary["reasons"])
    if "pieces" in expected:
        pieces = [
            (piece["year"], piece["days"], Decimal(piece["rate"]), Decimal(piece["amount"]))
            for period in summary["periods"]
            for piece in period["pieces"]
        ]
        assert pieces == [
            (year, days, Decimal(rate), Decimal(amount))
            for year, days, rate, amount in expected["pieces"]
        ]
    # Every figure rests on the messages the parties sent, by their MsgIds.
    assert {m["message_id"] for m in summary["messages"]} == set(outcome.conv.ids.values())
    assert outcome.conv.patient.id not in str(summary)
