"""One year of national discharge traffic, as the events billing consumes (admission.v1,
discharge.v1, housing.v1), for the replay benchmark.

Stays are planned one by one from a seeded generator and their events are streamed in the order
the hub would have published them (by publication time, across all stays), so that a year of
events never has to be held in memory: only the events of the stays still running are.

The proportions (per stay, roughly; see `plan_stay`):

- 97.5 % announced by `LOG_INNLAGT` within 24 h (1 % late, 1.5 % never); 1 % changed (M), 0.3 %
  cancelled (C); 8 % without a fixed home, which opens a housing case;
- 75 % reported ready for discharge (`LOG_UTSKRIVNINGSKLAR`), mostly in working hours, the ready
  day the notice day or the next; 1 % of notices changed, 0.3 % cancelled;
- the municipality answers 90 % of notices: half "can receive" (from that day or a day or two
  later), half "cannot" (half of those with an expected day) followed by an explicit "a place is
  ready" 1-10 days later; 10 % never answer;
- 4 % of notices withdrawn (`LOG_AVMELDING`), 60 % of those notified again later;
- psykisk helsevern (10 %) and TSB (5 %): a cooperation meeting called for 90 % of notices;
- 40 % of the homeless patients with a notice get a housing assignment (5 % of them cancelled);
- 99.5 % discharged (`LOG_UTSKREVET`; 2 % died; 0.3 % of discharges cancelled), the rest still in
  hospital at the year's end.

That is about four events per stay: 300 000 stays give about 1.2 million events. Every time lies
in 2024 (admissions up to 10 December). Stay ids are the real ones (`hub_shared.identifiers.stay`
with the development secret), patients have valid fødselsnummer check digits, and the envelopes
have the shapes of the event models (billing validates every one of them).

`facts_of(plan)` gives the same stay as billing's domain facts, built directly from the plan and
not through the events: the benchmark checks billing's result against `assess` of those.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic_core import to_json

from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.settings import DEV_STAY_SECRET
from hub_shared.testing.messages import random_person_number

OSLO = ZoneInfo("Europe/Oslo")
YEAR = 2024
SECRET = DEV_STAY_SECRET.encode()
FIRST_ADMISSION = datetime(YEAR, 1, 1, tzinfo=OSLO)
LAST_ADMISSION = datetime(YEAR, 12, 10, tzinfo=OSLO)
YEAR_END = datetime(YEAR, 12, 31, 22, 0, tzinfo=UTC)
SOURCES = {
    "admission.v1": "/hub/admission-notice",
    "discharge.v1": "/hub/discharge-ready",
    "housing.v1": "/hub/housing-match",
}
TOPIC_OF = {
    "AdmissionNotified": "admission.v1",
    "AdmissionChanged": "admission.v1",
    "AdmissionCancelled": "admission.v1",
    "DischargeReadyNotified": "discharge.v1",
    "DischargeReadyWithdrawn": "discharge.v1",
    "MunicipalityAnswered": "discharge.v1",
    "PatientDischarged": "discharge.v1",
    "CooperationMeetingCalled": "discharge.v1",
    "DischargeMessageCancelled": "discharge.v1",
    "HousingCaseOpened": "housing.v1",
    "HousingAssigned": "housing.v1",
    "HousingAssignmentCancelled": "housing.v1",
}


# --- the country ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trust:
    her_id: str
    name: str
    units: dict[str, str]  # sector -> unit HER-id


@dataclass(frozen=True)
class Municipality:
    her_id: str
    number: str
    name: str


def _country() -> tuple[list[Trust], list[list[Municipality]]]:
    """20 hospital trusts, each with the municipalities of its catchment area (357 in all).

    The two trusts and two municipalities of config/address-register.toml are among them, under
    their real ids; the others are fictitious."""
    trusts = [
        Trust(
            "59",
            "ST OLAVS HOSPITAL HF",
            {"somatic": "90998", "psychiatric": "800101", "tsb": "800102"},
        ),
        Trust(
            "800200",
            "TESTSYKEHUSET HF",
            {"somatic": "800201", "psychiatric": "800203", "tsb": "800204"},
        ),
    ]
    for i in range(18):
        her = 910000 + 100 * i
        units = {"somatic": str(her + 1), "psychiatric": str(her + 2), "tsb": str(her + 3)}
        trusts.append(Trust(str(her), f"HELSEFORETAK {i + 3} HF", units))
    municipalities = [
        Municipality("99387", "3428", "Alvdal Kommune"),
        Municipality("800400", "5501", "Testkommune Nord"),
    ]
    counties = (3, 11, 15, 18, 31, 32, 33, 34, 39, 40, 42, 46, 50, 55, 56)
    n = 0
    while len(municipalities) < 357:
        county = counties[n % len(counties)]
        number = f"{county:02d}{n // len(counties) + 1:02d}"
        municipalities.append(Municipality(str(700000 + n), number, f"Kommune {number}"))
        n += 1
    areas: list[list[Municipality]] = [[] for _ in trusts]
    for i, municipality in enumerate(municipalities):
        areas[i % len(trusts)].append(municipality)
    return trusts, areas


TRUSTS, AREAS = _country()


# --- one stay ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Event:
    """One event of a stay, as planned: published at `at` (UTC) under envelope id `id`."""

    at: datetime
    type: str
    id: str
    fields: dict[str, Any]


@dataclass(slots=True)
class StayPlan:
    number: int
    stay_id: str
    patient: str
    trust: Trust
    unit: str
    municipality: Municipality
    sector: str
    admitted: datetime  # UTC
    homeless: bool
    events: list[Event] = field(default_factory=list)
    parts: dict[str, Any] = field(default_factory=dict)
    """The stay's parts of the event data (patient, hospital, ...), built once."""


