"""The payment clock: the rules of the payment regulation for discharge-ready patients.

Forskrift om kommunal betaling for utskrivningsklare pasienter (FOR-2011-11-18-1115). One function,
`assess`, applies every rule to the facts of one stay under one agreement profile; the helpers below
are named after the rule they implement. Each decision is also written as a step, so that a disputed
invoice line can be explained under the profile in force.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar

from billing.domain.assessment import (
    EndReason,
    Flag,
    MunicipalResponse,
    PaymentPeriod,
    Reason,
    StayAssessment,
    YearPiece,
)
from billing.domain.corrections import Current, ResolvedFacts, resolve
from billing.domain.days import (
    ONE_DAY,
    OSLO,
    as_utc,
    is_working_day,
    next_working_day,
    oslo_day,
    oslo_time,
)
from billing.domain.facts import (
    OPPHOLDSKOMMUNE_FROM,
    REGULATION_START,
    DischargeReadyNotice,
    ReadinessWithdrawn,
    Sector,
    StayFacts,
)
from billing.domain.profiles import NATIONAL, AgreementBook, AgreementProfile
from billing.domain.rates import RateTable

ADMISSION_NOTICE_LIMIT = timedelta(hours=24)
"""§ 8: the admission notice must be sent within 24 hours of admission."""

CLOCK_SKEW_LIMIT = timedelta(hours=1)
"""GenDate and the hub's receive time may differ this much before the stay is flagged."""

PSYCH_TSB_FROM = OPPHOLDSKOMMUNE_FROM
"""Psykisk helsevern and TSB came under the regulation on 2019-01-01."""

T = TypeVar("T")
E = TypeVar("E", bound=Enum)

# On one stop day the first of these is reported: the municipality's act before the hospital's.
_END_PRECEDENCE = (EndReason.PLACE_READY, EndReason.DIED, EndReason.WITHDRAWN, EndReason.DISCHARGED)


@dataclass
class _Findings:
    """Reasons, flags, steps and evidence gathered while applying the rules."""

    reasons: list[Reason] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    message_ids: set[str] = field(default_factory=set)
    annulled: bool = False

    def refuse(self, reason: Reason, step: str) -> None:
        self.annulled = True
        self.reasons.append(reason)
        self.steps.append(step)


@dataclass(frozen=True)
class _Stop:
    day: date
    reason: EndReason
    message_ids: tuple[str, ...]
    response: MunicipalResponse | None = None

    def order(self) -> tuple[date, int]:
        return self.day, _END_PRECEDENCE.index(self.reason)


@dataclass(frozen=True)
class _Rules:
    """What every period of one stay is judged under."""

    stay: StayFacts
    facts: ResolvedFacts
    rates: RateTable
    profile: AgreementProfile
    annulled: bool
    """A stay-level rule (§ 8, epikrise) already made the whole stay unpayable."""
    as_of_day: date | None


@dataclass(frozen=True)
class _Window:
    """One § 10 notice up to the withdrawal that closes it (avmelding), if any."""

    notice: Current[DischargeReadyNotice]
    withdrawal: Current[ReadinessWithdrawn] | None
    opened_after: datetime | None
    """When the withdrawal that closed the previous window was sent."""
    repeats: tuple[str, ...]
    """Ids of further § 10 notices sent while this window was running."""

    def holds(self, instant: datetime) -> bool:
        """Whether a municipal answer sent at `instant` answers this window's notice."""
        after_previous = self.opened_after is None or instant >= self.opened_after
        before_close = self.withdrawal is None or instant < self.withdrawal.first_sent_at
        return after_previous and before_close


