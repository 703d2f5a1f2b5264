"""Invoice lines (fakturalinjer) from assessed stays, corrections, and the dispute of a line.

A hospital trust invoices each municipality, usually monthly: one line per payment period and
calendar month (Oslo). A line is never edited once invoiced: a recomputation that changes it
yields a credit line (negative) and a new line, and a dispute the trust accepts yields a credit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from billing.domain.assessment import (
    EndReason,
    MunicipalResponse,
    PaymentPeriod,
    StayAssessment,
    YearPiece,
)
from billing.domain.days import month_start, next_month_start


class LineKind(StrEnum):
    CHARGE = "charge"
    CREDIT = "credit"


class DisputeStatus(StrEnum):
    OPEN = "open"  # not disputed
    CONTESTED = "contested"  # the municipality disputes it
    ACCEPTED = "accepted"  # the trust agreed: a credit line follows
    REJECTED = "rejected"  # the trust stands by it, with a reason


class DisputeReason(StrEnum):
    """The municipality's usual grounds; `OTHER` with a note for the rest."""

    NO_EPIKRISE = "no_epikrise"  # no epikrise at discharge
    COULD_RECEIVE = "could_receive"  # answered that we could receive
    NOTICE_NOT_RECEIVED = "notice_not_received"
    WRONG_PAYER = "wrong_payer"
    OTHER = "other"


@dataclass(frozen=True)
class Dispute:
    status: DisputeStatus = DisputeStatus.OPEN
    reason: DisputeReason | None = None
    note: str | None = None
    """The municipality's words."""
    resolution: str | None = None
    """The trust's reason when it accepts or rejects."""


class LineKey(NamedTuple):
    """What a line is about: one payment period of one stay in one month."""

    stay_ref: str
    period_key: str
    month: date


@dataclass(frozen=True, kw_only=True)
class InvoiceLine:
    line_id: str
    kind: LineKind = LineKind.CHARGE
    stay_ref: str
    """Pseudonymous stay reference, never the fødselsnummer."""
    period_key: str
    month: date
    """First day of the calendar month."""
    hospital_trust: str
    hospital_unit: str
    municipality: str
    """Municipality number of the payer."""
    admitted_at: datetime
    admission_notice_at: datetime | None
    """§ 8 notice (GenDate)."""
    readiness_notice_at: datetime
    """§ 10 notice (GenDate)."""
    answer: MunicipalResponse | None
    end_reason: EndReason
    end_date: date
    """The period's stop day (not counted)."""
    first_day: date
    end_day: date
    """The first day after this line's days."""
    days: int
    rate: Decimal | None
    """`None`: unpriced; such a line is held back until an operator adds the rate."""
    amount: Decimal
    profile_id: str
    message_ids: tuple[str, ...]
    credits_line_id: str | None = None
    dispute: Dispute = field(default_factory=Dispute)

    @property
    def key(self) -> LineKey:
        return LineKey(self.stay_ref, self.period_key, self.month)

    @property
    def priced(self) -> bool:
        return self.rate is not None

    def invoiced_content(self) -> tuple[object, ...]:
        """What a recomputation must leave unchanged for the line to stand."""
        return (self.municipality, self.first_day, self.end_day, self.days, self.rate, self.amount)


@dataclass(frozen=True)
class Correction:
    """The lines to issue for one key: credits of what was invoiced, then the new lines."""

    key: LineKey
    credits: tuple[InvoiceLine, ...]
    charges: tuple[InvoiceLine, ...]

    @property
    def lines(self) -> tuple[InvoiceLine, ...]:
        return self.credits + self.charges


def month_lines(
    assessment: StayAssessment,
    *,
    hospital_trust: str,
    municipality: str,
    month: date | None = None,
) -> list[InvoiceLine]:
    """The stay's lines for one (trust, paying municipality) pair, one per period and month.

    `month` (any day in it) keeps only that month. Unpriced days give lines without a rate.
    """
    if assessment.hospital_trust != hospital_trust:
        return []
    lines = [
        line
        for period in assessment.periods
        if period.payable
        for piece in period.pieces
        if piece.payer == municipality
        for line in _split_by_month(assessment, period, piece)
    ]
    if month is not None:
        lines = [line for line in lines if line.month == month_start(month)]
    return _number_within_month(lines)


def _split_by_month(
    assessment: StayAssessment, period: PaymentPeriod, piece: YearPiece
) -> Iterable[InvoiceLine]:
    first = piece.start
    while first < piece.end:
        end = min(next_month_start(first), piece.end)
        days = (end - first).days
        yield InvoiceLine(
            line_id="",
            stay_ref=assessment.stay_id,
            period_key=period.key,
            month=month_start(first),
            hospital_trust=assessment.hospital_trust,
            hospital_unit=assessment.hospital_her,
            municipality=piece.payer or "",
            admitted_at=assessment.admitted_at,
            admission_notice_at=assessment.admission_notice_at,
            readiness_notice_at=period.notice_at,
            answer=period.answer,
            end_reason=period.end_reason,
            end_date=period.end,
            first_day=first,
            end_day=end,
            days=days,
            rate=piece.rate,
            amount=piece.rate * days if piece.rate is not None else Decimal(0),
            profile_id=assessment.profile_id,
            message_ids=tuple(sorted({*period.message_ids, *assessment.message_ids})),
        )
        first = end