def _uuid(rng: random.Random) -> str:
    """A random (version 4) UUID from the seeded generator."""
    h = f"{rng.getrandbits(128) & _V4_MASK | _V4_BITS:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_V4_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_V4_BITS = (0x4000 << 64) | (0x8000 << 48)


def _oslo(day: date, hour: float) -> datetime:
    """An Oslo wall-clock time on `day` (hours as a float), in UTC."""
    local = datetime(day.year, day.month, day.day, tzinfo=OSLO) + timedelta(hours=hour)
    return local.astimezone(UTC).replace(tzinfo=UTC)


def _day(instant: datetime) -> date:
    return instant.astimezone(OSLO).date()


def _working_hours(rng: random.Random) -> float:
    """A time of day for a message: mostly 08-16, some in the evening or night."""
    if rng.random() < 0.85:
        return rng.uniform(8, 16)
    return rng.uniform(16, 23.9)


def admission_times(count: int, rng: random.Random) -> list[datetime]:
    """`count` admission times over the year, in order (UTC)."""
    span = (LAST_ADMISSION - FIRST_ADMISSION).total_seconds()
    start = FIRST_ADMISSION.astimezone(UTC)
    return sorted(start + timedelta(seconds=int(rng.random() * span)) for _ in range(count))


def plan_stay(number: int, admitted: datetime, rng: random.Random) -> StayPlan:
    """One stay and the events it causes over the year."""
    trust_index = rng.randrange(len(TRUSTS))
    trust = TRUSTS[trust_index]
    municipality = rng.choice(AREAS[trust_index])
    draw = rng.random()
    sector = "somatic" if draw < 0.85 else "psychiatric" if draw < 0.95 else "tsb"
    patient = random_person_number(rng)
    stay_id = str(derive_stay_id(patient, trust.her_id, admitted, SECRET))
    plan = StayPlan(
        number,
        stay_id,
        patient,
        trust,
        trust.units[sector],
        municipality,
        sector,
        admitted,
        homeless=rng.random() < 0.08,
    )
    events = plan.events

    def add(at: datetime, type_: str, **fields: Any) -> None:
        events.append(Event(min(at, YEAR_END), type_, _uuid(rng), fields))

    def message(sent: datetime, *, msg_type: str) -> dict[str, Any]:
        sent = min(sent, YEAR_END - timedelta(minutes=5))
        received = sent + timedelta(seconds=rng.randrange(1, 30))
        if rng.random() < 0.002:  # a sender clock off by hours: flagged, still counted
            received += timedelta(hours=2)
        return {
            "msg_id": _uuid(rng),
            "msg_type": msg_type,
            "gen_date": sent,
            "received_at": received,
        }

    # § 8: the admission notice
    draw = rng.random()
    admission = None
    if draw < 0.975:
        admission = message(
            admitted + timedelta(minutes=rng.randrange(5, 20 * 60)), msg_type="LOG_INNLAGT"
        )
    elif draw < 0.985:
        admission = message(admitted + timedelta(hours=rng.uniform(25, 72)), msg_type="LOG_INNLAGT")
    if admission is not None:
        add(admission["received_at"], "AdmissionNotified", message=admission)
        if plan.homeless:
            add(
                admission["received_at"] + timedelta(seconds=2),
                "HousingCaseOpened",
                case_id=_uuid(rng),
            )
        if rng.random() < 0.01:
            change = message(
                admission["gen_date"] + timedelta(hours=rng.uniform(1, 48)), msg_type="LOG_INNLAGT"
            )
            add(
                change["received_at"],
                "AdmissionChanged",
                message=change,
                replaces=admission["msg_id"],
            )
        elif rng.random() < 0.003:
            cancel = message(
                admission["gen_date"] + timedelta(hours=rng.uniform(1, 48)), msg_type="LOG_INNLAGT"
            )
            add(
                cancel["received_at"],
                "AdmissionCancelled",
                message=cancel,
                cancels=admission["msg_id"],
            )

    # length of stay before the first § 10 notice (or discharge): median about 4 days
    stay_days = min(60.0, rng.lognormvariate(1.4, 0.8))
    first_day = _day(admitted + timedelta(days=stay_days))
    end_day = _day(YEAR_END) - timedelta(days=1)
    first_day = min(first_day, end_day)
    last_event_day = first_day
    departure: date | None = None

    if rng.random() < 0.75:
        notice_day = first_day
        renotify = True
        while renotify:
            renotify = False
            sent = _oslo(notice_day, _working_hours(rng))
            sent = max(sent, admitted + timedelta(hours=1))
            notice = message(sent, msg_type="LOG_UTSKRIVNINGSKLAR")
            ready = notice_day if rng.random() < 0.9 else notice_day + timedelta(days=1)
            decided_by = "9144900" if rng.random() < 0.98 else None
            add(
                notice["received_at"],
                "DischargeReadyNotified",
                message=notice,
                ready_on=ready,
                decided_by=decided_by,
            )
            if sector != "somatic" and rng.random() < 0.9:
                called = sent - timedelta(hours=rng.uniform(1, 72))
                called = max(called, admitted + timedelta(minutes=30))
                add(
                    called + timedelta(seconds=5),
                    "CooperationMeetingCalled",
                    registration_id=_uuid(rng),
                    called_at=called,
                    planned_for=called + timedelta(days=rng.randrange(1, 6)),
                )
            if rng.random() < 0.01:
                change = message(
                    sent + timedelta(hours=rng.uniform(0.5, 6)), msg_type="LOG_UTSKRIVNINGSKLAR"
                )
                add(
                    change["received_at"],
                    "DischargeReadyNotified",
                    message=change,
                    ready_on=ready,
                    decided_by=decided_by,
                    replaces=notice["msg_id"],
                )
            elif rng.random() < 0.003:
                cancel = message(
                    sent + timedelta(hours=rng.uniform(0.5, 6)), msg_type="LOG_UTSKRIVNINGSKLAR"
                )
                add(
                    cancel["received_at"],
                    "DischargeMessageCancelled",
                    message=cancel,
                    cancels=notice["msg_id"],
                    cancelled_type="LOG_UTSKRIVNINGSKLAR",
                )
            stop = notice_day + timedelta(days=rng.randrange(1, 12))  # the day a place is ready
            draw = rng.random()
            answered = sent + timedelta(hours=rng.uniform(0.3, 6))
            if draw < 0.45:  # can receive
                ready_from = _day(answered) + timedelta(days=rng.choice((0, 0, 0, 1, 2)))
                add_answer = message(answered, msg_type="DIALOG_HELSEFAGLIG")
                add(
                    add_answer["received_at"],
                    "MunicipalityAnswered",
                    message=add_answer,
                    can_receive=True,
                    day=ready_from,
                    answers=notice["msg_id"],
                )
                stop = ready_from
            elif draw < 0.9:  # cannot, then a place is ready
                expected = (
                    stop - timedelta(days=rng.randrange(0, 3)) if rng.random() < 0.5 else None
                )
                cannot = message(answered, msg_type="DIALOG_HELSEFAGLIG")
                add(
                    cannot["received_at"],
                    "MunicipalityAnswered",
                    message=cannot,
                    can_receive=False,
                    day=expected,
                    answers=notice["msg_id"],
                )
                stop = max(stop, _day(answered) + timedelta(days=1))
                place = message(_oslo(stop, rng.uniform(7.5, 12)), msg_type="DIALOG_HELSEFAGLIG")
                add(
                    place["received_at"],
                    "MunicipalityAnswered",
                    message=place,
                    can_receive=True,
                    day=stop,
                    answers=notice["msg_id"],
                )
            if plan.homeless and rng.random() < 0.4:
                decided = _oslo(
                    notice_day + timedelta(days=rng.randrange(0, 8)), rng.uniform(9, 15)
                )
                assignment = _uuid(rng)
                move_in = _day(decided) + timedelta(days=rng.randrange(1, 4))
                add(
                    decided + timedelta(seconds=3),
                    "HousingAssigned",
                    assignment_id=assignment,
                    decided_at=decided,
                    move_in=move_in,
                )
                if rng.random() < 0.05:
                    cancelled = decided + timedelta(hours=rng.uniform(2, 30))
                    add(
                        cancelled + timedelta(seconds=3),
                        "HousingAssignmentCancelled",
                        assignment_id=assignment,
                        cancelled_at=cancelled,
                    )
                else:
                    stop = min(stop, max(move_in, notice_day))
            if rng.random() < 0.04:  # withdrawn: new illness
                withdrawn_day = notice_day + timedelta(days=rng.randrange(0, 3))
                withdrawn = message(
                    _oslo(withdrawn_day, _working_hours(rng)), msg_type="LOG_AVMELDING"
                )
                withdrawn["gen_date"] = max(withdrawn["gen_date"], sent + timedelta(minutes=10))
                withdrawn["received_at"] = withdrawn["gen_date"] + timedelta(seconds=4)
                add(
                    withdrawn["received_at"],
                    "DischargeReadyWithdrawn",
                    message=withdrawn,
                    withdrawn_at=withdrawn["gen_date"],
                )
                stop = _day(withdrawn["gen_date"])
                if rng.random() < 0.6:
                    notice_day = min(stop + timedelta(days=rng.randrange(2, 8)), end_day)
                    renotify = notice_day > stop
                    last_event_day = max(last_event_day, notice_day)
                    if renotify:
                        continue
                departure = stop + timedelta(days=rng.randrange(3, 15))
            last_event_day = max(last_event_day, stop)
        if departure is None:
            departure = last_event_day + timedelta(days=rng.choice((0, 0, 0, 1)))
    else:
        departure = first_day
    departure = min(departure, end_day)
    if rng.random() < 0.995:
        died = rng.random() < 0.02
        left = _oslo(departure, rng.uniform(9, 18))
        latest = max((e.at for e in events), default=admitted)
        left = max(left, latest + timedelta(minutes=20))
        discharge = message(left, msg_type="LOG_UTSKREVET")
        add(
            discharge["received_at"],
            "PatientDischarged",
            message=discharge,
            discharged_at=discharge["gen_date"],
            died=died,
        )
        if rng.random() < 0.003:
            cancel = message(
                discharge["gen_date"] + timedelta(hours=rng.uniform(0.5, 4)),
                msg_type="LOG_UTSKREVET",
            )
            add(
                cancel["received_at"],
                "DischargeMessageCancelled",
                message=cancel,
                cancels=discharge["msg_id"],
                cancelled_type="LOG_UTSKREVET",
            )
    events.sort(key=lambda e: e.at)
    return plan