def assess(
    stay: StayFacts,
    rates: RateTable,
    profile: AgreementProfile = NATIONAL,
    *,
    as_of: datetime | None = None,
) -> StayAssessment:
    """Apply the payment rules to one stay.

    `as_of` closes periods still running at that instant ("days so far", the as-of day included)
    and caps every period there; it is required when a period has no stop yet.
    """
    facts = resolve(stay.facts)
    found = _Findings(steps=[f"Profile {profile.id!r}: {profile.name}"])
    _admission_notice_rule(stay, facts, found)
    _readiness_rule(facts, found)
    _discharge_documentation_rule(stay, facts, profile, found)
    _clock_skew_check(facts, found)
    _record_cancellations(facts, found)
    windows = _windows(facts, found)
    as_of_day = oslo_day(as_of) if as_of is not None else None
    rules = _Rules(stay, facts, rates, profile, found.annulled, as_of_day)
    periods = tuple(_period(rules, window) for window in windows)
    return _summarise(stay, facts, profile, as_of, found, periods)


def assess_now_and_ahead(
    stay: StayFacts,
    rates: RateTable,
    profile: AgreementProfile,
    *,
    as_of: datetime,
    horizon: datetime,
) -> tuple[StayAssessment, StayAssessment]:
    """`assess` as of `as_of` and as of `horizon` (later), as a pair.

    `as_of` only caps the periods that have not stopped by the day after it (`_cap_at_as_of`).
    When every period assessed up to the horizon has stopped by then, the two assessments are the
    same but for their `as_of`, and the stay is assessed once.
    """
    ahead = assess(stay, rates, profile, as_of=horizon)
    cap = oslo_day(as_of) + ONE_DAY
    if all(p.end_reason is not EndReason.OPEN and p.end <= cap for p in ahead.periods):
        now = copy(ahead)  # `replace` would check every field again; only `as_of` differs
        object.__setattr__(now, "as_of", as_utc(as_of))
        return now, ahead
    return assess(stay, rates, profile, as_of=as_of), ahead


def choose_profile(stay: StayFacts, book: AgreementBook) -> AgreementProfile:
    """The agreement in force between the trust and the paying municipality on the day of the
    stay's first § 10 notice (after corrections); the national rule when there is none.

    One profile judges the whole stay, even if an agreement changes between two of its periods.
    """
    notices = resolve(stay.facts).readiness_notices
    if not notices:
        return NATIONAL
    day = oslo_day(min(n.first_sent_at for n in notices))
    return book.profile_for(stay.hospital_trust, stay.payer_for(day), day)


# --- stay-level rules -------------------------------------------------------------------------


def _admission_notice_rule(stay: StayFacts, facts: ResolvedFacts, found: _Findings) -> None:
    """§ 8: the municipality must have been told of the admission within 24 hours (by GenDate)."""
    if not facts.admission_notices:
        found.flags.append(Flag.NO_ADMISSION_NOTICE)
        found.refuse(Reason.NO_ADMISSION_NOTICE, "§ 8: no admission notice: nothing is payable")
        return
    first = min(facts.admission_notices, key=lambda n: (n.first_sent_at, n.key))
    found.message_ids.update(first.message_ids)
    delay = first.first_sent_at - as_utc(stay.admitted_at)
    told = f"admission notice {first.key} sent {_fmt(first.first_sent_at)}, {delay} after admission"
    if delay > ADMISSION_NOTICE_LIMIT:
        found.flags.append(Flag.CONTESTABLE)
        found.refuse(Reason.LATE_ADMISSION_NOTICE, f"§ 8: {told}: late, nothing is payable")
    else:
        found.steps.append(f"§ 8: {told}: in time")


def _readiness_rule(facts: ResolvedFacts, found: _Findings) -> None:
    """§§ 9 and 10: a doctor judged the patient ready and the hospital notified the municipality."""
    if not facts.readiness_notices:
        found.refuse(Reason.NO_READINESS_NOTICE, "§ 10: no discharge-ready notice")
        return
    unnamed = [n.key for n in facts.readiness_notices if not n.content.decided_by]
    if unnamed:
        found.flags.append(Flag.READINESS_DECIDER_UNKNOWN)
        found.steps.append(f"§ 9: no deciding doctor named on {', '.join(unnamed)}")


