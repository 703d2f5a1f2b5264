"""RELIABILITY.md over whole journeys: "repeated kills" (kill -9 of every service, 3 times each,
during one load of many patients' journeys) and "out of order" (events delivered twice and in
another order, and a replay from offset 0), each judged against a fault-free run of the same input:
every message answered OK is reflected exactly once downstream, and the invoices are the same.

The load: the worked cases of PAYMENT-RULES.md for 66 patients (every sixth without a fixed home,
so that housing-match opens a case) and 6 patients housed by the housing office (HOUSING.md) from
today. Each test prints what it injected and what it counted, so that a failure names the lost or
doubled id.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from harness import stored
from journeys import (
    CONSUMES,
    HousingOffice,
    Journey,
    Played,
    all_events,
    billing_facts,
    billing_state,
    clock_announcements,
    consumed,
    db,
    doubled_events,
    event_message_id,
    homeless,
    housed,
    invoice_summary,
    issue_invoices,
    journeys,
    months_of,
    play,
    rates_with_test_years,
)

from hub_shared import broker
from hub_shared.events import topics
from hub_shared.testing.hospital import FakeHospital, register_with_endpoint
from hub_shared.timeutil import oslo_now

pytestmark = [pytest.mark.system, pytest.mark.timeout(300)]

SERVICES = ("admission-notice", "discharge-ready", "housing-match", "billing")
PATIENTS = 72
SEED = 7
KILLS = 3
NOW = oslo_now()  # the housing path happens today: both runs of the input share the day


@dataclass
class Run:
    """A load of journeys on one hub and everything read from the hub afterwards."""

    plays: list[Journey]
    played: Played
    facts: Counter
    state: dict[str, Any]
    invoices: dict[str, tuple]
    events: dict[str, list[dict]]
    kills: list[str] = field(default_factory=list)
    office: HousingOffice | None = None
    seconds: float = 0.0


def load() -> list[Journey]:
    return journeys(PATIENTS, seed=SEED, homeless_every=6, housed_every=12, now=NOW)


def expected_events(plays: list[Journey]) -> dict[str, Counter]:
    """topic -> what must give one event each: message (or registration) ids on admission.v1
    and discharge.v1; (event type, stay) on housing.v1, whose events the hub itself decides."""
    found: dict[str, Counter] = {t: Counter() for t in (topics.ADMISSION, topics.DISCHARGE)}
    found[topics.HOUSING] = Counter()
    for journey in plays:
        for step in journey.conv.steps:
            if step.expects:
                found[step.expects[0]][step.msg_id] += 1
        if homeless(journey) and journey.steps_to("admission-notice"):
            found[topics.HOUSING][("HousingCaseOpened", journey.stay_id)] += 1
        if housed(journey):
            found[topics.HOUSING][("HousingAssigned", journey.stay_id)] += 1
    return found


def goal(plays: list[Journey], name: str) -> int:
    """How many events the consumer `name` must apply."""
    wanted = expected_events(plays)
    return sum(wanted[t].total() for t in CONSUMES[name])


def progress_of(hub: Any, name: str, played: Played, plays: list[Journey]) -> float:
    """How far a service is through the load: the messages it answered, or for a consumer the
    events it applied."""
    if name in CONSUMES:
        return consumed(hub, name) / goal(plays, name)
    return played.done[name] / sum(len(j.steps_to(name)) for j in plays)


async def kill_during(
    hub: Any, name: str, played: Played, plays: list[Journey], log: list[str]
) -> None:
    """kill -9 `name` at 25 %, 50 % and 75 % of its own progress, restarting it each time."""
    for k in range(1, KILLS + 1):
        deadline = time.monotonic() + 120
        while (share := progress_of(hub, name, played, plays)) < k / (KILLS + 1):
            assert time.monotonic() < deadline, f"{name} stuck at {share:.0%}"
            await asyncio.sleep(0.02)
        await asyncio.to_thread(hub.kill, name)
        log.append(f"{name} at {share:.0%}")
        await asyncio.sleep(0.3)
        await asyncio.to_thread(hub.restart, name)


async def caught_up(hub: Any, plays: list[Journey], timeout: float = 90) -> dict[str, int]:
    """Wait until every consumer applied every event of its topics; returns what each applied."""
    running = {s.name for s in hub.services}
    goals = {n: goal(plays, n) for n in CONSUMES if n in running}
    deadline = time.monotonic() + timeout
    while True:
        seen = {n: consumed(hub, n) for n in goals}
        if all(seen[n] >= goals[n] for n in seen) or time.monotonic() > deadline:
            return seen
        await asyncio.sleep(0.3)


async def answers_sent(hub: Any, timeout: float = 60) -> None:
    """Wait until housing-match has no answer to a hospital pending. An attempt cut off by a
    kill -9 is retried only when its claim lapses (the delivery timeout and a margin later)."""
    deadline = time.monotonic() + timeout
    query = "SELECT count(*) FROM outbound_messages WHERE status = 'pending'"
    while stored(db(hub, "housing-match"), query)[0][0] and time.monotonic() < deadline:
        await asyncio.sleep(0.5)


def housing_names(events: list[dict]) -> dict[str, str]:
    """A housing event's id is new in every run: name it by what it says instead."""
    return {e["id"]: f"{e['type']}:{e['subject']}" for e in events}


