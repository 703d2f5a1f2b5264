"""Events in, payment state out: the worked cases through the consumer and the API, duplicates,
replays, out-of-order delivery and corrections."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from billing_envelopes import adm, case_stay, envelopes, patient_number

from billing.adapters import orm
from hub_shared.events.discharge import DischargeMessageMoved
from hub_shared.events.envelope import Envelope
from hub_shared.testing.worked_cases import CASES, SOMATIC_STAY

CASE_IDS = [f"case-{c['number']:02d}" for c in CASES]


def _case(number: int) -> dict:
    return next(c for c in CASES if c["number"] == number)


def _periods(summary: dict) -> list[tuple]:
    return [
        (p["start"], p["end"], p["end_reason"], p["days"], Decimal(p["amount"]))
        for p in summary["periods"]
    ]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_each_worked_case_fed_as_events_gives_its_days_and_amount(hub, case) -> None:
    stay = case_stay(case["stay"], patient=patient_number(case["number"]))

    await hub.feed(envelopes(stay, case["events"]))

    summary = await hub.stay(stay.stay_id)
    expected = case["expected"]
    assert summary["payable"] is expected["payable"]
    assert summary["total_days"] == expected["days"]
    assert Decimal(summary["total_amount"]) == Decimal(expected["amount"])
    assert _periods(summary) == [
        (p["start"], p["end"], p["end_reason"], p["days"], Decimal(p["amount"]))
        for p in expected["periods"]
    ]
    assert set(expected["reasons"]) <= set(summary["reasons"])
    assert {m["message_id"] for m in summary["messages"]} == {e["id"] for e in case["events"]}
    assert set(summary["message_ids"]) <= {e["id"] for e in case["events"]}
    assert summary["steps"], "the computation is explained"


async def test_the_stay_is_found_by_its_key_and_never_shows_the_patient_number(hub) -> None:
    case = _case(2)
    patient = patient_number(2)
    stay = case_stay(case["stay"], patient=patient)
    await hub.feed(envelopes(stay, case["events"]))

    response = await hub.post(
        "/v1/stays/search",
        json={"patient_id": patient, "hospital_her": "90998", "admitted_at": "2024-04-02T10:00"},
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["stay_ref"] == stay.stay_id
    assert (body["total_days"], Decimal(body["total_amount"])) == (4, Decimal(22980))
    assert patient not in response.text
    facts = await hub.table(orm.facts)
    assert facts and not any(patient in str(row) for row in facts)
    audit = await hub.table(orm.audit_log)
    assert [(a["action"], a["stay_id"], a["caller"]) for a in audit] == [
        ("search stay", stay.stay_id, "HER:59")
    ]


async def test_a_stay_whose_admission_time_was_corrected_is_found_by_either_time(hub) -> None:
    case = _case(2)
    patient = patient_number(2)
    stay = case_stay(case["stay"], patient=patient)
    correction = adm("adm-2", "2024-04-02T16:00", replaces="adm-1", admitted="2024-04-02T09:30")
    first, *rest = case["events"]
    assert first["id"] == "adm-1"
    await hub.feed(envelopes(stay, [first, correction, *rest]))

    def search(admitted: str) -> dict:
        return {"patient_id": patient, "hospital_her": "90998", "admitted_at": admitted}

    for admitted in ("2024-04-02T10:00", "2024-04-02T09:30"):
        response = await hub.post("/v1/stays/search", json=search(admitted))
        assert response.status_code == 200, (admitted, response.text)
        assert response.json()["stay_ref"] == stay.stay_id
    never = await hub.post("/v1/stays/search", json=search("2024-04-02T11:00"))
    assert never.status_code == 404
    keys = await hub.table(orm.stay_keys)
    assert [k["stay_id"] for k in keys] == [stay.stay_id]
    assert patient not in str(keys)


async def test_a_notice_moved_to_another_stay_voids_the_clock_it_started(hub) -> None:
    case = _case(3)  # ready Mon 04-08, no answer
    stay = case_stay(case["stay"], patient=patient_number(3))
    notice = [e for e in case["events"] if e["kind"] != "discharge"]
    await hub.feed(envelopes(stay, notice))
    moved = DischargeMessageMoved(
        stay_id=stay.stay_id,
        msg_id="rdy-1",
        msg_type="LOG_UTSKRIVNINGSKLAR",
        moved_to="the-corrected-stay",
        moved_at=datetime(2024, 4, 8, 9, 1, tzinfo=UTC),
    )
    await hub.feed([Envelope.wrap(moved, subject=stay.stay_id, source="/hub/discharge-ready")])

    told = [(e.type, e.data["period_key"]) for e in await hub.outbox()]
    assert told == [("PaymentClockStarted", "rdy-1"), ("PaymentClockVoided", "rdy-1")]
    summary = await hub.stay(stay.stay_id)
    assert (summary["total_days"], summary["periods"]) == (0, [])


async def test_a_stay_is_hidden_from_parties_that_are_not_its_hospital_or_municipality(hub):
    case = _case(2)
    stay = case_stay(case["stay"], patient=patient_number(2))
    await hub.feed(envelopes(stay, case["events"]))

    assert (await hub.get(f"/v1/stays/{stay.stay_id}", as_="99387")).status_code == 200
    assert (await hub.get(f"/v1/stays/{stay.stay_id}", as_="800400")).status_code == 404
    assert (await hub.get(f"/v1/stays/{stay.stay_id}", as_="800200")).status_code == 404
    assert (await hub.http.get(f"/v1/stays/{stay.stay_id}")).status_code == 401


async def test_clock_events_follow_the_stay_and_a_duplicate_or_replay_adds_nothing(hub) -> None:
    case = _case(12)  # two periods: withdrawn, then a new notice
    stay = case_stay(case["stay"], patient=patient_number(12))
    events = envelopes(stay, case["events"])

    await hub.feed(events)
    published = [(e.type, e.data["period_key"], e.data["revision"]) for e in await hub.outbox()]
    state = await hub.table(orm.clocks)
    facts = await hub.table(orm.facts)
    await hub.feed(events)  # redelivered: the consumer knows every event id
    await hub.feed([events[3], events[3], events[0]])
    for envelope in events:  # a replay under another consumer group: the fact store knows them
        async with hub.billing_uow() as uow:
            await hub.billing.apply_event(uow, envelope)
            await uow.commit()

    assert published == [
        ("PaymentClockStarted", "rdy-1", 1),
        ("PaymentClockStopped", "rdy-1", 2),
        ("PaymentClockStarted", "rdy-2", 1),
        ("PaymentClockStopped", "rdy-2", 2),
    ]
    stops = [e.data for e in await hub.outbox() if e.type == "PaymentClockStopped"]
    assert [(s["stopped_on"], s["days"], Decimal(s["amount"])) for s in stops] == [
        ("2024-04-10", 2, Decimal(11490)),
        ("2024-04-18", 3, Decimal(17235)),
    ]
    assert len(await hub.outbox()) == len(published)
    assert await hub.table(orm.clocks) == state
    assert len(await hub.table(orm.facts)) == len(facts) == len(events)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_any_delivery_order_gives_the_same_state(hub, seed: int) -> None:
    in_order = _case(12)
    first = case_stay(in_order["stay"], patient=patient_number(120))
    second = case_stay({**in_order["stay"], "stay_id": "other"}, patient=patient_number(121))
    events = envelopes(first, in_order["events"])
    mixed = envelopes(second, in_order["events"])
    random.Random(seed).shuffle(mixed)

    await hub.feed(events)
    await hub.feed(mixed)

    a, b = await hub.stay(first.stay_id), await hub.stay(second.stay_id)
    assert _periods(a) == _periods(b)
    assert (
        (a["total_days"], a["total_amount"])
        == (b["total_days"], b["total_amount"])
        == (
            5,
            "28725",
        )
    )
    clocks = {}
    for row in await hub.table(orm.clocks):
        clocks.setdefault(row["stay_id"], {})[row["period_key"]] = (
            row["state"],
            row["started_on"],
            row["stops_on"],
            row["days"],
            row["amount"],
        )
    assert clocks[first.stay_id] == clocks[second.stay_id]


async def test_a_cancelled_answer_reopens_the_clock_and_a_cancelled_admission_voids_it(hub):
    case = _case(2)
    stay = case_stay(case["stay"], patient=patient_number(22))
    events = case["events"]
    await hub.feed(envelopes(stay, events))
    await hub.feed(
        envelopes(
            stay,
            [
                *events,
                {"kind": "cancel", "id": "can-1", "sent": "2024-04-12T09:00", "cancels": "ans-2"},
            ],
        )[-1:]
    )
    reopened = await hub.stay(stay.stay_id)
    await hub.feed(
        envelopes(
            stay,
            [
                *events,
                {"kind": "cancel", "id": "can-2", "sent": "2024-04-13T09:00", "cancels": "adm-1"},
            ],
        )[-1:]
    )
    voided = await hub.stay(stay.stay_id)

    # Without the "place ready" answer the discharge on 04-12 stops the clock: still 4 days.
    assert _periods(reopened) == [("2024-04-08", "2024-04-12", "discharged", 4, Decimal(22980))]
    assert (voided["payable"], voided["total_days"]) == (False, 0)
    assert "no_admission_notice" in voided["reasons"]
    kinds = [(e.type, e.data["revision"]) for e in await hub.outbox()]
    assert kinds == [
        ("PaymentClockStarted", 1),
        ("PaymentClockStopped", 2),
        ("PaymentClockStopped", 3),  # the end reason changed from place_ready to discharged
        ("PaymentClockVoided", 4),
    ]
    voided_event = (await hub.outbox())[-1].data
    assert voided_event["reasons"] == ["no_admission_notice"]


async def test_events_before_the_admission_is_known_wait_for_it(hub) -> None:
    case = _case(2)
    stay = case_stay(case["stay"], patient=patient_number(23))
    items = envelopes(stay, case["events"])
    answers = [e for e in items if e.type == "MunicipalityAnswered"]
    rest = [e for e in items if e.type != "MunicipalityAnswered"]

    await hub.feed(answers)  # the answer carries no admission time: nothing to assess yet
    assert (await hub.get(f"/v1/stays/{stay.stay_id}")).status_code == 404
    assert [r["complete"] for r in await hub.table(orm.stays)] == [False]
    await hub.feed(rest)

    summary = await hub.stay(stay.stay_id)
    assert (summary["total_days"], summary["total_amount"]) == (4, "22980")


async def test_a_housing_assignment_is_the_municipalitys_place_ready(hub) -> None:
    stay_dict = {**SOMATIC_STAY, "stay_id": "housing"}
    stay = case_stay(stay_dict, patient=patient_number(24))
    events = [
        {"kind": "admission_notice", "id": "adm-1", "sent": "2024-04-02T15:00"},
        {"kind": "ready_notice", "id": "rdy-1", "sent": "2024-04-08T09:00", "ready": "2024-04-08"},
        {"kind": "answer", "id": "ans-1", "sent": "2024-04-08T11:00", "can_receive": False},
        {
            "kind": "housing_assigned",
            "id": "hou-1",
            "assignment": "asg-1",
            "decided": "2024-04-09T14:00",
            "move_in": "2024-04-11",
        },
    ]
    await hub.feed(envelopes(stay, events))
    summary = await hub.stay(stay.stay_id)
    assert _periods(summary) == [("2024-04-08", "2024-04-11", "place_ready", 3, Decimal(17235))]
    assert summary["periods"][0]["answer"]["via_housing"] is True

    await hub.feed(
        envelopes(
            stay,
            [
                *events,
                {
                    "kind": "housing_cancelled",
                    "id": "hou-2",
                    "assignment": "asg-1",
                    "cancelled": "2024-04-10T09:00",
                },
                {"kind": "discharge", "id": "dis-1", "sent": "2024-04-15T12:00"},
            ],
        )[-2:]
    )
    summary = await hub.stay(stay.stay_id)
    assert _periods(summary) == [("2024-04-08", "2024-04-15", "discharged", 7, Decimal(40215))]


async def test_an_answer_the_hub_could_not_read_does_not_stop_the_clock_and_is_noted(hub):
    case = _case(3)  # the municipality never answers in a way the hub can read
    stay = case_stay(case["stay"], patient=patient_number(25))
    unread = {"kind": "answer", "id": "ans-x", "sent": "2024-04-09T08:00", "can_receive": False}
    items = envelopes(stay, [*case["events"], unread])
    items[-1] = items[-1].model_copy(update={"data": {**items[-1].data, "structured": False}})

    await hub.feed(items)

    summary = await hub.stay(stay.stay_id)
    assert (summary["total_days"], summary["total_amount"]) == (2, "11490")
    assert any("ans-x" in note and "not in the agreed form" in note for note in summary["notes"])