def _discharge_documentation_rule(
    stay: StayFacts, facts: ResolvedFacts, profile: AgreementProfile, found: _Findings
) -> None:
    """Agreement rule: nothing payable for a patient discharged without an epikrise."""
    if not profile.requires_discharge_documentation:
        return
    discharge = _first(facts.discharges, key=lambda d: d.content.at)
    if discharge is None or discharge.content.died or facts.deaths:
        return  # not (yet) discharged alive: the rule has nothing to judge
    found.message_ids.update(discharge.message_ids)
    if stay.documentation_at_discharge is False:
        found.refuse(
            Reason.NO_DISCHARGE_DOCUMENTATION,
            f"Profile {profile.id}: discharged ({discharge.key}) without epikrise: nothing payable",
        )
    elif stay.documentation_at_discharge is None:
        found.flags += [Flag.DOCUMENTATION_UNKNOWN, Flag.CONTESTABLE]
        found.steps.append(f"Profile {profile.id}: epikrise at discharge not known")


def _clock_skew_check(facts: ResolvedFacts, found: _Findings) -> None:
    """Flag messages whose GenDate and receive time differ by more than an hour."""
    skewed = [
        m.message_id
        for m in facts.messages
        if m.received_at is not None and abs(m.received_at - m.sent_at) > CLOCK_SKEW_LIMIT
    ]
    if skewed:
        found.flags.append(Flag.CLOCK_SKEW)
        found.steps.append(f"GenDate and receive time differ > 1 h: {', '.join(skewed)}")


def _record_cancellations(facts: ResolvedFacts, found: _Findings) -> None:
    if facts.cancelled:
        found.message_ids.update(facts.cancelled)
        found.steps.append(f"Cancelled (Forsendelsesstatus C): {', '.join(facts.cancelled)}")


# --- periods ----------------------------------------------------------------------------------


def _windows(facts: ResolvedFacts, found: _Findings) -> list[_Window]:
    """Pair § 10 notices with withdrawals: after a withdrawal a new notice opens a new period.

    Ordered by when the hospital sent them; a withdrawal and a notice sent at the same instant
    are taken withdrawal first.
    """
    events: list[tuple[datetime, int, str, Current[Any]]] = sorted(
        [(n.first_sent_at, 1, n.key, n) for n in facts.readiness_notices]
        + [(w.first_sent_at, 0, w.key, w) for w in facts.withdrawals],
        key=lambda e: e[:3],
    )
    windows: list[_Window] = []
    open_notice: Current[DischargeReadyNotice] | None = None
    repeats: list[str] = []
    closed_at: datetime | None = None
    for instant, _, _, item in events:
        if isinstance(item.content, ReadinessWithdrawn):
            if open_notice is not None:
                windows.append(_Window(open_notice, item, closed_at, tuple(repeats)))
                open_notice, repeats, closed_at = None, [], instant
        elif open_notice is None:
            open_notice = item
        else:
            repeats.append(item.key)
    if open_notice is not None:
        windows.append(_Window(open_notice, None, closed_at, tuple(repeats)))
    if any(w.repeats for w in windows):
        found.flags.append(Flag.REPEATED_NOTICE)
    return windows