# --- as envelopes -----------------------------------------------------------------------------


class Writer:
    """Turns planned events into envelope bytes: JSON as on the topics (`to_json` writes UTC
    instants as ISO 8601 with Z, days as ISO dates)."""

    def envelope(self, plan: StayPlan, event: Event) -> tuple[str, bytes]:
        """(topic, envelope bytes) of one event."""
        data = self.data(plan, event)
        topic = TOPIC_OF[event.type]
        document = {
            "specversion": "1.0",
            "id": event.id,
            "type": event.type,
            "source": SOURCES[topic],
            "time": event.at + timedelta(milliseconds=50),
            "subject": plan.stay_id,
            "datacontenttype": "application/json",
            "schemaversion": 1,
            "data": data,
        }
        return topic, to_json(document)

    def data(self, plan: StayPlan, event: Event) -> dict[str, Any]:
        f = event.fields
        kind = event.type
        base: dict[str, Any] = {"stay_id": plan.stay_id}
        if "message" in f:
            m = f["message"]
            base["message"] = {
                "msg_id": m["msg_id"],
                "conversation_id": f.get("replaces") or f.get("cancels") or m["msg_id"],
                "msg_type": m["msg_type"],
                "plo_version": "1.6",
                "gen_date": m["gen_date"],
                "received_at": m["received_at"],
            }
        if kind in ("AdmissionNotified", "AdmissionChanged"):
            base.update(
                patient=_patient(plan),
                hospital=_hospital(plan),
                municipality=_municipality(plan),
                sector=plan.sector,
                admitted_at=plan.admitted,
                without_fixed_home=plan.homeless,
            )
            if kind == "AdmissionChanged":
                base["replaces_msg_id"] = f["replaces"]
        elif kind == "AdmissionCancelled":
            base.update(
                cancels_msg_id=f["cancels"],
                hospital=_hospital(plan),
                municipality=_municipality(plan),
            )
        elif kind == "DischargeReadyNotified":
            base.update(
                stay=_stay(plan),
                ready_on=f["ready_on"],
                decided_by_hpr=f["decided_by"],
                replaces_msg_id=f.get("replaces"),
            )
        elif kind == "DischargeReadyWithdrawn":
            base.update(stay=_stay(plan), withdrawn_at=f["withdrawn_at"])
        elif kind == "MunicipalityAnswered":
            day = f["day"]
            base.update(
                can_receive=f["can_receive"],
                ready_from=day if f["can_receive"] else None,
                expected_on=None if f["can_receive"] else day,
                answered_at=base["message"]["gen_date"],
                answers_msg_id=f["answers"],
                municipality=_municipality(plan),
                hospital=_hospital(plan),
                structured=True,
            )
        elif kind == "PatientDischarged":
            base.update(
                stay=_stay(plan),
                discharged_at=f["discharged_at"],
                died=f["died"],
                destination_code="1",
            )
        elif kind == "CooperationMeetingCalled":
            base.update(
                registration_id=f["registration_id"],
                called_at=f["called_at"],
                planned_for=f["planned_for"],
                registered_at=event.at,
            )
        elif kind == "DischargeMessageCancelled":
            base.update(cancels_msg_id=f["cancels"], cancelled_type=f["cancelled_type"])
        elif kind == "HousingCaseOpened":
            base.update(
                case_id=f["case_id"],
                municipality_her=plan.municipality.her_id,
                opened_at=event.at,
                opened_by="admission",
            )
        elif kind == "HousingAssigned":
            base.update(
                case_id=f"case-{plan.stay_id[:8]}",
                assignment_id=f["assignment_id"],
                unit_id=f"unit-{plan.number % 997}",
                site_id=f"site-{plan.number % 31}",
                municipality_her=plan.municipality.her_id,
                move_in=f["move_in"],
                decided_at=f["decided_at"],
            )
        elif kind == "HousingAssignmentCancelled":
            base.update(
                case_id=f"case-{plan.stay_id[:8]}",
                assignment_id=f["assignment_id"],
                cancelled_at=f["cancelled_at"],
            )
        else:  # pragma: no cover - every planned type is above
            raise ValueError(kind)
        return base


