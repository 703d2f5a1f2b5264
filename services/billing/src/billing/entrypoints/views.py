"""The JSON shapes of billing's API (pydantic), and how domain results become them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from billing.adapters.repository import StoredLine
from billing.domain import (
    AgreementProfile,
    DisputeReason,
    MunicipalResponse,
    PaymentPeriod,
    YearPiece,
)
from billing.service import IssuedDocument, RunningClock, StayReport
from hub_shared.db import stored_utc


class ClockView(BaseModel):
    """A clock running today: days and NOK so far, the current day (Europe/Oslo) included."""

    stay_ref: str = Field(description="Pseudonymous stay id (never the fødselsnummer)")
    period_key: str = Field(description="MsgId of the § 10 notice that started the period")
    hospital_trust: str | None
    hospital_her: str
    municipality_number: str | None
    since: date
    stops_on: date | None = Field(description="A stop already known (a place ready from then)")
    days: int
    amount: Decimal
    unpriced_days: int = Field(description="Days without a rate yet; not in `amount`")
    daily_rate: Decimal | None
    revision: int


class ClocksView(BaseModel):
    municipality_her: str
    as_of: datetime
    clocks: list[ClockView]
    total_days: int
    total_amount: Decimal


class StaySearch(BaseModel):
    """The stay's key, as the hospital knows it. Sent in the body: never in a URL or log."""

    patient_id: str = Field(min_length=11, max_length=11, description="Fødselsnummer or D-number")
    hospital_her: str = Field(description="HER-id of the hospital (organisation or unit)")
    admitted_at: datetime = Field(description="Admission time; without offset: Europe/Oslo")


class PieceView(BaseModel):
    year: int
    start: date
    end: date
    days: int
    rate: Decimal | None
    amount: Decimal
    payer: str | None


class AnswerView(BaseModel):
    message_id: str
    answered_at: datetime
    can_receive: bool
    day: date | None
    via_housing: bool


class PeriodView(BaseModel):
    key: str
    notice_at: datetime
    ready_on: date
    start: date
    end: date
    end_reason: str
    payable: bool
    days: int
    amount: Decimal
    unpriced_days: int
    pieces: list[PieceView]
    answer: AnswerView | None
    reasons: list[str]
    message_ids: list[str]
    steps: list[str]


class MessageView(BaseModel):
    """One message (or housing event) the stay's facts rest on."""

    message_id: str
    event_type: str
    event_id: str
    gen_date: datetime | None = Field(description="The sender's GenDate: what the rules count")
    received_at: datetime | None = Field(description="When the hub received the message")
    consumed_at: datetime = Field(description="When billing received the event")


class StaySummary(BaseModel):
    stay_ref: str
    hospital_trust: str
    hospital_her: str
    municipality_her: str | None
    municipality_number: str | None
    sector: str
    admitted_at: datetime
    admission_notice_at: datetime | None
    profile_id: str
    profile_name: str
    as_of: datetime | None
    payable: bool
    reasons: list[str]
    flags: list[str]
    notes: list[str]
    total_days: int
    total_amount: Decimal
    unpriced_days: int
    periods: list[PeriodView]
    message_ids: list[str]
    steps: list[str]
    messages: list[MessageView]


class DisputeView(BaseModel):
    status: str
    reason: str | None
    note: str | None
    resolution: str | None
    credit_invoice_id: str | None


class LineView(BaseModel):
    line_no: int = Field(description="The line's number on its invoice: the {line_id} of the paths")
    line_ref: str = Field(description="Stable reference: stay/period/month[~revision][~credit]")
    kind: Literal["charge", "credit"]
    stay_ref: str
    period_key: str
    month: date
    hospital_unit: str
    admitted_at: datetime
    admission_notice_at: datetime | None
    readiness_notice_at: datetime
    answer: AnswerView | None
    end_reason: str
    end_date: date
    first_day: date
    last_day: date
    days: int
    rate: Decimal | None
    amount: Decimal
    profile_id: str
    message_ids: list[str]
    credits_line_ref: str | None
    dispute: DisputeView


