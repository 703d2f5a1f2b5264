"""Issue 7: whole patient journeys through the running hub (the four services as processes),
driven only by what hospitals and municipalities send: admission, discharge-ready notice, the
municipality's answer (Dialogmelding) or a housing assignment, discharge, and the month's invoice.
At the end every service's state is read through its API and checked against the worked case."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from journeys import (
    HOSPITAL_TRUST,
    MUNICIPALITY_HER,
    TEST_RATE,
    HousingOffice,
    Journey,
    all_events,
    issue_invoices,
    journeys,
    months_of,
    play,
    rates_with_test_years,
    wait_for_billing,
)

from hub_shared import broker
from hub_shared.events import topics
from hub_shared.testing.hospital import FakeHospital, register_with_endpoint
from hub_shared.testing.http import bearer
from hub_shared.testing.worked_cases import CASES
from hub_shared.timeutil import oslo_now

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

SERVICES = ("admission-notice", "discharge-ready", "housing-match", "billing")


async def eventually(
    read: Callable[[], Awaitable[Any]], ok: Callable[[Any], bool], timeout: float = 20
) -> Any:
    """Read until `ok` holds (consumers apply events shortly after the answer), or the last."""
    deadline = time.monotonic() + timeout
    while True:
        value = await read()
        if ok(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)


def final_readiness(case: dict[str, Any]) -> str:
    kinds = [e["kind"] for e in case["events"]]
    if "death" in kinds:
        return "died"
    if "discharge" in kinds:
        return "discharged"
    last = [k for k in kinds if k in ("ready_notice", "withdrawal")][-1]
    return {"ready_notice": "ready", "withdrawal": "withdrawn"}[last]


def _periods(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "start": p["start"],
            "end": p["end"],
            "end_reason": p["end_reason"],
            "days": p["days"],
            "amount": str(Decimal(p["amount"])),
        }
        for p in summary["periods"]
    ]


async def check_admission_notice(http: httpx.AsyncClient, url: str, journey: Journey) -> None:
    response = await http.get(f"{url}/stays/{journey.stay_id}")
    notices = journey.steps_to("admission-notice")
    if not notices:  # case 9: no admission notice was ever sent
        assert response.status_code == 404, response.text
        return
    assert response.status_code == 200, response.text
    stay = response.json()
    assert stay["status"] == "active"
    assert stay["hospital_her"] == HOSPITAL_TRUST and stay["municipality_her"] == MUNICIPALITY_HER
    assert [m["msg_id"] for m in stay["messages"]] == [s.msg_id for s in notices]
    assert all(m["accepted"] for m in stay["messages"])
    assert journey.conv.patient.id not in response.text, "the patient is shown masked"


async def check_discharge_ready(http: httpx.AsyncClient, url: str, journey: Journey) -> None:
    case = journey.conv.case
    admitted = any(e["kind"] == "admission_notice" for e in case["events"])

    async def read() -> dict[str, Any]:
        response = await http.get(f"{url}/stays/{journey.stay_id}")
        assert response.status_code == 200, response.text
        return response.json()

    stay = await eventually(read, lambda s: s["admission_known"] is admitted)
    assert stay["admission_known"] is admitted, "admission.v1 reached discharge-ready"
    assert stay["linked"] and stay["readiness"] == final_readiness(case)
    published = [
        s.msg_id for s in journey.conv.steps if s.expects and s.expects[0] == "discharge.v1"
    ]
    assert [e["msg_id"] for e in stay["timeline"]] == published
    assert all(e["in_force"] for e in stay["timeline"])


async def check_billing(
    http: httpx.AsyncClient, url: str, journey: Journey, events: frozenset[str] = frozenset()
) -> dict[str, Any]:
    response = await http.get(f"{url}/v1/stays/{journey.stay_id}")
    assert response.status_code == 200, response.text
    summary = response.json()
    expected = journey.expected
    got = (summary["payable"], summary["total_days"], Decimal(summary["total_amount"]))
    want = (expected["payable"], expected["days"], Decimal(expected["amount"]))
    assert got == want, f"case {journey.number}: {summary['steps']}"
    assert sorted(summary["reasons"]) == sorted(expected["reasons"])
    assert _periods(summary) == [
        {**p, "amount": str(Decimal(p["amount"]))} for p in expected["periods"]
    ]
    assert set(summary["message_ids"]) <= journey.facts | events, "rests on this stay's messages"
    return summary


async def test_every_worked_case_is_a_journey_through_the_running_hub(make_hub):
    hub = make_hub(*SERVICES)
    plays = journeys(len(CASES), seed=71)
    played = await play(hub, plays, concurrency=6)
    sent = sum(len(j.conv.steps) for j in plays)
    print(
        f"played {len(plays)} journeys (cases {[j.number for j in plays]}), {sent} steps; "
        f"resends {played.resends}, errors {dict(played.errors)}"
    )
    assert set(played.status) == {s.msg_id for j in plays for s in j.conv.steps}
    assert played.ok == set(played.status), "every message answered OK"
    wrong_stay = {
        m: s for j in plays for m, s in played.stay_ids.items() if m in j.facts and s != j.stay_id
    }
    assert not wrong_stay, f"linked to another stay: {wrong_stay}"

    facts = await wait_for_billing(hub, plays)
    wanted = set().union(*(j.facts for j in plays))
    print(f"billing holds {sum(facts.values())} facts of {len(wanted)} messages")
    assert set(facts) == wanted and set(facts.values()) == {1}

    urls = {s.name: s.url for s in hub.services}
    async with httpx.AsyncClient(headers=bearer(MUNICIPALITY_HER), timeout=10) as municipality:
        for journey in plays:
            await check_admission_notice(municipality, urls["admission-notice"], journey)
            await check_discharge_ready(municipality, urls["discharge-ready"], journey)
            await check_billing(municipality, urls["billing"], journey)
        response = await municipality.get(
            f"{urls['billing']}/v1/clocks", params={"municipality": MUNICIPALITY_HER}
        )
        assert response.status_code == 200 and response.json()["clocks"] == [], (
            "every journey ended: no clock still running"
        )

    months = months_of(plays)
    invoices = await issue_invoices(hub, months)
    by_stay: dict[str, Decimal] = {}
    by_stay_days: dict[str, int] = {}
    for month, invoice in invoices.items():
        lines = invoice["lines"]
        assert invoice["month"] == month and invoice["document_type"] == "invoice"
        assert Decimal(invoice["total_amount"]) == sum(Decimal(x["amount"]) for x in lines)
        assert invoice["total_days"] == sum(x["days"] for x in lines)
        for line in lines:
            assert line["month"][:7] == month
            by_stay[line["stay_ref"]] = by_stay.get(line["stay_ref"], 0) + Decimal(line["amount"])
            by_stay_days[line["stay_ref"]] = by_stay_days.get(line["stay_ref"], 0) + line["days"]
        print(
            f"invoice {invoice['invoice_id']}: {len(lines)} lines, {invoice['total_days']} days, "
            f"NOK {invoice['total_amount']}"
        )
    for journey in plays:
        amount = Decimal(journey.expected["amount"])
        days = journey.expected["days"] if journey.expected["payable"] else 0
        assert by_stay.get(journey.stay_id, Decimal(0)) == amount, f"case {journey.number}"
        assert by_stay_days.get(journey.stay_id, 0) == days, f"case {journey.number}"
    again = await issue_invoices(hub, months)
    assert {m: i["invoice_id"] for m, i in again.items()} == {
        m: i["invoice_id"] for m, i in invoices.items()
    }, "issuing a month again gives the same invoice"
    assert hub.exited() == []


async def test_a_homeless_patient_is_housed_and_the_clock_stops_on_the_move_in_day(
    make_hub, tmp_path
):
    hospital = FakeHospital(broker.free_port()).start()
    now = oslo_now()
    try:
        register = register_with_endpoint(tmp_path / "register.toml", hospital.endpoint)
        rates = rates_with_test_years(tmp_path / "rates.toml", range(2025, now.year + 2))
        hub = make_hub(*SERVICES, HUB_REGISTER_FILE=str(register), HUB_RATES_FILE=str(rates))
        await _housing_journey(hub, hospital, now)
    finally:
        hospital.stop()


async def _housing_journey(hub: Any, hospital: FakeHospital, now: datetime) -> None:
    urls = {s.name: s.url for s in hub.services}
    (journey,) = journeys(1, seed=900, housed_every=1, now=now)
    today, expected = now.date(), journey.expected
    notice = date.fromisoformat(expected["periods"][0]["start"])
    steps = journey.conv.steps
    assert [s.kind for s in steps][3] == "housing_assigned"

    # admission (no fixed home), the § 10 notice last month, "cannot receive": the clock runs
    before = Journey(replace(journey.conv, steps=steps[:3]))
    played = await play(hub, [before], concurrency=1)
    assert set(played.status.values()) == {"1"}, played.status
    await wait_for_billing(hub, [before])
    municipality = bearer(MUNICIPALITY_HER)
    async with httpx.AsyncClient(headers=municipality, timeout=10) as http:
        clocks = await http.get(
            f"{urls['billing']}/v1/clocks", params={"municipality": MUNICIPALITY_HER}
        )
        running = [c for c in clocks.json()["clocks"] if c["stay_ref"] == journey.stay_id]
        print(f"before housing: clocks {[(c['since'], c['days']) for c in running]}")
        assert [(c["since"], c["stops_on"]) for c in running] == [(str(notice), None)]
        office = HousingOffice(urls["housing-match"])
        await office.stock(http, flats=1)

    # the officer houses the patient from today; the hospital discharges the patient today
    after = Journey(replace(journey.conv, steps=steps[3:]))
    played = await play(hub, [after], concurrency=1, officer=office)
    assert set(played.status.values()) == {"201", "1"}, played.status
    await wait_for_billing(hub, [journey])

    housing = await all_events(hub, topics.HOUSING, expect=2)
    kinds = sorted(e["type"] for e in {e["id"]: e for e in housing}.values())
    print(f"housing.v1: {kinds}")
    assert kinds == ["HousingAssigned", "HousingCaseOpened"]
    assert all(e["subject"] == journey.stay_id for e in housing)
    assigned = next(e for e in housing if e["type"] == "HousingAssigned")
    assert assigned["data"]["move_in"] == str(today)

    async with httpx.AsyncClient(headers=municipality, timeout=10) as http:

        async def summary() -> dict[str, Any]:
            response = await http.get(f"{urls['billing']}/v1/stays/{journey.stay_id}")
            assert response.status_code == 200, response.text
            return response.json()

        stay = await eventually(
            summary, lambda s: any(m["event_id"] == assigned["id"] for m in s["messages"])
        )
        period = stay["periods"][0]
        print(
            f"billing: clock {period['start']} - {period['end']} ({period['end_reason']}), "
            f"{stay['total_days']} days, NOK {stay['total_amount']}"
        )
        assert period["answer"]["via_housing"] and period["answer"]["day"] == str(today)
        await check_billing(http, urls["billing"], journey, frozenset({assigned["id"]}))

        response = await http.get(f"{urls['admission-notice']}/stays/{journey.stay_id}")
        assert response.status_code == 200 and response.json()["without_fixed_home"] is True
        await check_discharge_ready(http, urls["discharge-ready"], journey)

        case_id = office.cases[journey.stay_id]

        async def case() -> dict[str, Any]:
            response = await http.get(f"{urls['housing-match']}/v1/cases/{case_id}")
            assert response.status_code == 200, response.text
            return response.json()

        found = await eventually(
            case, lambda c: [m["status"] for m in c["messages"]] == ["delivered"]
        )
        print(
            f"housing-match: case {found['status']} ({found['close_reason']}), answers "
            f"{[(m['answer_line'], m['status']) for m in found['messages']]}"
        )
        assert [a["move_in"] for a in found["assignments"]] == [str(today)]
        assert [m["answer_line"] for m in found["messages"]] == [f"KAN-MOTTA: {today}"]
        assert [m["status"] for m in found["messages"]] == ["delivered"]
        assert any(f"KAN-MOTTA: {today}".encode() in body for body in hospital.bodies)

    billing_events = await all_events(hub, topics.BILLING, expect=2)
    stopped = [
        e["data"]
        for e in {e["id"]: e for e in billing_events}.values()
        if e["type"] == "PaymentClockStopped" and e["subject"] == journey.stay_id
    ]
    print(
        "billing.v1: clock stopped "
        f"{[(x['stopped_on'], x['end_reason'], x['days'], x['revision']) for x in stopped]}"
    )
    assert stopped and stopped[-1]["stopped_on"] == str(today), stopped

    last_month = f"{notice:%Y-%m}"
    invoice = (await issue_invoices(hub, [last_month]))[last_month]
    lines = [x for x in invoice["lines"] if x["stay_ref"] == journey.stay_id]
    days = (today.replace(day=1) - notice).days
    print(f"invoice {invoice['invoice_id']}: {[(x['days'], x['amount']) for x in lines]}")
    assert [(x["days"], Decimal(x["amount"])) for x in lines] == [(days, days * TEST_RATE)]
    assert assigned["id"] in lines[0]["message_ids"], "the line rests on the housing decision"
    assert hub.exited() == []