def _period(rules: _Rules, window: _Window) -> PaymentPeriod:
    stay, facts = rules.stay, rules.facts
    notice = window.notice
    steps: list[str] = []
    reasons: list[Reason] = []
    ids: set[str] = set(notice.message_ids) | set(window.repeats)
    clock_start = _clock_start(notice, rules.profile, steps)
    stop = _stop(facts, window, clock_start, steps)
    end, end_reason = _cap_at_as_of(stop, rules.as_of_day, steps)
    ids.update(stop.message_ids if stop else ())
    if end_reason is EndReason.PLACE_READY and end <= clock_start:
        reasons.append(Reason.MUNICIPALITY_COULD_RECEIVE)
    start = _regulation_in_force(clock_start, stay.sector, reasons, steps)
    meeting_ok = _cooperation_meeting_rule(stay, facts, start, end, reasons, steps)
    payable = not rules.annulled and meeting_ok
    if meeting_ok and stay.sector is not Sector.SOMATIC:
        start = _meeting_day(facts, start, steps)
    end = max(end, start)
    days = (end - start).days
    if days == 0 and not reasons and end_reason is not EndReason.OPEN:
        reasons.append(Reason.NO_PAYABLE_DAYS)
    steps.append(f"Days from {start} up to {end} ({end_reason}; that day not counted): {days}")
    pieces = _price(stay, rules.rates, start, end, steps) if payable else ()
    if any(not p.priced for p in pieces):
        reasons.append(Reason.UNPRICED_YEAR)
    ids.update(_answer_ids(facts, window))
    if stay.sector is not Sector.SOMATIC:
        ids.update(i for m in facts.meetings for i in m.message_ids)
    return PaymentPeriod(
        key=notice.key,
        notice_at=notice.first_sent_at,
        ready_on=oslo_day(notice.content.ready),
        start=start,
        end=end,
        end_reason=end_reason,
        payable=payable,
        days=days,
        pieces=pieces,
        amount=sum((p.amount for p in pieces), Decimal(0)),
        answer=(stop.response if stop and stop.response else _latest_answer(facts, window)),
        reasons=tuple(dict.fromkeys(reasons)),
        message_ids=tuple(sorted(ids)),
        steps=tuple(steps),
    )


def _clock_start(
    notice: Current[DischargeReadyNotice], profile: AgreementProfile, steps: list[str]
) -> date:
    """The clock starts on the Oslo day of the § 10 notice, or of readiness if that is later.

    The notice time is the GenDate of its first version: a change (M) replaces the content
    (e.g. the ready date) but the municipality was told when the first version was sent.
    """
    counted_from = notice.first_sent_at + profile.start_delay
    day = oslo_day(counted_from)
    steps.append(f"§ 10: notice {notice.key} sent {_fmt(notice.first_sent_at)}")
    if profile.start_delay:
        steps.append(f"Profile {profile.id}: counts from {profile.start_delay} later, {day}")
    if profile.notice_cutoff is not None and oslo_time(counted_from) > profile.notice_cutoff:
        day = next_working_day(day)
        steps.append(f"Profile {profile.id}: after {profile.notice_cutoff}: from {day}")
    if profile.non_working_day_notices_roll and not is_working_day(day):
        day = next_working_day(day)
        steps.append(f"Profile {profile.id}: not a working day: from {day}")
    ready_day = oslo_day(notice.content.ready)
    if ready_day > day:
        steps.append(f"§ 9: ready only on {ready_day}: the clock starts then")
        return ready_day
    steps.append(f"Clock starts {day}")
    return day


def _stop(facts: ResolvedFacts, window: _Window, start: date, steps: list[str]) -> _Stop | None:
    """The earliest of: place ready, death, withdrawal, discharge. `None`: still running."""
    candidates = [
        *_place_ready_stops(facts, window, start),
        *_departure_stops(facts),
        *_withdrawal_stop(window),
    ]
    if not candidates:
        return None
    stop = min(candidates, key=_Stop.order)
    steps.append(f"Stops {stop.day}: {stop.reason} ({', '.join(stop.message_ids)})")
    return stop


