"""A poll's events in one transaction (the consumer's batch path) have the effect of the same
events applied one by one: the same stay, and the same clock announcements in the same order with
the same revisions. The facts a recomputation reads from memory are those in the database."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from billing_envelopes import case_stay, envelopes, patient_number, record

from billing.adapters import orm
from billing.service import Billing
from hub_shared.testing.worked_cases import CASES

CASE_IDS = [f"case-{c['number']:02d}" for c in CASES]


def _state(summary: dict[str, Any]) -> dict[str, Any]:
    """A stay's summary without what names the stay or the envelopes it came in."""
    kept = {k: v for k, v in summary.items() if k not in ("stay_ref", "messages")}
    kept["messages"] = sorted(
        (m["message_id"], m["event_type"], m["gen_date"]) for m in summary["messages"]
    )
    return kept


async def _announced(hub, stay_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The clock events of a stay on billing.v1, in order, without the stay id."""
    return [
        (event.type, {k: v for k, v in event.data.items() if k != "stay_id"})
        for event in await hub.outbox()
        if event.subject == stay_id
    ]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_a_case_in_one_poll_ends_as_the_case_event_by_event(hub, case) -> None:
    alone = case_stay(case["stay"], patient=patient_number(case["number"]))
    together = case_stay(case["stay"], patient=patient_number(200 + case["number"]))

    await hub.feed(envelopes(alone, case["events"]))
    items = envelopes(together, case["events"])
    await hub.consumer.handle_records([record(e, n) for n, e in enumerate(items)])

    assert hub.consumer.dead_lettered == 0
    assert _state(await hub.stay(together.stay_id)) == _state(await hub.stay(alone.stay_id))
    assert await _announced(hub, together.stay_id) == await _announced(hub, alone.stay_id)
    clocks = {}
    for row in await hub.table(orm.clocks):
        clocks.setdefault(row["stay_id"], []).append({**row, "stay_id": None})
    assert clocks.get(together.stay_id) == clocks.get(alone.stay_id)


async def test_every_case_in_one_poll_gives_what_the_same_order_gives_one_by_one(hub) -> None:
    def stays(offset: int) -> dict[int, Any]:
        return {
            c["number"]: case_stay(c["stay"], patient=patient_number(offset + c["number"]))
            for c in CASES
        }

    def shuffled(chosen: dict[int, Any]) -> list:
        items = [e for c in CASES for e in envelopes(chosen[c["number"]], c["events"])]
        random.Random(7).shuffle(items)  # stays interleaved, a stay's events out of order
        return items

    together, alone = stays(300), stays(600)
    items = shuffled(together)
    await hub.consumer.handle_records([record(e, n) for n, e in enumerate(items)])
    await hub.consumer.handle_records([record(e, n) for n, e in enumerate(items[:5])])  # again
    await hub.feed(shuffled(alone))

    for case in CASES:
        number, expected = case["number"], case["expected"]
        summary = await hub.stay(together[number].stay_id)
        assert (summary["total_days"], Decimal(summary["total_amount"])) == (
            expected["days"],
            Decimal(expected["amount"]),
        ), case["title"]
        assert _state(summary) == _state(await hub.stay(alone[number].stay_id))
        assert await _announced(hub, together[number].stay_id) == await _announced(
            hub, alone[number].stay_id
        )
    facts = await hub.table(orm.facts)
    assert len(facts) == len({row["event_id"] for row in facts}) == 2 * len(items)
    processed = await hub.table(orm.processed_events)
    assert len(processed) == 2 * len(items)


async def test_a_poll_with_a_poison_event_applies_the_others_one_by_one(hub) -> None:
    case = next(c for c in CASES if c["number"] == 2)
    stay = case_stay(case["stay"], patient=patient_number(400))
    items = envelopes(stay, case["events"])
    broken = items[2].model_copy(update={"data": {**items[2].data, "can_receive": "perhaps"}})
    poll = [record(e, n) for n, e in enumerate([*items[:2], broken, *items[3:]])]
    dead: list[str] = []

    async def dead_letter(record, exc) -> None:  # the broker's DLQ is tested elsewhere
        dead.append(type(exc).__name__)

    hub.consumer._dead_letter = dead_letter
    await hub.consumer.handle_records(poll)

    assert dead == ["ValidationError"]
    summary = await hub.stay(stay.stay_id)
    # Without the "cannot" answer, the "ready" answer of 04-12 still stops the clock.
    assert (summary["total_days"], Decimal(summary["total_amount"])) == (4, Decimal(22980))
    assert len(await hub.table(orm.facts)) == len(items) - 1


async def test_facts_read_from_memory_are_the_facts_in_the_database(hub) -> None:
    """Recomputing every stay without the in-memory facts changes nothing that was published or
    stored: what the cache served is what the database holds."""
    for case in CASES:
        stay = case_stay(case["stay"], patient=patient_number(500 + case["number"]))
        for envelope in envelopes(stay, case["events"]):  # one poll per event: the cache serves
            await hub.feed([envelope])
    stays, clocks, outbox = (
        await hub.table(orm.stays),
        await hub.table(orm.clocks),
        await hub.outbox(),
    )
    assert len(hub.billing.facts) > 0

    uncached = Billing(replace(hub.billing.config, fact_cache_rows=0), clock=hub.clock)
    async with hub.billing_uow() as uow:
        results = await uncached.recompute_many(uow, [row["stay_id"] for row in stays])
        await uow.commit()

    assert [r.changes for r in results] == [()] * len(stays)
    assert len(uncached.facts) == 0
    assert await hub.table(orm.clocks) == clocks
    assert len(await hub.outbox()) == len(outbox)
    assert [{**r, "assessed_at": None} for r in await hub.table(orm.stays)] == [
        {**r, "assessed_at": None} for r in stays
    ]