async def run_load(hub: Any, plays: list[Journey], *, kill: bool) -> Run:
    started = time.monotonic()
    played = Played()
    kills: list[str] = []
    office = HousingOffice(hub.spec("housing-match").url)
    async with httpx.AsyncClient(timeout=10) as http:
        await office.stock(http, flats=sum(housed(j) for j in plays))
    sending = asyncio.create_task(play(hub, plays, concurrency=8, played=played, officer=office))
    killers = [
        asyncio.create_task(kill_during(hub, name, played, plays, kills))
        for name in (SERVICES if kill else ())
    ]
    await asyncio.gather(sending, *killers)
    applied = await caught_up(hub, plays)
    await answers_sent(hub)
    wanted = expected_events(plays)
    events = {t: await all_events(hub, t, expect=ids.total()) for t, ids in wanted.items()}
    names = housing_names(events[topics.HOUSING])
    invoices = invoice_summary(await issue_invoices(hub, months_of(plays)), names)
    run = Run(
        plays, played, billing_facts(hub), billing_state(hub), invoices, events, kills, office
    )
    # billing.v1 last: billing's relay publishes what the last events and the invoices caused
    run.events[topics.BILLING] = await all_events(
        hub, topics.BILLING, expect=_billing_outbox(hub), timeout=30
    )
    run.seconds = time.monotonic() - started
    print(
        f"{'kill run' if kill else 'clean run'}: {len(plays)} journeys "
        f"({sum(housed(j) for j in plays)} housed, {sum(homeless(j) for j in plays)} without a "
        f"home), {sum(len(j.conv.steps) for j in plays)} steps in {run.seconds:.1f} s; "
        f"injected {len(kills)} x kill -9 ({', '.join(kills) or 'none'}); EPJ resends "
        f"{played.resends}, errors {dict(played.errors)}; housing office errors "
        f"{dict(office.errors)}; consumers applied {applied}"
    )
    check_exactly_once(hub, run)
    return run


def _billing_outbox(hub: Any) -> int:
    return stored(db(hub, "billing"), "SELECT count(*) FROM outbox")[0][0]