def _place_ready_stops(facts: ResolvedFacts, window: _Window, start: date) -> Iterable[_Stop]:
    """The municipality's explicit "a place is ready"; an expected day does not stop the clock.

    An answer sent on day X that a place is ready from day Y stops the clock on Y (never before X:
    an answer cannot be backdated). Answers belong to the notice they answer: a withdrawal ends
    the conversation. A housing assignment stands until cancelled, across withdrawals.
    """
    for answer in facts.answers:
        content = answer.content
        if content.can_receive and window.holds(content.sent_at):
            sent_day = oslo_day(content.sent_at)
            day = max(content.day or sent_day, sent_day)
            response = MunicipalResponse(content.message_id, content.sent_at, True, content.day)
            yield _Stop(day, EndReason.PLACE_READY, answer.message_ids, response)
    for assignment in facts.assignments:
        content = assignment.content
        day = max(content.move_in, oslo_day(content.decided_at), start)
        cancelled = assignment.cancelled_at
        if cancelled is None or day < oslo_day(cancelled):
            response = MunicipalResponse(
                content.message_id, content.decided_at, True, content.move_in, via_housing=True
            )
            yield _Stop(day, EndReason.PLACE_READY, assignment.message_ids, response)


def _departure_stops(facts: ResolvedFacts) -> Iterable[_Stop]:
    """Discharge and death end the stay, and with it every period."""
    for discharge in facts.discharges:
        reason = EndReason.DIED if discharge.content.died else EndReason.DISCHARGED
        yield _Stop(oslo_day(discharge.content.at), reason, discharge.message_ids)
    for death in facts.deaths:
        yield _Stop(oslo_day(death.content.at), EndReason.DIED, death.message_ids)


def _withdrawal_stop(window: _Window) -> Iterable[_Stop]:
    if window.withdrawal is not None:
        withdrawal = window.withdrawal
        day = oslo_day(withdrawal.content.at)
        yield _Stop(day, EndReason.WITHDRAWN, withdrawal.message_ids)


def _cap_at_as_of(
    stop: _Stop | None, as_of_day: date | None, steps: list[str]
) -> tuple[date, EndReason]:
    """Periods are counted up to and including the as-of day, never into the future."""
    if as_of_day is None:
        if stop is None:
            raise ValueError("a period is still running: pass as_of to count the days so far")
        return stop.day, stop.reason
    cap = as_of_day + ONE_DAY
    if stop is None or cap < stop.day:
        steps.append(f"Still running on {as_of_day}: counted up to and including that day")
        return cap, EndReason.OPEN
    return stop.day, stop.reason


def _regulation_in_force(
    start: date, sector: Sector, reasons: list[Reason], steps: list[str]
) -> date:
    """No day before 2012 is payable; for psykisk helsevern and TSB none before 2019."""
    if start < REGULATION_START:
        reasons.append(Reason.BEFORE_REGULATION)
        steps.append(f"The regulation is in force from {REGULATION_START}")
        start = REGULATION_START
    if sector is not Sector.SOMATIC and start < PSYCH_TSB_FROM:
        reasons.append(Reason.PSYCH_TSB_BEFORE_2019)
        steps.append(f"Psykisk helsevern/TSB: payable only from {PSYCH_TSB_FROM}")
        start = PSYCH_TSB_FROM
    return start


def _cooperation_meeting_rule(
    stay: StayFacts,
    facts: ResolvedFacts,
    start: date,
    end: date,
    reasons: list[Reason],
    steps: list[str],
) -> bool:
    """Psykisk helsevern and TSB: payable only once a cooperation meeting has been called.

    The meeting itself may be held after the notice; the call must be made while the period runs.
    """
    if stay.sector is Sector.SOMATIC:
        return True
    meeting = _first(facts.meetings, key=lambda m: m.content.at)
    called_too_late = meeting is not None and end > start and oslo_day(meeting.content.at) >= end
    if meeting is None or called_too_late:
        reasons.append(Reason.NO_COOPERATION_MEETING)
        steps.append("Psykisk helsevern/TSB: no cooperation meeting called: not payable")
        return False
    return True


def _meeting_day(facts: ResolvedFacts, start: date, steps: list[str]) -> date:
    """Every condition must hold: a meeting called after the notice starts the clock that day."""
    meeting = _first(facts.meetings, key=lambda m: m.content.at)
    assert meeting is not None  # the meeting rule passed
    called = oslo_day(meeting.content.at)
    steps.append(f"Cooperation meeting {meeting.key} called {_fmt(meeting.content.at)}")
    if called > start:
        steps.append(f"Called after the notice: the clock starts {called}")
        return called
    return start


