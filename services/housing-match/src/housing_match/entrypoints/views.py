"""The API's request and response models (pydantic), and their mapping from stored rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from housing_match.adapters.repository import Row, needs_from_json
from housing_match.domain import HousingKind, Needs, ResidentProfile, Urgency
from hub_shared.db import stored_utc


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- stock ------------------------------------------------------------------------------------
class SiteRulesChange(_Request):
    """Rules to set on a site. Left out: as the kind has them (new site) or as they are (change).
    A site may only be stricter than its kind (HOUSING.md); a looser value is a 422."""

    staffed_24_7: bool | None = None
    drug_free: bool | None = None
    excludes_active_use: bool | None = None
    min_age: int | None = Field(default=None, ge=0, le=130)
    requires_individual_plan: bool | None = None
    requires_crisis_plan: bool | None = None
    requires_day_activity: bool | None = None
    requires_long_treatment: bool | None = None
    no_mixing_use_and_recovery: bool | None = None
    known_users_only: bool | None = None
    max_heavy_needs: int | None = Field(default=None, ge=0)
    """null (sent explicitly): no limit."""
    max_units: int | None = Field(default=None, ge=1)
    """null (sent explicitly): no limit."""

    def given(self) -> dict[str, Any]:
        """The fields the caller sent (an explicit null included)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class SiteRulesView(BaseModel):
    staffed_24_7: bool
    drug_free: bool
    excludes_active_use: bool
    min_age: int
    requires_individual_plan: bool
    requires_crisis_plan: bool
    requires_day_activity: bool
    requires_long_treatment: bool
    no_mixing_use_and_recovery: bool
    known_users_only: bool
    max_heavy_needs: int | None
    max_units: int | None


class SiteCreate(_Request):
    name: str = Field(min_length=1, max_length=200)
    district: str = Field(min_length=1, max_length=120)
    kind: HousingKind
    rules: SiteRulesChange = Field(default_factory=SiteRulesChange)


class SiteChange(_Request):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    district: str | None = Field(default=None, min_length=1, max_length=120)
    rules: SiteRulesChange | None = None


class SiteView(BaseModel):
    site_id: str
    name: str
    district: str
    kind: HousingKind
    rules: SiteRulesView
    units: int
    free_places: int
    retired_at: datetime | None


class UnitCreate(_Request):
    label: str = Field(min_length=1, max_length=120)
    capacity: int = Field(default=1, ge=1, le=100)
    available_from: date | None = None
    """Free only from this day (e.g. under renovation); left out: free now."""


class UnitChange(_Request):
    label: str | None = Field(default=None, min_length=1, max_length=120)
    capacity: int | None = Field(default=None, ge=1, le=100)
    available_from: date | None = None
    """null (sent explicitly): free now."""

    def given(self) -> dict[str, Any]:
        changes = {name: getattr(self, name) for name in self.model_fields_set}
        return {k: v for k, v in changes.items() if v is not None or k == "available_from"}


class ResidentView(BaseModel):
    """Someone living in the unit, or a place reserved by an assignment (`reserved`)."""

    resident_id: str
    case_id: str | None
    assignment_id: str | None
    reserved: bool
    active_use: bool
    in_recovery: bool
    heavy_needs: bool
    moved_in_on: date | None
    moved_out_on: date | None


class UnitView(BaseModel):
    unit_id: str
    site_id: str
    site_name: str
    kind: HousingKind
    district: str
    label: str
    capacity: int
    status: str
    """free | occupied | retired"""
    free_places: int
    available_from: date | None
    """The first day a free place can be moved into (a planned move-out included)."""
    retired_at: datetime | None
    residents: list[ResidentView] | None = None
    """Only on a single unit's view (the list leaves the people out)."""


class MoveIn(_Request):
    """A move-in: the person of an assignment (`assignment_id`), or a tenant housed outside the
    hub, with what the site rules need to know of them."""

    on: date
    assignment_id: str | None = None
    active_use: bool = False
    in_recovery: bool = False
    heavy_needs: bool = False

    def profile(self) -> ResidentProfile:
        return ResidentProfile(self.active_use, self.in_recovery, self.heavy_needs)


class MoveOut(_Request):
    on: date
    """The day the place is free again (today, or a planned day)."""


class Created(BaseModel):
    id: str