class InvoiceView(BaseModel):
    invoice_id: str
    hospital_trust: str
    municipality_number: str
    municipality_her: str | None
    month: str
    sequence: int
    document_type: Literal["invoice", "credit_note"]
    reason: Literal["issued", "recomputed", "dispute_accepted"]
    corrects_invoice_id: str | None
    issued_at: datetime
    currency: str = "NOK"
    total_days: int
    total_amount: Decimal
    lines: list[LineView]
    held_back: list[dict[str, Any]] = Field(
        description="Payable days not invoiced yet because their year has no rate"
    )


class InvoiceRequest(BaseModel):
    hospital_trust: str = Field(description="HER-id of the hospital trust that invoices")
    municipality_number: str = Field(pattern=r"^\d{4}$")
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")


class ContestRequest(BaseModel):
    reason: DisputeReason
    note: str | None = None


class AcceptRequest(BaseModel):
    resolution: str | None = None


class RejectRequest(BaseModel):
    resolution: str = Field(min_length=1)


class AcceptedView(BaseModel):
    line: LineView
    credit_note: InvoiceView


class ProfileView(BaseModel):
    id: str
    name: str
    start_delay_hours: float
    notice_cutoff: str | None
    non_working_day_notices_roll: bool
    requires_discharge_documentation: bool
    source: str


class EvidenceMessage(MessageView):
    topic: str
    used_by_line: bool
    apprec_held_by: str | None = Field(
        description="The service that answered the message with its AppRec (billing sees events)"
    )


class DisputeStep(BaseModel):
    at: datetime
    caller: str
    action: str
    reason: str | None
    text: str | None


class Recomputation(BaseModel):
    days: int
    amount: Decimal
    profile_id: str
    same_as_invoiced: bool
    steps: list[str]


class EvidenceView(BaseModel):
    invoice_id: str
    line: LineView
    profile: ProfileView | None
    steps_at_issue: list[str]
    messages: list[EvidenceMessage]
    recomputed_now: Recomputation | None
    dispute_log: list[DisputeStep]


# --- from domain and storage to views -------------------------------------------------------


def clock_view(clock: RunningClock) -> ClockView:
    return ClockView(
        stay_ref=clock.stay_id,
        period_key=clock.period_key,
        hospital_trust=clock.hospital_trust,
        hospital_her=clock.hospital_her,
        municipality_number=clock.municipality_number,
        since=clock.since,
        stops_on=clock.stops_on,
        days=clock.days,
        amount=clock.amount,
        unpriced_days=clock.unpriced_days,
        daily_rate=clock.daily_rate,
        revision=clock.revision,
    )


def answer_view(answer: MunicipalResponse | None) -> AnswerView | None:
    if answer is None:
        return None
    return AnswerView(
        message_id=answer.message_id,
        answered_at=answer.answered_at,
        can_receive=answer.can_receive,
        day=answer.day,
        via_housing=answer.via_housing,
    )


def _piece(piece: YearPiece) -> PieceView:
    return PieceView(
        year=piece.year,
        start=piece.start,
        end=piece.end,
        days=piece.days,
        rate=piece.rate,
        amount=piece.amount,
        payer=piece.payer,
    )


def period_view(period: PaymentPeriod) -> PeriodView:
    return PeriodView(
        key=period.key,
        notice_at=period.notice_at,
        ready_on=period.ready_on,
        start=period.start,
        end=period.end,
        end_reason=period.end_reason.value,
        payable=period.payable,
        days=period.days,
        amount=period.amount,
        unpriced_days=period.unpriced_days,
        pieces=[_piece(p) for p in period.pieces],
        answer=answer_view(period.answer),
        reasons=[r.value for r in period.reasons],
        message_ids=list(period.message_ids),
        steps=list(period.steps),
    )


