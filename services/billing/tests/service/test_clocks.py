"""GET /v1/clocks: the clocks running today for a municipality, with days and NOK so far."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from billing_envelopes import (
    adm,
    answer,
    case_stay,
    discharged,
    envelopes,
    oslo,
    patient_number,
    ready,
    stay_dict,
)

ALVDAL, NORD = "99387", "800400"


async def _stay(hub, name: str, events: list[dict], patient: int, municipality=ALVDAL) -> str:
    stay = case_stay(
        stay_dict(name, "2024-04-02T10:00", municipality_her=municipality),
        patient=patient_number(patient),
    )
    await hub.feed(envelopes(stay, events))
    return stay.stay_id


ADMITTED = adm("adm", "2024-04-02T15:00")


async def test_running_clocks_show_days_and_amount_so_far_in_oslo_days(hub) -> None:
    hub.clock.now = oslo("2024-04-10T23:30")  # late evening in Oslo: already 04-10 21:30 UTC
    running = await _stay(hub, "run", [ADMITTED, ready("r1", "2024-04-08T09:00")], 1)
    known_stop = await _stay(
        hub,
        "stop",
        [
            ADMITTED,
            ready("s1", "2024-04-09T16:30"),
            answer("s2", "2024-04-09T17:00", True, "2024-04-12"),
        ],
        2,
    )
    await _stay(
        hub,
        "ended",
        [ADMITTED, ready("e1", "2024-04-03T09:00"), discharged("e2", "2024-04-05T10:00")],
        3,
    )
    await _stay(hub, "unpaid", [ready("n1", "2024-04-08T09:00")], 4)  # no admission notice
    await _stay(hub, "nord", [ADMITTED, ready("o1", "2024-04-08T09:00")], 5, municipality=NORD)

    response = await hub.get(f"/v1/clocks?municipality={ALVDAL}", as_=ALVDAL)

    assert response.status_code == 200, response.text
    body = response.json()
    clocks = {c["stay_ref"]: c for c in body["clocks"]}
    assert set(clocks) == {running, known_stop}
    assert (clocks[running]["since"], clocks[running]["days"], clocks[running]["amount"]) == (
        "2024-04-08",
        3,
        "17235",
    )
    assert clocks[running]["stops_on"] is None
    assert (clocks[known_stop]["days"], clocks[known_stop]["stops_on"]) == (2, "2024-04-12")
    assert (body["total_days"], Decimal(body["total_amount"])) == (5, Decimal(28725))
    assert clocks[running]["daily_rate"] == "5745"

    hub.clock.now = oslo("2024-04-13T08:00")
    later = {
        c["stay_ref"]: c
        for c in (await hub.get(f"/v1/clocks?municipality={ALVDAL}", as_=ALVDAL)).json()["clocks"]
    }
    assert set(later) == {running}  # the known stop has come
    assert later[running]["days"] == 6


async def test_a_known_future_stop_is_published_at_once(hub) -> None:
    hub.clock.now = oslo("2024-04-10T12:00")
    await _stay(
        hub,
        "stop",
        [
            ADMITTED,
            ready("s1", "2024-04-08T09:00"),
            answer("s2", "2024-04-09T17:00", True, "2024-04-12"),
        ],
        2,
    )

    events = [(e.type, e.data.get("stopped_on"), e.data.get("days")) for e in await hub.outbox()]

    assert events == [
        ("PaymentClockStarted", None, None),
        ("PaymentClockStopped", "2024-04-12", 4),
    ]


async def test_days_of_a_year_without_a_rate_are_counted_unpriced(hub) -> None:
    hub.clock.now = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    stay = case_stay(stay_dict("u", "2025-01-06T10:00"), patient=patient_number(6))
    await hub.feed(envelopes(stay, [adm("a", "2025-01-06T12:00"), ready("r", "2025-01-13T09:00")]))

    (clock,) = (await hub.get(f"/v1/clocks?municipality={ALVDAL}", as_=ALVDAL)).json()["clocks"]

    assert (clock["days"], clock["unpriced_days"], clock["amount"], clock["daily_rate"]) == (
        3,
        3,
        "0",
        None,
    )


async def test_only_the_municipality_sees_its_clocks_and_a_unit_her_id_is_its_municipality(hub):
    hub.clock.now = oslo("2024-04-10T12:00")
    stay = await _stay(hub, "run", [ADMITTED, ready("r1", "2024-04-08T09:00")], 1)

    other = await hub.get(f"/v1/clocks?municipality={ALVDAL}", as_=NORD)
    by_unit = await hub.get("/v1/clocks?municipality=5078", as_=ALVDAL)

    assert other.status_code == 403
    assert [c["stay_ref"] for c in by_unit.json()["clocks"]] == [stay]
    assert by_unit.json()["municipality_her"] == ALVDAL


async def test_the_running_clocks_gauge_counts_by_municipality(hub) -> None:
    hub.clock.now = oslo("2024-04-10T12:00")
    await _stay(hub, "g1", [ADMITTED, ready("g1r", "2024-04-08T09:00")], 11)
    await _stay(hub, "g2", [ADMITTED, ready("g2r", "2024-04-09T09:00")], 12)
    await _stay(hub, "g3", [ADMITTED, ready("g3r", "2024-04-09T09:00")], 13, municipality=NORD)
    text = (await hub.get("/metrics", as_=ALVDAL)).text
    assert f'hub_payment_clocks_running{{municipality="{ALVDAL}"}} 2.0' in text
    assert f'hub_payment_clocks_running{{municipality="{NORD}"}} 1.0' in text