# --- cases ------------------------------------------------------------------------------------
class NeedsModel(_Request):
    """What the housing office knows of the person's needs (behov): see domain/cases.py."""

    acceptable_kinds: list[HousingKind] = Field(min_length=1)
    age: int = Field(ge=0, le=130)
    needs_staffing: bool = False
    requires_drug_free: bool = False
    active_use: bool = False
    in_recovery: bool = False
    individual_plan: bool = False
    crisis_plan: bool = False
    day_activity: bool = False
    wished_district: str | None = Field(default=None, max_length=120)
    consent_to_share: bool = False
    heavy_needs: bool = False
    long_treatment: bool = False
    known_user: bool = False

    def to_domain(self) -> Needs:
        values = self.model_dump()
        values["acceptable_kinds"] = frozenset(self.acceptable_kinds)
        return Needs(**values)


class PatientModel(_Request):
    id: str = Field(min_length=11, max_length=11, description="Fødselsnummer or D-number")
    id_type: str | None = Field(default=None, max_length=10)
    family_name: str | None = Field(default=None, max_length=200)
    given_name: str | None = Field(default=None, max_length=200)


class CaseCreate(_Request):
    """A case opened by hand, for the stay of `patient` at `hospital_her` admitted at
    `admitted_at` (Oslo time when without offset; to the second, as in the admission notice)."""

    patient: PatientModel
    hospital_her: str = Field(min_length=1, max_length=20)
    admitted_at: datetime
    needs: NeedsModel | None = None
    expected_discharge_on: date | None = None


class CaseChange(_Request):
    expected_discharge_on: date | None = None

    def given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class Reason(_Request):
    reason: str = Field(min_length=1, max_length=2000)


class AcceptRequest(_Request):
    move_in: date


class CaseSummary(BaseModel):
    """A case in the office's list: how urgent, and how long the clock has run."""

    case_id: str
    stay_id: str
    status: str
    """open | assigned | closed"""
    opened_by: str
    opened_at: datetime
    patient: str
    """The patient's number, masked."""
    urgency: Urgency
    notice_on: date | None
    """The day of the hospital's § 10 notice (utskrivningsklar), Europe/Oslo."""
    days_since_notice: int | None
    clock_started_on: date | None
    """The first payable day: the later of the notice day and the readiness day."""
    clock_days: int
    """Days on the clock so far, today included, up to an assigned move-in day."""
    expected_discharge_on: date | None
    waiting_days: int
    needs_recorded: bool
    assignment_id: str | None
    move_in: date | None
    answer_status: str | None
    """The latest answer to the hospital: pending | delivered | rejected."""


class RuleView(BaseModel):
    rule: str
    passed: bool
    reason: str


class ProposalView(BaseModel):
    proposal_id: str
    run_id: str
    case_id: str
    stay_id: str
    unit_id: str
    unit_label: str | None
    site_id: str
    site_name: str | None
    kind: HousingKind | None
    district: str | None
    move_in: date
    friday_move_in: bool
    cost_saved: Decimal
    clock_days_saved: int
    clock_days_until_move_in: int
    wish_met: bool
    information_sharing: str
    rules_checked: list[RuleView]
    explanation: str
    status: str
    """proposed | accepted | rejected | superseded | stale"""
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None


class AssignmentView(BaseModel):
    assignment_id: str
    proposal_id: str | None
    case_id: str
    stay_id: str
    unit_id: str
    site_id: str
    move_in: date
    friday_move_in: bool
    status: str
    """active | moved_in | cancelled"""
    decided_at: datetime
    decided_by: str
    moved_in_on: date | None
    cancelled_at: datetime | None
    cancel_reason: str | None


class AppRecErrorView(BaseModel):
    code: str | None
    text: str | None
    extra: str | None


class AppRecView(BaseModel):
    msg_id: str | None
    status: str
    status_text: str | None
    errors: list[AppRecErrorView]
    received_at: datetime | None


class AttemptView(BaseModel):
    attempt: int
    started_at: datetime
    finished_at: datetime
    endpoint: str | None
    outcome: str
    http_status: int | None
    detail: str
    next_attempt_at: datetime | None


class OutboundSummary(BaseModel):
    """An answer to a hospital and where its delivery stands."""

    msg_id: str
    case_id: str
    stay_id: str
    assignment_id: str | None
    conversation_id: str
    receiver_her: str
    receiver_unit_her: str | None
    answer_line: str
    status: str
    """pending | delivered | rejected (rejected: the hospital's AppRec said Avvist; not retried)"""
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    last_error: str | None
    apprec: AppRecView | None


class OutboundView(OutboundSummary):
    attempt_log: list[AttemptView]


class CaseView(CaseSummary):
    family_name: str | None
    given_name: str | None
    hospital_her: str
    admitted_at: datetime | None
    needs: NeedsModel | None
    closed_at: datetime | None
    close_reason: str | None
    proposals: list[ProposalView]
    assignments: list[AssignmentView]
    messages: list[OutboundSummary]


class AcceptedView(BaseModel):
    assignment: AssignmentView
    answer: OutboundSummary | None
    """The answer queued for the hospital (discharge-ready patients only)."""