def _part(plan: StayPlan, name: str) -> dict[str, Any]:
    found = plan.parts.get(name)
    if found is None:
        found = plan.parts[name] = _PARTS[name](plan)
    return found


def _patient_of(plan: StayPlan) -> dict[str, Any]:
    kind = "DNR" if plan.patient[0] in "4567" else "FNR"
    return {"id": plan.patient, "id_type": kind, "family_name": "Hansen", "given_name": "Kari"}


def _hospital_of(plan: StayPlan) -> dict[str, Any]:
    return {"her_id": plan.trust.her_id, "name": plan.trust.name, "unit_her_id": plan.unit}


def _municipality_of(plan: StayPlan) -> dict[str, Any]:
    m = plan.municipality
    return {"her_id": m.her_id, "name": m.name, "municipality_number": m.number}


def _stay_of(plan: StayPlan) -> dict[str, Any]:
    return {
        "patient": _patient(plan),
        "hospital": _hospital(plan),
        "municipality": _municipality(plan),
        "sector": plan.sector,
        "admitted_at": plan.admitted,
        "admission_known": True,
    }


def _patient(plan: StayPlan) -> dict[str, Any]:
    return _part(plan, "patient")


def _hospital(plan: StayPlan) -> dict[str, Any]:
    return _part(plan, "hospital")