def check_exactly_once(hub: Any, run: Run) -> None:
    """Every message answered OK is stored once, gives one event and one billing fact; every
    housing decision gives one event, one fact and one answer to the hospital."""
    plays, played = run.plays, run.played
    sent = {s.msg_id for j in plays for s in j.conv.steps}
    assert played.ok == sent, f"not answered OK: {sorted(sent - played.ok)[:5]}"
    assert set(played.status.values()) <= {"1", "200", "201"}
    for service in ("admission-notice", "discharge-ready"):
        ids = Counter(
            r[0]
            for r in stored(db(hub, service), "SELECT msg_id FROM received_messages WHERE accepted")
        )
        xml = {s.msg_id for j in plays for s in j.steps_to(service)}
        print(f"{service}: answered OK {len(xml)}, stored {len(ids)}")
        assert set(ids) == xml, f"lost: {sorted(xml - set(ids))[:5]}, extra: {set(ids) - xml}"
    wanted = expected_events(plays)
    for topic in (topics.ADMISSION, topics.DISCHARGE):
        events, ids = run.events[topic], set(wanted[topic])
        on_topic = {event_message_id(e) for e in events}
        doubled = doubled_events(events)
        print(
            f"{topic}: {len(ids)} messages, {len({e['id'] for e in events})} distinct events, "
            f"{len(events)} records"
        )
        assert on_topic == ids, f"without event: {sorted(ids - on_topic)[:5]}"
        assert not doubled, f"two events for one message: {doubled}"
    admitted = {j.stay_id for j in plays if j.steps_to("admission-notice")}
    known = dict(stored(db(hub, "discharge-ready"), "SELECT stay_id, admission FROM stays"))
    print(f"discharge-ready: {Counter(known.values())} stays by admission")
    assert {s for s, a in known.items() if a == "notified"} == admitted
    cases = Counter(r[0] for r in stored(db(hub, "housing-match"), "SELECT stay_id FROM cases"))
    opened = {j.stay_id for j in plays if homeless(j) and j.stay_id in admitted}
    print(f"housing-match: {cases.total()} cases of {len(opened)} stays without a home")
    assert cases == dict.fromkeys(opened, 1), "one housing case per patient without a home"
    housing = {e["id"]: e for e in run.events[topics.HOUSING]}.values()
    decided = Counter((e["type"], e["subject"]) for e in housing)
    print(f"{topics.HOUSING}: {dict(Counter(e['type'] for e in housing))}")
    assert decided == wanted[topics.HOUSING], f"housing events: {decided - wanted[topics.HOUSING]}"
    assigned = {e["id"] for e in housing if e["type"] == "HousingAssigned"}
    facts = run.facts
    messages = set().union(*(j.facts for j in plays))
    print(f"billing: {facts.total()} facts of {len(messages)} messages and {len(assigned)} houses")
    assert set(facts) == messages | assigned, f"lost: {sorted(messages - set(facts))[:5]}"
    assert {m: n for m, n in facts.items() if n > 1} == {}, "a message counted twice"
    announced = clock_announcements(run.events[topics.BILLING])
    print(f"billing.v1: {announced.total()} clock and invoice events")
    assert {k: n for k, n in announced.items() if n > 1} == {}, "a clock change announced twice"
    for journey in plays:
        stay = run.state["stays"][journey.stay_id]
        assert stay[2] == journey.expected["days"], f"case {journey.number}: {stay}"
    answers = Counter(
        r for r in stored(db(hub, "housing-match"), "SELECT stay_id, status FROM outbound_messages")
    )
    print(f"housing-match: answers to the hospital {dict(Counter(s for _, s in answers))}")
    delivered = {(j.stay_id, "delivered"): 1 for j in plays if housed(j)}
    assert answers == delivered, f"one delivered answer per housed patient: {answers}"


@pytest.fixture(scope="module")
def hospital() -> Iterator[FakeHospital]:
    endpoint = FakeHospital(broker.free_port()).start()
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="module")
def hub_env(hospital, tmp_path_factory) -> dict[str, str]:
    """The hospital receives the municipality's answers at its endpoint; 2025 on has a rate."""
    folder: Path = tmp_path_factory.mktemp("journeys")
    register = register_with_endpoint(folder / "register.toml", hospital.endpoint)
    rates = rates_with_test_years(folder / "rates.toml", range(2025, NOW.year + 2))
    return {"HUB_REGISTER_FILE": str(register), "HUB_RATES_FILE": str(rates)}


@pytest.fixture(scope="module")
async def clean_run(make_module_hub, hub_env) -> Run:
    hub = make_module_hub(*SERVICES, **hub_env)
    try:
        return await run_load(hub, load(), kill=False)
    finally:
        hub.stop()