def _price(
    stay: StayFacts, rates: RateTable, start: date, end: date, steps: list[str]
) -> tuple[YearPiece, ...]:
    """Each day at its own year's rate; a day with no rate stays unpriced."""
    pieces = []
    for segment in rates.segments(start, end):
        rate = segment.rate.nok_per_day if segment.rate else None
        amount = rate * segment.days if rate is not None else Decimal(0)
        piece = YearPiece(
            year=segment.start.year,
            start=segment.start,
            end=segment.end,
            days=segment.days,
            rate=rate,
            amount=amount,
            payer=stay.payer_for(segment.start),
        )
        pieces.append(piece)
        priced = f"x {rate} = {amount}" if rate is not None else "no rate known: unpriced"
        steps.append(f"{piece.year}: {piece.days} days {priced}, payer {piece.payer or 'unknown'}")
    return tuple(pieces)


def _answer_ids(facts: ResolvedFacts, window: _Window) -> Iterable[str]:
    for answer in facts.answers:
        if window.holds(answer.content.sent_at):
            yield from answer.message_ids


def _latest_answer(facts: ResolvedFacts, window: _Window) -> MunicipalResponse | None:
    answers = [a.content for a in facts.answers if window.holds(a.content.sent_at)]
    if not answers:
        return None
    latest = max(answers, key=lambda a: (a.sent_at, a.message_id))
    return MunicipalResponse(latest.message_id, latest.sent_at, latest.can_receive, latest.day)


# --- summary ----------------------------------------------------------------------------------


def _summarise(
    stay: StayFacts,
    facts: ResolvedFacts,
    profile: AgreementProfile,
    as_of: datetime | None,
    found: _Findings,
    periods: tuple[PaymentPeriod, ...],
) -> StayAssessment:
    payable = [p for p in periods if p.payable]
    pieces = [piece for p in payable for piece in p.pieces]
    reasons = [*found.reasons, *(r for p in periods for r in p.reasons)]
    flags = list(found.flags)
    if any(not piece.priced for piece in pieces):
        flags.append(Flag.UNPRICED_DAYS)
    if any(piece.payer is None for piece in pieces):
        flags.append(Flag.UNKNOWN_PAYER)
    if any(p.end_reason is EndReason.OPEN for p in periods):
        flags.append(Flag.OPEN_PERIOD)
    total_days = sum(p.days for p in payable)
    first_notice = _first(facts.admission_notices, key=lambda n: n.first_sent_at)
    return StayAssessment(
        stay_id=stay.stay_id,
        hospital_her=stay.hospital_her,
        hospital_trust=stay.hospital_trust,
        admitted_at=as_utc(stay.admitted_at),
        admission_notice_at=first_notice.first_sent_at if first_notice else None,
        profile_id=profile.id,
        as_of=as_utc(as_of) if as_of is not None else None,
        payable=total_days > 0,
        reasons=_in_enum_order(Reason, reasons),
        flags=_in_enum_order(Flag, flags),
        periods=periods,
        total_days=total_days,
        total_amount=sum((p.amount for p in payable), Decimal(0)),
        unpriced_days=sum(p.days for p in pieces if not p.priced),
        message_ids=tuple(sorted(found.message_ids)),
        steps=tuple(found.steps),
    )


def _in_enum_order(kind: type[E], items: Iterable[E]) -> tuple[E, ...]:
    present = set(items)
    return tuple(member for member in _members(kind) if member in present)


@cache
def _members(kind: type[E]) -> tuple[E, ...]:
    return tuple(kind)


def _first(items: Iterable[T], key: Callable[[T], Any]) -> T | None:
    return min(items, key=key, default=None)


def _fmt(instant: datetime) -> str:
    return f"{instant.astimezone(OSLO):%Y-%m-%d %H:%M} (Oslo)"