def stay_summary(report: StayReport) -> StaySummary:
    stay, result = report.stay, report.assessment
    return StaySummary(
        stay_ref=stay.stay_id,
        hospital_trust=stay.hospital_trust,
        hospital_her=stay.hospital_her,
        municipality_her=stay.municipality_her,
        municipality_number=stay.residence_municipality,
        sector=stay.sector.value,
        admitted_at=stay.admitted_at,
        admission_notice_at=result.admission_notice_at,
        profile_id=report.profile.id,
        profile_name=report.profile.name,
        as_of=result.as_of,
        payable=result.payable,
        reasons=[r.value for r in result.reasons],
        flags=[f.value for f in result.flags],
        notes=list(report.notes),
        total_days=result.total_days,
        total_amount=result.total_amount,
        unpriced_days=result.unpriced_days,
        periods=[period_view(p) for p in result.periods],
        message_ids=sorted(
            set(result.message_ids) | {i for p in result.periods for i in p.message_ids}
        ),
        steps=[*result.steps, *report.notes],
        messages=[
            MessageView(
                message_id=row.message_id,
                event_type=row.event_type,
                event_id=row.event_id,
                gen_date=row.gen_date,
                received_at=row.received_at,
                consumed_at=row.consumed_at,
            )
            for row in sorted(report.rows, key=lambda r: (r.gen_date or r.consumed_at, r.event_id))
        ],
    )


def line_view(stored: StoredLine) -> LineView:
    line = stored.line
    return LineView(
        line_no=stored.line_no,
        line_ref=line.line_id,
        kind=line.kind.value,  # type: ignore[arg-type]
        stay_ref=line.stay_ref,
        period_key=line.period_key,
        month=line.month,
        hospital_unit=line.hospital_unit,
        admitted_at=line.admitted_at,
        admission_notice_at=line.admission_notice_at,
        readiness_notice_at=line.readiness_notice_at,
        answer=answer_view(line.answer),
        end_reason=line.end_reason.value,
        end_date=line.end_date,
        first_day=line.first_day,
        last_day=line.end_day - timedelta(days=1),
        days=line.days,
        rate=line.rate,
        amount=line.amount,
        profile_id=line.profile_id,
        message_ids=list(line.message_ids),
        credits_line_ref=line.credits_line_id,
        dispute=DisputeView(
            status=line.dispute.status.value,
            reason=line.dispute.reason.value if line.dispute.reason else None,
            note=line.dispute.note,
            resolution=line.dispute.resolution,
            credit_invoice_id=stored.credit_invoice_id,
        ),
    )


def invoice_view(document: IssuedDocument) -> InvoiceView:
    row = document.invoice
    return InvoiceView(
        invoice_id=row.invoice_id,
        hospital_trust=row.hospital_trust,
        municipality_number=row.municipality_number,
        municipality_her=row.municipality_her,
        month=row.month,
        sequence=row.sequence,
        document_type=row.document_type,
        reason=row.reason,
        corrects_invoice_id=row.corrects_invoice_id,
        issued_at=stored_utc(row.issued_at),
        total_days=row.total_days,
        total_amount=row.total_amount,
        lines=[line_view(s) for s in document.lines],
        held_back=json.loads(row.held_back),
    )


def profile_view(profile: AgreementProfile | None) -> ProfileView | None:
    if profile is None:
        return None
    return ProfileView(
        id=profile.id,
        name=profile.name,
        start_delay_hours=profile.start_delay / timedelta(hours=1),
        notice_cutoff=profile.notice_cutoff.isoformat() if profile.notice_cutoff else None,
        non_working_day_notices_roll=profile.non_working_day_notices_roll,
        requires_discharge_documentation=profile.requires_discharge_documentation,
        source=profile.source,
    )


def evidence_view(evidence: dict[str, Any]) -> EvidenceView:
    stored: StoredLine = evidence["stored"]
    recomputed = evidence["recomputed_now"]
    return EvidenceView(
        invoice_id=stored.invoice_id,
        line=line_view(stored),
        profile=profile_view(evidence["profile"]),
        steps_at_issue=list(stored.steps),
        messages=[EvidenceMessage(**m) for m in evidence["messages"]],
        recomputed_now=Recomputation(
            days=recomputed["days"],
            amount=recomputed["amount"],
            profile_id=recomputed["profile_id"],
            same_as_invoiced=_same(stored, recomputed),
            steps=recomputed["steps"],
        )
        if recomputed is not None
        else None,
        dispute_log=[
            DisputeStep(
                at=stored_utc(row.at),
                caller=row.caller,
                action=row.action,
                reason=row.reason,
                text=row.text,
            )
            for row in evidence["dispute_log"]
        ],
    )


def _same(stored: StoredLine, recomputed: dict[str, Any]) -> bool:
    line = stored.line
    return recomputed["days"] == line.days and Decimal(recomputed["amount"]) == line.amount