class RunView(BaseModel):
    run_id: str
    ran_at: datetime
    ran_by: str
    today: date
    status: str
    pruned: bool
    cases: int
    units_offered: int
    unmatched: list[str]
    excluded: list[str]
    without_needs: list[str]
    """Open cases left out because their needs are not recorded yet."""
    cost_if_unmatched: Decimal
    total_cost: Decimal
    cost_saved: Decimal
    notes: list[str]
    proposals: list[ProposalView]


# --- mapping ----------------------------------------------------------------------------------
def needs_view(values: dict[str, Any] | None) -> NeedsModel | None:
    if values is None:
        return None
    needs = needs_from_json(values)
    return NeedsModel(
        **{**values, "acceptable_kinds": sorted(needs.acceptable_kinds, key=lambda k: k.value)}
    )


def resident_view(row: Row) -> ResidentView:
    return ResidentView(
        resident_id=row.resident_id,
        case_id=row.case_id,
        assignment_id=row.assignment_id,
        reserved=row.assignment_id is not None and row.moved_in_on is None,
        active_use=row.active_use,
        in_recovery=row.in_recovery,
        heavy_needs=row.heavy_needs,
        moved_in_on=row.moved_in_on,
        moved_out_on=row.moved_out_on,
    )


def proposal_view(row: Row, units: dict[str, Row], sites: dict[str, Row]) -> ProposalView:
    unit, site = units.get(row.unit_id), sites.get(row.site_id)
    return ProposalView(
        proposal_id=row.proposal_id,
        run_id=row.run_id,
        case_id=row.case_id,
        stay_id=row.stay_id,
        unit_id=row.unit_id,
        unit_label=unit.label if unit is not None else None,
        site_id=row.site_id,
        site_name=site.name if site is not None else None,
        kind=HousingKind(site.kind) if site is not None else None,
        district=site.district if site is not None else None,
        move_in=row.move_in,
        friday_move_in=row.friday_move_in,
        cost_saved=row.cost_saved,
        clock_days_saved=row.clock_days_saved,
        clock_days_until_move_in=row.clock_days_until_move_in,
        wish_met=row.wish_met,
        information_sharing=row.information_sharing,
        rules_checked=[RuleView(**r) for r in row.rules_checked],
        explanation=row.explanation,
        status=row.status,
        created_at=stored_utc(row.created_at),
        decided_at=stored_utc(row.decided_at),
        decided_by=row.decided_by,
        reason=row.reason,
    )


def assignment_view(row: Row) -> AssignmentView:
    return AssignmentView(
        assignment_id=row.assignment_id,
        proposal_id=row.proposal_id,
        case_id=row.case_id,
        stay_id=row.stay_id,
        unit_id=row.unit_id,
        site_id=row.site_id,
        move_in=row.move_in,
        friday_move_in=row.friday_move_in,
        status=row.status,
        decided_at=stored_utc(row.decided_at),
        decided_by=row.decided_by,
        moved_in_on=row.moved_in_on,
        cancelled_at=stored_utc(row.cancelled_at),
        cancel_reason=row.cancel_reason,
    )


def outbound_summary(row: Row) -> OutboundSummary:
    apprec = None
    if row.apprec_status is not None:
        apprec = AppRecView(
            msg_id=row.apprec_msg_id,
            status=row.apprec_status,
            status_text=row.apprec_status_text,
            errors=[
                AppRecErrorView(code=e.get("code"), text=e.get("text"), extra=e.get("extra"))
                for e in row.apprec_errors or []
            ],
            received_at=stored_utc(row.apprec_received_at),
        )
    return OutboundSummary(
        msg_id=row.msg_id,
        case_id=row.case_id,
        stay_id=row.stay_id,
        assignment_id=row.assignment_id,
        conversation_id=row.conversation_id,
        receiver_her=row.receiver_her,
        receiver_unit_her=row.receiver_unit_her,
        answer_line=row.answer_line,
        status=row.status,
        attempts=row.attempts,
        created_at=stored_utc(row.created_at),
        last_attempt_at=stored_utc(row.last_attempt_at),
        next_attempt_at=stored_utc(row.next_attempt_at) if row.status == "pending" else None,
        last_error=row.last_error,
        apprec=apprec,
    )


def attempt_view(row: Row) -> AttemptView:
    return AttemptView(
        attempt=row.attempt,
        started_at=stored_utc(row.started_at),
        finished_at=stored_utc(row.finished_at),
        endpoint=row.endpoint,
        outcome=row.outcome,
        http_status=row.http_status,
        detail=row.detail,
        next_attempt_at=stored_utc(row.next_attempt_at),
    )