def _number_within_month(lines: list[InvoiceLine]) -> list[InvoiceLine]:
    """Readable, deterministic ids: stay/period/month, with a suffix when a month has two rates."""
    seen: dict[LineKey, int] = defaultdict(int)
    numbered = []
    for line in lines:
        seen[line.key] += 1
        suffix = f".{seen[line.key]}" if seen[line.key] > 1 else ""
        line_id = f"{line.stay_ref}/{line.period_key}/{line.month:%Y-%m}{suffix}"
        numbered.append(replace(line, line_id=line_id))
    return numbered


def reconcile(
    previously_invoiced: Iterable[InvoiceLine], recomputed: Iterable[InvoiceLine]
) -> list[Correction]:
    """The lines to issue so that the invoiced lines match a recomputation.

    Both inputs must cover the same scope (the same stays, pair and months): a key invoiced
    before and absent now is credited. Unchanged keys give nothing; a new key gives its lines;
    a changed key gives a credit of every line in force and the new lines. Unpriced lines are
    held back. A key whose dispute the trust accepted is settled and left alone.
    """
    previous = list(previously_invoiced)
    in_force, settled, used_ids = _invoiced_state(previous)
    wanted: dict[LineKey, list[InvoiceLine]] = defaultdict(list)
    for line in recomputed:
        if line.priced and line.days:
            wanted[line.key].append(line)
    corrections = []
    for key in sorted((set(in_force) | set(wanted)) - settled):
        old, new = in_force.get(key, []), wanted.get(key, [])
        if sorted(map(_comparable, old)) == sorted(map(_comparable, new)):
            continue
        charges = tuple(_fresh_id(line, used_ids) for line in new)
        corrections.append(Correction(key, tuple(credit_for(line) for line in old), charges))
    return corrections


def _invoiced_state(
    previous: list[InvoiceLine],
) -> tuple[dict[LineKey, list[InvoiceLine]], set[LineKey], set[str]]:
    credited = {line.credits_line_id for line in previous if line.kind is LineKind.CREDIT}
    in_force: dict[LineKey, list[InvoiceLine]] = defaultdict(list)
    settled: set[LineKey] = set()
    for line in previous:
        if line.kind is not LineKind.CHARGE:
            continue
        if line.dispute.status is DisputeStatus.ACCEPTED:
            settled.add(line.key)
        elif line.line_id not in credited:
            in_force[line.key].append(line)
    return in_force, settled, {line.line_id for line in previous}


def _comparable(line: InvoiceLine) -> tuple[str, ...]:
    return tuple(str(item) for item in line.invoiced_content())


def _fresh_id(line: InvoiceLine, used: set[str]) -> InvoiceLine:
    """A re-issued line gets a revision suffix: a line id is never reused."""
    line_id, revision = line.line_id, 1
    while line_id in used:
        revision += 1
        line_id = f"{line.line_id}~r{revision}"
    used.add(line_id)
    return replace(line, line_id=line_id)


def credit_for(line: InvoiceLine) -> InvoiceLine:
    """The negative line that cancels an invoiced line."""
    if line.kind is not LineKind.CHARGE:
        raise ValueError("only a charge can be credited")
    return replace(
        line,
        line_id=f"{line.line_id}~credit",
        kind=LineKind.CREDIT,
        days=-line.days,
        amount=-line.amount,
        credits_line_id=line.line_id,
        dispute=Dispute(),
    )


# --- disputes ---------------------------------------------------------------------------------


def contest(line: InvoiceLine, reason: DisputeReason, note: str | None = None) -> InvoiceLine:
    """The municipality disputes a line."""
    _require(line, DisputeStatus.OPEN)
    if reason is DisputeReason.OTHER and not note:
        raise ValueError("a dispute for another reason needs a note")
    return replace(line, dispute=Dispute(DisputeStatus.CONTESTED, reason, note))


def accept(line: InvoiceLine, resolution: str | None = None) -> tuple[InvoiceLine, InvoiceLine]:
    """The trust accepts the dispute: the line is marked and a credit line follows."""
    _require(line, DisputeStatus.CONTESTED)
    accepted = replace(
        line, dispute=replace(line.dispute, status=DisputeStatus.ACCEPTED, resolution=resolution)
    )
    return accepted, credit_for(line)


def reject(line: InvoiceLine, resolution: str) -> InvoiceLine:
    """The trust rejects the dispute, and must say why."""
    _require(line, DisputeStatus.CONTESTED)
    if not resolution.strip():
        raise ValueError("a rejection needs a reason")
    status = replace(line.dispute, status=DisputeStatus.REJECTED, resolution=resolution)
    return replace(line, dispute=status)


def _require(line: InvoiceLine, status: DisputeStatus) -> None:
    if line.kind is not LineKind.CHARGE:
        raise ValueError("only a charge line can be disputed")
    if line.dispute.status is not status:
        raise ValueError(f"the line's dispute is {line.dispute.status}, expected {status}")


def totals(lines: Iterable[InvoiceLine]) -> tuple[int, Decimal]:
    """Days and NOK over lines (credits count negative)."""
    items = list(lines)
    return sum(line.days for line in items), sum((line.amount for line in items), Decimal(0))