def _municipality(plan: StayPlan) -> dict[str, Any]:
    return _part(plan, "municipality")


def _stay(plan: StayPlan) -> dict[str, Any]:
    return _part(plan, "stay")


_PARTS = {
    "patient": _patient_of,
    "hospital": _hospital_of,
    "municipality": _municipality_of,
    "stay": _stay_of,
}


# --- the year as a stream ---------------------------------------------------------------------


@dataclass
class Year:
    """The year's traffic: `stream()` yields (topic, key, envelope bytes) in publication order."""

    stays: int
    seed: int = 2024
    sample_every: int = 0
    """Keep every n-th stay's plan in `sampled` (0: none), for checking the result."""
    sampled: list[StayPlan] = field(default_factory=list)
    events: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    _emitted: dict[int, int] = field(default_factory=dict)

    def complete_samples(self) -> list[StayPlan]:
        """The sampled stays whose every event has been streamed (a slice may cut some short)."""
        return [p for p in self.sampled if self._emitted.get(p.number, 0) == len(p.events)]

    def stream(self) -> Iterator[tuple[str, bytes, bytes]]:
        rng = random.Random(self.seed)
        writer = Writer()
        pending: list[tuple[datetime, int, int, StayPlan, Event]] = []
        sequence = 0
        for number, admitted in enumerate(admission_times(self.stays, rng)):
            while pending and pending[0][0] <= admitted:
                yield self._emit(writer, heapq.heappop(pending))
            plan = plan_stay(number, admitted, rng)
            if self.sample_every and number % self.sample_every == 0:
                self.sampled.append(plan)
            for event in plan.events:
                sequence += 1
                heapq.heappush(pending, (event.at, sequence, number, plan, event))
        while pending:
            yield self._emit(writer, heapq.heappop(pending))

    def _emit(
        self, writer: Writer, item: tuple[datetime, int, int, StayPlan, Event]
    ) -> tuple[str, bytes, bytes]:
        _at, _seq, number, plan, event = item
        topic, value = writer.envelope(plan, event)
        self.events += 1
        if self.sample_every and number % self.sample_every == 0:
            self._emitted[number] = self._emitted.get(number, 0) + 1
        self.by_type[event.type] = self.by_type.get(event.type, 0) + 1
        return topic, plan.stay_id.encode(), value


