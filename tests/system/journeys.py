"""Patient journeys against the whole hub in processes: the worked cases of PAYMENT-RULES.md
played as their conversations (hub_shared.testing.conversations) for many patients at once, and
readers of what every service ended up with (its database, its API, the topics, the invoices).

An EPJ (and a municipality) resends the same bytes until an AppRec comes back, as in harness.py;
a registration through an API is resent with the same registration id until it is taken.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import httpx
from harness import stored, topic_events
from lxml import etree

from hub_shared.events import topics
from hub_shared.testing.conversations import Conversation, Step, conversation
from hub_shared.testing.http import bearer
from hub_shared.testing.messages import patient, random_person_number
from hub_shared.testing.worked_cases import CASES
from hub_shared.timeutil import oslo_now

HOSPITAL_TRUST = "59"
MUNICIPALITY_HER = "99387"
MUNICIPALITY_NUMBER = "3428"  # Alvdal, in the address register
# What consumes which topic (the consumer groups of the hub's services).
CONSUMES = {
    "discharge-ready": (topics.ADMISSION,),
    "housing-match": (topics.ADMISSION, topics.DISCHARGE),
    "billing": (topics.ADMISSION, topics.DISCHARGE, topics.HOUSING),
}


@dataclass(frozen=True)
class Journey:
    """One patient's stay: a worked case played for that patient."""

    conv: Conversation

    @property
    def number(self) -> int:
        return self.conv.case["number"]

    @property
    def stay_id(self) -> str:
        return self.conv.stay_id

    @property
    def expected(self) -> dict[str, Any]:
        return self.conv.case["expected"]

    @property
    def facts(self) -> set[str]:
        """The message (or registration) ids billing must hold exactly one fact of."""
        return {s.msg_id for s in self.conv.steps if s.expects}

    def steps_to(self, target: str) -> list[Step]:
        return [s for s in self.conv.steps if s.target == target]