def compare(run: Run, clean: Run) -> None:
    diff_stays = {
        s: (clean.state["stays"].get(s), v)
        for s, v in run.state["stays"].items()
        if clean.state["stays"].get(s) != v
    }
    assert not diff_stays, f"stays differ from the clean run: {list(diff_stays.items())[:3]}"
    assert set(run.state["stays"]) == set(clean.state["stays"])
    diff_clocks = {
        k: (clean.state["clocks"].get(k), v)
        for k, v in run.state["clocks"].items() | clean.state["clocks"].items()
        if clean.state["clocks"].get(k) != run.state["clocks"].get(k)
    }
    assert not diff_clocks, f"clocks differ: {list(diff_clocks.items())[:3]}"
    assert run.invoices.keys() == clean.invoices.keys()
    for month, invoice in clean.invoices.items():
        assert run.invoices[month] == invoice, f"invoice of {month} differs"
    print(
        "invoices equal to the clean run's: "
        + "; ".join(f"{m} {inv[0]} {inv[2]} days NOK {inv[3]}" for m, inv in run.invoices.items())
    )


async def test_three_kills_of_every_service_during_a_load_of_journeys(make_hub, hub_env, clean_run):
    hub = make_hub(*SERVICES, **hub_env)
    run = await run_load(hub, load(), kill=True)
    assert Counter(k.split(" at ")[0] for k in run.kills) == dict.fromkeys(SERVICES, KILLS)
    compare(run, clean_run)
    assert hub.exited() == []


async def _publish(bootstrap: str, records: list[dict]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                record["topic"], value=record["value"], key=record["key"].encode()
            )
    finally:
        await producer.stop()


def reordered(clean: Run, records: list[dict]) -> int:
    """How many stays' events arrive in another order than the clean run published them."""
    before: dict[str, list[str]] = {}
    for topic in (topics.ADMISSION, topics.DISCHARGE, topics.HOUSING):
        for event in clean.events[topic]:
            before.setdefault(event["subject"], []).append(event["id"])
    after: dict[str, list[str]] = {}
    for record in records:
        event_id = json.loads(record["value"])["id"]
        if event_id not in after.setdefault(record["key"], []):
            after[record["key"]].append(event_id)
    return sum(1 for stay, ids in after.items() if list(dict.fromkeys(before[stay])) != ids)


async def test_events_delivered_twice_and_out_of_order_give_the_same_billing_state(
    make_hub, hub_env, clean_run
):
    distinct = {
        e["id"]: {"topic": topic, "key": e["subject"], "value": json.dumps(e).encode()}
        for topic in (topics.ADMISSION, topics.DISCHARGE, topics.HOUSING)
        for e in clean_run.events[topic]
    }
    records = [*distinct.values(), *distinct.values()]
    random.Random(SEED).shuffle(records)
    hub = make_hub("billing", **hub_env)
    await _publish(hub.bootstrap, records)
    print(
        f"injected {len(records)} records: {len(distinct)} events each twice, shuffled; "
        f"{reordered(clean_run, records)} of {len(clean_run.plays)} stays' events in another order"
    )
    seen = await caught_up(hub, clean_run.plays)
    facts = billing_facts(hub)
    print(f"billing applied {seen['billing']} events, holds {facts.total()} facts")
    assert facts == clean_run.facts
    names = housing_names(clean_run.events[topics.HOUSING])
    replayed = Run(
        clean_run.plays,
        clean_run.played,
        facts,
        billing_state(hub),
        invoice_summary(await issue_invoices(hub, list(clean_run.invoices)), names),
        {},
    )
    compare(replayed, clean_run)

    # a replay from offset 0 (a new consumer group) finds every fact known and changes nothing
    outbox = _billing_outbox(hub)
    await asyncio.to_thread(hub.kill, "billing")
    hub.extra_env["HUB_CONSUMER_GROUP"] = "billing-replay"
    await asyncio.to_thread(hub.restart, "billing")
    deadline = time.monotonic() + 60
    query = "SELECT count(*) FROM processed_events WHERE consumer = 'billing-replay'"
    while (again := stored(db(hub, "billing"), query)[0][0]) < len(distinct):
        assert time.monotonic() < deadline, f"replay stuck at {again} of {len(distinct)}"
        await asyncio.sleep(0.3)
    print(f"injected a replay from offset 0 (new consumer group): {again} events applied again")
    assert billing_facts(hub) == clean_run.facts
    assert billing_state(hub) == replayed.state
    assert _billing_outbox(hub) == outbox, "a replay publishes no clock change"