# --- the same stay as domain facts, for the check ---------------------------------------------


def facts_of(plan: StayPlan) -> Any:
    """The stay as billing's domain `StayFacts`, built from the plan (not from the events)."""
    from billing.domain import facts as d

    facts: list[Any] = []
    for event in plan.events:
        f = event.fields
        kind = event.type
        m = f.get("message")
        common: dict[str, Any] = {}
        if m is not None:
            common = {
                "message_id": m["msg_id"],
                "sent_at": m["gen_date"],
                "received_at": m["received_at"],
                "replaces": f.get("replaces"),
            }
        if kind in ("AdmissionNotified", "AdmissionChanged"):
            facts.append(d.AdmissionNotice(**common))
        elif kind in ("AdmissionCancelled", "DischargeMessageCancelled"):
            facts.append(d.Cancellation(**common, cancels=f["cancels"]))
        elif kind == "DischargeReadyNotified":
            facts.append(
                d.DischargeReadyNotice(**common, ready=f["ready_on"], decided_by=f["decided_by"])
            )
        elif kind == "DischargeReadyWithdrawn":
            facts.append(d.ReadinessWithdrawn(**common, withdrawn_at=f["withdrawn_at"]))
        elif kind == "MunicipalityAnswered":
            facts.append(d.MunicipalityAnswer(**common, can_receive=f["can_receive"], day=f["day"]))
        elif kind == "PatientDischarged":
            facts.append(
                d.Discharged(
                    **common, discharged_at=f["discharged_at"], died=f["died"], destination="1"
                )
            )
        elif kind == "CooperationMeetingCalled":
            facts.append(
                d.CooperationMeetingCalled(
                    message_id=f["registration_id"],
                    sent_at=event.at,
                    called_at=f["called_at"],
                    planned_for=f["planned_for"],
                )
            )
        elif kind == "HousingAssigned":
            facts.append(
                d.HousingAssigned(
                    message_id=event.id,
                    assignment_id=f["assignment_id"],
                    decided_at=f["decided_at"],
                    move_in=f["move_in"],
                )
            )
        elif kind == "HousingAssignmentCancelled":
            facts.append(
                d.HousingAssignmentCancelled(
                    message_id=event.id,
                    assignment_id=f["assignment_id"],
                    cancelled_at=f["cancelled_at"],
                )
            )
    return d.StayFacts(
        stay_id=plan.stay_id,
        sector=d.Sector(plan.sector),
        hospital_her=plan.unit,
        hospital_trust=plan.trust.her_id,
        admitted_at=plan.admitted,
        municipality_her=plan.municipality.her_id,
        residence_municipality=plan.municipality.number,
        registered_municipality=plan.municipality.number,
        facts=tuple(facts),
    )