def journeys(
    count: int,
    *,
    seed: int,
    cases: Iterable[dict] = CASES,
    homeless_every: int = 0,
    housed_every: int = 0,
    now: datetime | None = None,
) -> list[Journey]:
    """`count` journeys, the worked cases in turn, each for a new patient (fixed by `seed`).

    Every `homeless_every`-th patient has no fixed home (housing-match opens a case, which no
    one works on); every `housed_every`-th journey is instead the housing path of `housing_case`
    at `now` (default: now), which the housing office works on."""
    chosen = list(cases)
    rng = random.Random(seed)
    numbers: set[str] = set()
    found: list[Journey] = []
    housed = housing_case(now or oslo_now())
    while len(found) < count:
        number = random_person_number(rng)
        if number in numbers:
            continue
        numbers.add(number)
        n = len(found) + 1
        if housed_every and n % housed_every == 0:
            found.append(Journey(conversation(housed, person=patient(number, address=None))))
            continue
        case = chosen[(n - 1 - (n // housed_every if housed_every else 0)) % len(chosen)]
        homeless = bool(homeless_every) and n % homeless_every == 0
        person = patient(number, address=None) if homeless else patient(number)
        found.append(Journey(conversation(case, person=person)))
    return found


def homeless(journey: Journey) -> bool:
    return journey.conv.patient.address is None


def housed(journey: Journey) -> bool:
    return any(s.target == "housing-match" for s in journey.conv.steps)


# --- the housing path ---------------------------------------------------------------------------
# housing-match decides in the present (a move-in cannot be in the past), so a housing journey
# runs at today's date: the § 10 notice in the previous month, a flat from today. Days after
# 2024 have no rate in the packaged file until an operator adds the year's; tests add one.
TEST_RATE = Decimal(6000)


def rates_with_test_years(path: Path, years: Iterable[int]) -> Path:
    """The packaged rate file with a test rate for `years` (as an operator adds a year)."""
    packaged = (resources.files("billing.data") / "rates.toml").read_text()
    extra = "".join(
        f"\n[[rate]]\nvalid_from = {y}-01-01\nvalid_to = {y}-12-31\nnok_per_day = {TEST_RATE}\n"
        'source = "test value, not the state budget\'s"\n'
        for y in years
    )
    path.write_text(packaged + extra)
    return path


def housing_case(now: datetime) -> dict[str, Any]:
    """A patient without a home: admitted and reported ready last month, the municipality
    cannot receive; the housing office assigns a flat from today; discharged today."""
    today = now.date()
    notice = (today.replace(day=1) - timedelta(days=1)).replace(day=20)
    admitted = datetime.combine(notice - timedelta(days=10), datetime.min.time()).replace(hour=10)
    days = (today - notice).days
    amount = str(days * TEST_RATE)
    return {
        "number": 900,
        "title": "A patient without a home, housed by the municipality's housing office",
        "stay": {
            "stay_id": "stay-housing",
            "sector": "somatic",
            "hospital_her": "90998",
            "hospital_trust": HOSPITAL_TRUST,
            "municipality_her": MUNICIPALITY_HER,
            "residence_municipality": MUNICIPALITY_NUMBER,
            "registered_municipality": MUNICIPALITY_NUMBER,
            "admitted": admitted.isoformat(timespec="minutes"),
        },
        "events": [
            {
                "kind": "admission_notice",
                "id": "adm-1",
                "sent": (admitted + timedelta(hours=1)).isoformat(timespec="minutes"),
            },
            {
                "kind": "ready_notice",
                "id": "rdy-1",
                "sent": f"{notice}T09:00",
                "ready": str(notice),
                "decided_by": "Lege Testesen",
            },
            {"kind": "answer", "id": "ans-1", "sent": f"{notice}T11:00", "can_receive": False},
            {
                "kind": "housing_assigned",
                "id": "hou-1",
                "assignment": "asg-1",
                "decided": now.isoformat(timespec="minutes"),
                "move_in": str(today),
            },
            {"kind": "discharge", "id": "dis-1", "sent": now.isoformat(timespec="seconds")},
        ],
        "expected": {
            "payable": True,
            "days": days,
            "amount": amount,
            "reasons": [],
            "periods": [
                {
                    "start": str(notice),
                    "end": str(today),
                    "end_reason": "place_ready",
                    "days": days,
                    "amount": amount,
                }
            ],
        },
    }


class HousingOffice:
    """The municipality's housing officer at housing-match's API: records the patient's needs,
    runs the matching and accepts the patient's proposal with the move-in day. Every call is
    repeated while the service is away; an accept whose answer was lost is found on the case."""

    NEEDS: ClassVar[dict[str, Any]] = {
        "acceptable_kinds": ["housing_first"],
        "age": 52,
        "consent_to_share": True,
    }

    def __init__(self, url: str, give_up_after: float = 120.0) -> None:
        self.url = url
        self.headers = bearer(MUNICIPALITY_HER)
        self.give_up_after = give_up_after
        self.cases: dict[str, str] = {}
        self.accepted: dict[str, dict[str, Any]] = {}
        self.errors: Counter = Counter()

    async def stock(self, http: httpx.AsyncClient, flats: int) -> None:
        """A Housing First site with `flats` flats, free now."""
        site = await self.call(
            http,
            "POST",
            "/v1/sites",
            {"name": "Alvdal sentrum", "district": "Sentrum", "kind": "housing_first"},
        )
        assert site.status_code == 201, site.text
        for n in range(flats):
            unit = await self.call(
                http, "POST", f"/v1/sites/{site.json()['site_id']}/units", {"label": f"H{n:04}"}
            )
            assert unit.status_code == 201, unit.text

    async def __call__(self, http: httpx.AsyncClient, step: Step, journey: Journey) -> str:
        case_id = await self.case_of(http, journey.stay_id)
        response = await self.call(http, "PUT", f"/v1/cases/{case_id}/needs", self.NEEDS)
        assert response.status_code == 200, response.text
        deadline = time.monotonic() + self.give_up_after
        while time.monotonic() < deadline:
            case = await self.call(http, "GET", f"/v1/cases/{case_id}")
            assert case.status_code == 200, case.text
            active = [a for a in case.json()["assignments"] if a["status"] == "active"]
            if active:  # accepted (perhaps by an attempt whose answer was lost)
                self.accepted[journey.stay_id] = active[0]
                return "201"
            run = await self.call(http, "POST", "/v1/matching/run")
            assert run.status_code == 201, run.text
            mine = [p for p in run.json()["proposals"] if p["case_id"] == case_id]
            if not mine:
                self.errors["no proposal"] += 1
                await asyncio.sleep(0.2)
                continue
            accepted = await self.call(
                http,
                "POST",
                f"/v1/proposals/{mine[0]['proposal_id']}/accept",
                {"move_in": step.payload["move_in"]},  # type: ignore[index]
            )
            if accepted.status_code == 201:
                self.accepted[journey.stay_id] = accepted.json()["assignment"]
                return "201"
            assert accepted.status_code == 409, accepted.text  # superseded by another run
            self.errors["accept 409"] += 1
        raise TimeoutError(f"no assignment for stay {journey.stay_id}")

    async def case_of(self, http: httpx.AsyncClient, stay_id: str) -> str:
        """The case housing-match opened from the admission (once it consumed it)."""
        deadline = time.monotonic() + self.give_up_after
        while stay_id not in self.cases:
            response = await self.call(http, "GET", "/v1/cases", params={"status": "all"})
            assert response.status_code == 200, response.text
            for case in response.json():
                self.cases[case["stay_id"]] = case["case_id"]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no housing case for stay {stay_id}")
            await asyncio.sleep(0.2)
        return self.cases[stay_id]

    async def call(
        self, http: httpx.AsyncClient, method: str, path: str, body: Any = None, **kwargs: Any
    ) -> httpx.Response:
        """One request, repeated while the service is away (connection errors, 5xx)."""
        deadline = time.monotonic() + self.give_up_after
        while True:
            try:
                response = await http.request(
                    method, self.url + path, json=body, headers=self.headers, **kwargs
                )
                if response.status_code < 500:
                    return response
                self.errors[f"housing-match {response.status_code}"] += 1
            except httpx.HTTPError as exc:
                self.errors[f"housing-match {type(exc).__name__}"] += 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"housing-match did not answer {method} {path}")
            await asyncio.sleep(0.2)


Officer = Callable[[httpx.AsyncClient, Step, "Journey"], Awaitable[str]]


@dataclass
class Played:
    """What the senders saw: the answer per message id, and how often they had to resend."""

    status: dict[str, str] = field(default_factory=dict)
    stay_ids: dict[str, str] = field(default_factory=dict)
    done: Counter = field(default_factory=Counter)
    resends: int = 0
    errors: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> set[str]:
        return {m for m, s in self.status.items() if s in {"1", "201", "200"}}


async def play(
    hub: Any,
    plays: list[Journey],
    *,
    concurrency: int = 8,
    played: Played | None = None,
    give_up_after: float = 120.0,
    officer: Officer | None = None,
) -> Played:
    """Play every journey, its steps in order, `concurrency` journeys at a time; a housing
    step is the housing office's work (`officer`), which returns the step's outcome."""
    played = played or Played()
    queue = iter(plays)
    urls = {s.name: s.url for s in hub.services}
    async with httpx.AsyncClient(timeout=10) as http:

        async def send(step: Step, journey: Journey) -> None:
            stay_id = journey.stay_id
            deadline = time.monotonic() + give_up_after
            if step.target == "housing-match":
                assert officer is not None, "a housing step needs the housing office"
                played.status[step.msg_id] = await officer(http, step, journey)
                played.stay_ids[step.msg_id] = stay_id
                return
            while True:
                try:
                    if step.body is not None:
                        response = await http.post(
                            f"{urls[step.target]}/elin/messages",
                            content=step.body,
                            headers={"content-type": "application/xml", **bearer(step.sender_her)},
                        )
                        if response.status_code == 200:
                            root = etree.fromstring(response.content)
                            played.status[step.msg_id] = root.find("{*}Status").get("V")
                            played.stay_ids[step.msg_id] = response.headers.get("X-Stay-Id", "")
                            return
                    else:  # a registration through discharge-ready's API
                        assert step.path is not None and step.payload is not None
                        response = await http.post(
                            urls["discharge-ready"] + step.path.format(stay_id=stay_id),
                            json=step.payload,
                            headers=bearer(step.sender_her),
                        )
                        if response.status_code in (200, 201):
                            played.status[step.msg_id] = str(response.status_code)
                            played.stay_ids[step.msg_id] = stay_id
                            return
                        # 404/409: the stay is not linked yet (admission.v1 not consumed yet)
                    played.errors[f"{step.target} {response.status_code}"] += 1
                except httpx.HTTPError as exc:
                    played.errors[f"{step.target} {type(exc).__name__}"] += 1
                played.resends += 1
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no answer to {step.kind} {step.msg_id}")
                await asyncio.sleep(0.2)

        async def worker() -> None:
            for journey in queue:
                for step in journey.conv.steps:
                    await send(step, journey)
                    played.done[step.target] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return played


# --- what the services hold ---------------------------------------------------------------------
def db(hub: Any, service: str) -> Path:
    return hub.state_dir / f"{service}.db"


def consumed(hub: Any, service: str) -> int:
    """How many events a service's consumer has applied (its processed-event ids)."""
    return stored(db(hub, service), "SELECT count(*) FROM processed_events")[0][0]


def billing_facts(hub: Any) -> Counter:
    """message id -> how many facts billing holds of it (1 each, or something was doubled)."""
    return Counter(r[0] for r in stored(db(hub, "billing"), "SELECT message_id FROM facts"))


async def wait_for_billing(hub: Any, plays: list[Journey], timeout: float = 90) -> Counter:
    """Until billing holds a fact of every message of the journeys; returns the fact counts."""
    wanted = set().union(*(j.facts for j in plays))
    deadline = time.monotonic() + timeout
    while True:
        facts = billing_facts(hub)
        if wanted <= set(facts) or time.monotonic() > deadline:
            return facts
        await asyncio.sleep(0.3)


def billing_state(hub: Any) -> dict[str, Any]:
    """Billing's projection: each stay's assessment and the final state of each clock that
    counts (running, or stopped after at least one day).

    Left out is what depends on the order events arrived in, not on the facts: revisions and
    times, and clocks without a payable day. A period that stops on its first day gets a clock
    only if billing had announced it running before it learnt of the stop (billing.domain.
    publication); a clock voided later was announced before billing knew it was not payable."""
    stays = stored(
        db(hub, "billing"),
        "SELECT stay_id, complete, payable, total_days, CAST(total_amount AS TEXT), reasons, "
        "span_start, span_end, fact_count FROM stays ORDER BY stay_id",
    )
    clocks = stored(
        db(hub, "billing"),
        "SELECT stay_id, period_key, state, started_on, stops_on, end_reason, days, "
        "CAST(amount AS TEXT) FROM clocks WHERE state = 'running' OR "
        "(state = 'stopped' AND days > 0) ORDER BY stay_id, period_key",
    )
    return {
        "stays": {r[0]: (*r[1:4], str(Decimal(r[4])), *r[5:]) for r in stays},
        "clocks": {(r[0], r[1]): (*r[2:7], str(Decimal(r[7]))) for r in clocks},
    }


def months_of(plays: list[Journey]) -> list[str]:
    """The months that have ended (Europe/Oslo) and that the journeys' payable periods touch."""
    found: set[str] = set()
    for journey in plays:
        for period in journey.expected["periods"]:
            if Decimal(period["amount"]) > 0:
                found.add(period["start"][:7])
                found.add(period["end"][:7])
    return sorted(m for m in found if m < f"{oslo_now():%Y-%m}")


def invoice_lines(invoice: dict[str, Any], names: dict[str, str] | None = None) -> list[tuple]:
    """The lines of an invoice as comparable tuples (ids, days, rates, amounts, messages);
    `names` renames the ids of events (not messages) that are new in every run."""
    names = names or {}
    return sorted(
        (
            line["line_ref"],
            line["kind"],
            line["stay_ref"],
            line["period_key"],
            line["first_day"],
            line["last_day"],
            line["end_reason"],
            line["days"],
            str(Decimal(line["rate"])) if line["rate"] is not None else None,
            str(Decimal(line["amount"])),
            tuple(sorted(names.get(m, m) for m in line["message_ids"])),
        )
        for line in invoice["lines"]
    )


async def issue_invoices(hub: Any, months: list[str]) -> dict[str, dict[str, Any]]:
    """The hospital trust's invoice to the municipality for each month (POST /v1/invoices)."""
    url = hub.spec("billing").url
    found = {}
    async with httpx.AsyncClient(base_url=url, headers=bearer(HOSPITAL_TRUST), timeout=30) as http:
        for month in months:
            response = await http.post(
                "/v1/invoices",
                json={
                    "hospital_trust": HOSPITAL_TRUST,
                    "municipality_number": MUNICIPALITY_NUMBER,
                    "month": month,
                },
            )
            assert response.status_code in (200, 201), response.text
            found[month] = response.json()
    return found


def invoice_summary(
    invoices: dict[str, dict[str, Any]], names: dict[str, str] | None = None
) -> dict[str, tuple]:
    """month -> (invoice id, document type, total days, total NOK, lines) to compare runs."""
    return {
        month: (
            inv["invoice_id"],
            inv["document_type"],
            inv["total_days"],
            str(Decimal(inv["total_amount"])),
            invoice_lines(inv, names),
        )
        for month, inv in invoices.items()
    }


async def all_events(hub: Any, topic: str, expect: int, timeout: float = 60) -> list[dict]:
    """Every record on a topic, duplicates included, once `expect` distinct events are there."""
    return await topic_events(hub.bootstrap, topic, expect=expect, timeout=timeout)


def event_message_id(event: dict) -> str:
    """The message (or registration, or for housing the event) an event rests on."""
    data = event["data"]
    if "message" in data:
        return data["message"]["msg_id"]
    return data.get("registration_id") or event["id"]


def doubled_events(events: list[dict]) -> dict[str, int]:
    """Message ids with more than one distinct event (a redelivery keeps its envelope id)."""
    per_message = Counter(event_message_id(e) for e in {e["id"]: e for e in events}.values())
    return {m: n for m, n in per_message.items() if n > 1}


def clock_announcements(events: list[dict]) -> Counter:
    """(type, stay, period, revision) -> distinct billing.v1 events announcing it."""
    distinct = {e["id"]: e for e in events}.values()
    return Counter(
        (e["type"], e["subject"], e["data"].get("period_key"), e["data"].get("revision"))
        for e in distinct
    )
