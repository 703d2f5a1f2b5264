"""Use cases of housing-match: the stock, housing cases, matching, decisions, and the events.

Each public method is one thing the service does, in the caller's unit of work. Methods called by
the API commit; `apply_event` does not (the idempotent consumer commits the event's effect together
with its processed-event record). Every method that an officer calls takes the municipality the
officer acts for, and never reaches another municipality's rows.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from lxml import etree

from housing_match.adapters import orm
from housing_match.adapters.elin_answer import AnswerAddress, build_answer
from housing_match.adapters.outbound import PENDING
from housing_match.adapters.repository import (
    CaseRepository,
    MatchingRepository,
    OutboundRepository,
    Row,
    StayRepository,
    StockRepository,
    case_to_domain,
    living_on,
    needs_to_json,
    readiness_active,
    rules_to_json,
    site_from_row,
)
from housing_match.domain import (
    CostModel,
    HousingCase,
    HousingKind,
    LooserThanKindError,
    MatchPolicy,
    MatchResult,
    Needs,
    Proposal,
    ResidentProfile,
    SiteRules,
    Stock,
    check,
    match,
    placement,
)
from housing_match.domain.proposals import kind_name
from housing_match.settings import Settings
from hub_shared.db import stored_utc
from hub_shared.db.uow import UnitOfWork
from hub_shared.elin.answer import MunicipalAnswer
from hub_shared.elin.models import Party, PatientIdentity, to_local_naive
from hub_shared.elin.schema import load_schema
from hub_shared.events import parse_data
from hub_shared.events.admission import AdmissionCancelled, AdmissionChanged, AdmissionNotified
from hub_shared.events.discharge import (
    DischargeMessageCancelled,
    DischargeMessageMoved,
    DischargeReadyNotified,
    DischargeReadyWithdrawn,
    PatientDischarged,
)
from hub_shared.events.envelope import Envelope, EventData
from hub_shared.events.housing import (
    HousingAssigned,
    HousingAssignmentCancelled,
    HousingCaseOpened,
)
from hub_shared.events.registry import UnknownEventType
from hub_shared.identifiers.person import classify, is_valid_person_id
from hub_shared.identifiers.stay import stay_id as derive_stay_id
from hub_shared.register import AddressRegister, load_register
from hub_shared.timeutil import instant_utc, local_to_utc, oslo_date, utc_now

OPEN, ASSIGNED, CLOSED = "open", "assigned", "closed"
PROPOSED, ACCEPTED, REJECTED, SUPERSEDED, STALE = (
    "proposed",
    "accepted",
    "rejected",
    "superseded",
    "stale",
)
ACTIVE, MOVED_IN, CANCELLED = "active", "moved_in", "cancelled"


class NotFound(Exception):
    """No such thing for this municipality (another municipality's rows are not told apart)."""


class Conflict(Exception):
    """The request does not fit the current state (e.g. a proposal already decided)."""

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.extra = extra


class Invalid(Exception):
    """The request breaks a rule of its own (e.g. a site loosening its kind's rules)."""


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class OfficeConfig:
    register: AddressRegister
    stay_secret: bytes
    policy: MatchPolicy
    schema: etree.XMLSchema | None = None
    """The official schema set: every answer is checked against it before it is queued."""

    @classmethod
    def from_settings(cls, settings: Settings) -> OfficeConfig:
        return cls(
            register=load_register(settings.register_file),
            stay_secret=settings.stay_secret.get_secret_value().encode(),
            policy=MatchPolicy(
                daily_rate=settings.matching_daily_rate,
                horizon_days=settings.matching_horizon_days,
                time_limit_seconds=settings.matching_time_limit_seconds,
                exclude_without_consent=settings.matching_exclude_without_consent,
            ),
            schema=load_schema(settings.elin_xsd),
        )


@dataclass(frozen=True)
class PatientDetails:
    id: str
    id_type: str | None = None
    family_name: str | None = None
    given_name: str | None = None


class HousingOffice:
    """The housing office's use cases (boligkontoret)."""

    def __init__(self, config: OfficeConfig, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.config = config
        self.clock = clock
        self.answer_queued: Callable[[], None] = lambda: None
        """Called when an answer is queued (the sender looks at once rather than at its poll)."""

    def now(self) -> datetime:
        return instant_utc(self.clock())

    def today(self) -> date:
        """Today in Europe/Oslo: the day the clock counts in."""
        return oslo_date(self.now())

    def organisation(self, her_id: str) -> str:
        """The level-1 organisation of a HER-id (itself when unknown to the register)."""
        return self.config.register.organisation_id(her_id)

    # === the stock ============================================================================
    async def register_site(
        self,
        uow: UnitOfWork,
        municipality: str,
        *,
        name: str,
        district: str,
        kind: HousingKind,
        tighten: dict[str, Any],
    ) -> str:
        """A new site with its kind's rules, tightened by `tighten` (never loosened)."""
        rules = _rules(SiteRules.for_kind(kind), tighten)
        site_id, now = new_id(), self.now()
        await StockRepository(uow.session).insert(
            orm.sites,
            {
                "site_id": site_id,
                "municipality_her": municipality,
                "name": name,
                "district": district,
                "kind": kind.value,
                "rules": rules_to_json(rules),
                "created_at": now,
                "updated_at": now,
            },
        )
        await uow.commit()
        return site_id

    async def change_site(
        self,
        uow: UnitOfWork,
        municipality: str,
        site_id: str,
        *,
        name: str | None = None,
        district: str | None = None,
        tighten: dict[str, Any] | None = None,
    ) -> None:
        """Rename, move to another district, or change the rules (never below the kind's)."""
        stock = StockRepository(uow.session)
        row = await self._live_site(stock, municipality, site_id)
        values: dict[str, Any] = {"updated_at": self.now()}
        if name is not None:
            values["name"] = name
        if district is not None:
            values["district"] = district
        if tighten:
            rules = _rules(site_from_row(row).rules, tighten, floor=True)
            count = len(await stock.units(municipality, site_id=site_id))
            if rules.max_units is not None and count > rules.max_units:
                raise Invalid(f"the site has {count} units, more than max_units {rules.max_units}")
            values["rules"] = rules_to_json(rules)
        await stock.update(orm.sites, "site_id", site_id, values)
        await uow.commit()

    async def retire_site(self, uow: UnitOfWork, municipality: str, site_id: str) -> None:
        """Take a site and all its units out of service; only when no one lives there."""
        stock = StockRepository(uow.session)
        await self._live_site(stock, municipality, site_id)
        units = await stock.units(municipality, site_id=site_id)
        residents = await stock.residents(u.unit_id for u in units)
        now = self.now()
        for unit in units:
            self._check_empty(unit.unit_id, residents[unit.unit_id])
            await stock.update(
                orm.units, "unit_id", unit.unit_id, {"retired_at": now, "updated_at": now}
            )
        await stock.update(orm.sites, "site_id", site_id, {"retired_at": now, "updated_at": now})
        await MatchingRepository(uow.session).set_proposals(
            orm.proposals.c.site_id == site_id, {"status": STALE, "reason": "site retired"}
        )
        await uow.commit()

    async def add_unit(
        self,
        uow: UnitOfWork,
        municipality: str,
        site_id: str,
        *,
        label: str,
        capacity: int,
        available_from: date | None,
    ) -> str:
        stock = StockRepository(uow.session)
        site = site_from_row(await self._live_site(stock, municipality, site_id))
        count = len(await stock.units(municipality, site_id=site_id))
        limit = site.rules.max_units
        if limit is not None and count >= limit:
            raise Conflict(f"the site already has {count} units, its limit (max_units {limit})")
        unit_id, now = new_id(), self.now()
        await stock.insert(
            orm.units,
            {
                "unit_id": unit_id,
                "site_id": site_id,
                "municipality_her": municipality,
                "label": label,
                "capacity": capacity,
                "available_from": available_from,
                "created_at": now,
                "updated_at": now,
            },
        )
        await uow.commit()
        return unit_id

    async def change_unit(
        self, uow: UnitOfWork, municipality: str, unit_id: str, changes: dict[str, Any]
    ) -> None:
        """Change `label`, `capacity` or `available_from` (None: free now)."""
        stock = StockRepository(uow.session)
        unit = await self._live_unit(stock, municipality, unit_id)
        if "capacity" in changes:
            await stock.lock_site(unit.site_id)
            living = living_on((await stock.residents([unit_id]))[unit_id], self.today())
            if changes["capacity"] < len(living):
                raise Conflict(f"{len(living)} people live in, will live in or leave the unit")
        allowed = {k: v for k, v in changes.items() if k in ("label", "capacity", "available_from")}
        await stock.update(orm.units, "unit_id", unit_id, {**allowed, "updated_at": self.now()})
        await uow.commit()

    async def retire_unit(self, uow: UnitOfWork, municipality: str, unit_id: str) -> None:
        stock = StockRepository(uow.session)
        await self._live_unit(stock, municipality, unit_id)
        self._check_empty(unit_id, (await stock.residents([unit_id]))[unit_id])
        now = self.now()
        await stock.update(orm.units, "unit_id", unit_id, {"retired_at": now, "updated_at": now})
        await MatchingRepository(uow.session).set_proposals(
            orm.proposals.c.unit_id == unit_id, {"status": STALE, "reason": "unit retired"}
        )
        await uow.commit()

    async def move_in(
        self,
        uow: UnitOfWork,
        municipality: str,
        unit_id: str,
        *,
        on: date,
        assignment_id: str | None = None,
        profile: ResidentProfile | None = None,
    ) -> str:
        """Record a move-in: the person of an assignment, or a tenant housed outside the hub
        (with what the site rules need to know of them). Returns the resident id."""
        stock = StockRepository(uow.session)
        unit = await self._live_unit(stock, municipality, unit_id)
        now = self.now()
        if assignment_id is not None:
            resident_id = await self._assignment_moves_in(
                uow, municipality, unit_id, assignment_id, on
            )
        else:
            await stock.lock_site(unit.site_id)
            living = living_on((await stock.residents([unit_id]))[unit_id], on)
            if len(living) >= unit.capacity:
                raise Conflict(f"the unit has no free place on {on}")
            profile = profile or ResidentProfile()
            resident_id = new_id()
            await stock.insert(
                orm.residents,
                {
                    "resident_id": resident_id,
                    "unit_id": unit_id,
                    "active_use": profile.active_use,
                    "in_recovery": profile.in_recovery,
                    "heavy_needs": profile.heavy_needs,
                    "moved_in_on": on,
                    "created_at": now,
                    "updated_at": now,
                },
            )
        await uow.commit()
        return resident_id

    async def _assignment_moves_in(
        self, uow: UnitOfWork, municipality: str, unit_id: str, assignment_id: str, on: date
    ) -> str:
        matching = MatchingRepository(uow.session)
        assignment = await matching.assignment(municipality, assignment_id)
        if assignment is None:
            raise NotFound("No such assignment")
        if assignment.unit_id != unit_id or assignment.status != ACTIVE:
            raise Conflict(
                f"the assignment is {assignment.status} and for unit {assignment.unit_id}"
            )
        now = self.now()
        query = sa.select(orm.residents.c.resident_id).where(
            orm.residents.c.assignment_id == assignment_id
        )
        resident_id = (await uow.session.execute(query)).scalar_one()
        await StockRepository(uow.session).update(
            orm.residents, "resident_id", resident_id, {"moved_in_on": on, "updated_at": now}
        )
        await uow.session.execute(
            sa.update(orm.assignments)
            .where(orm.assignments.c.assignment_id == assignment_id)
            .values(status=MOVED_IN, moved_in_on=on)
        )
        case = await CaseRepository(uow.session).by_id(assignment.case_id)
        if case is not None and case.status != CLOSED:
            await self._close(uow, case, "housed", now)
        return resident_id

    async def move_out(
        self, uow: UnitOfWork, municipality: str, unit_id: str, resident_id: str, on: date
    ) -> None:
        """Record a move-out, done or planned: from `on` the place is free again."""
        stock = StockRepository(uow.session)
        await self._live_unit(stock, municipality, unit_id)
        resident = await stock.resident(unit_id, resident_id)
        if resident is None:
            raise NotFound("No such resident in this unit")
        if resident.moved_out_on is not None:
            raise Conflict(f"already moved out on {resident.moved_out_on}")
        if resident.moved_in_on is None:
            raise Conflict("the place is only reserved by an assignment: cancel the assignment")
        if on < resident.moved_in_on:
            raise Invalid("the move-out cannot precede the move-in")
        await stock.update(
            orm.residents,
            "resident_id",
            resident_id,
            {"moved_out_on": on, "updated_at": self.now()},
        )
        await uow.commit()

    async def _live_site(self, stock: StockRepository, municipality: str, site_id: str) -> Row:
        row = await stock.site(municipality, site_id)
        if row is None:
            raise NotFound("No such site")
        if row.retired_at is not None:
            raise Conflict("the site is retired")
        return row

    async def _live_unit(self, stock: StockRepository, municipality: str, unit_id: str) -> Row:
        row = await stock.unit(municipality, unit_id)
        if row is None:
            raise NotFound("No such unit")
        if row.retired_at is not None:
            raise Conflict("the unit is retired")
        return row

    def _check_empty(self, unit_id: str, residents: list[Row]) -> None:
        living = living_on(residents, self.today())
        if living:
            raise Conflict(f"unit {unit_id} still has {len(living)} resident(s) or reservation(s)")

    # === cases ================================================================================
    async def open_case(
        self,
        uow: UnitOfWork,
        municipality: str,
        *,
        patient: PatientDetails,
        hospital_her: str,
        admitted_at: datetime,
        needs: Needs | None = None,
        expected_discharge_on: date | None = None,
    ) -> str:
        """A case opened by an officer, for a stay named by patient, hospital and admission."""
        if not is_valid_person_id(patient.id):
            raise Invalid("the patient id is not a valid fødselsnummer or D-number")
        hospital = self.config.register.organisation(hospital_her)
        if hospital is None or hospital.kind != "hospital":
            raise Invalid(f"{hospital_her} is not a hospital in the address register")
        stay_id = str(
            derive_stay_id(patient.id, hospital.her_id, admitted_at, self.config.stay_secret)
        )
        existing = await CaseRepository(uow.session).by_stay(stay_id)
        if existing is not None:
            raise Conflict("the stay already has a housing case", case_id=existing.case_id)
        stay = await StayRepository(uow.session).get(stay_id)
        if stay is not None and stay.municipality_her not in (None, municipality):
            raise Conflict("the hospital notified another municipality of this stay")
        if stay is not None and (stay.discharged_at is not None or stay.admission_cancelled):
            raise Conflict("the stay has ended (discharged or its admission cancelled)")
        kind = classify(patient.id)
        values = {
            "patient_id": patient.id,
            "patient_id_type": patient.id_type or (kind.value if kind else None),
            "family_name": patient.family_name,
            "given_name": patient.given_name,
            "hospital_her": hospital.her_id,
            "admitted_at": local_to_utc(admitted_at),
            "expected_discharge_on": expected_discharge_on,
        }
        if needs is not None:
            values.update(needs=needs_to_json(needs), needs_recorded_at=self.now())
        case_id = await self._open(uow, stay_id, municipality, values, "officer", self.now())
        await uow.commit()
        return case_id

    async def record_needs(
        self, uow: UnitOfWork, municipality: str, case_id: str, needs: Needs
    ) -> None:
        """Record (or correct) the needs; a reserved or taken place's profile follows them."""
        case = await self._case(uow, municipality, case_id)
        if case.status == CLOSED:
            raise Conflict("the case is closed")
        now = self.now()
        await CaseRepository(uow.session).update(
            case_id, {"needs": needs_to_json(needs), "needs_recorded_at": now, "updated_at": now}
        )
        await uow.session.execute(
            sa.update(orm.residents)
            .where(orm.residents.c.case_id == case_id, orm.residents.c.moved_out_on.is_(None))
            .values(
                active_use=needs.active_use,
                in_recovery=needs.in_recovery,
                heavy_needs=needs.heavy_needs,
                updated_at=now,
            )
        )
        await uow.commit()

    async def change_case(
        self, uow: UnitOfWork, municipality: str, case_id: str, changes: dict[str, Any]
    ) -> None:
        """Change the expected discharge day (the hospital's estimate, as the officer knows it)."""
        case = await self._case(uow, municipality, case_id)
        if case.status == CLOSED:
            raise Conflict("the case is closed")
        allowed = {k: v for k, v in changes.items() if k == "expected_discharge_on"}
        await CaseRepository(uow.session).update(case_id, {**allowed, "updated_at": self.now()})
        await uow.commit()

    async def close_case(
        self, uow: UnitOfWork, municipality: str, case_id: str, reason: str
    ) -> None:
        """Close an open case by hand (e.g. the patient found a home of their own)."""
        case = await self._case(uow, municipality, case_id)
        if case.status == ASSIGNED:
            raise Conflict("the case has an assignment: cancel it or record the move-in")
        if case.status == CLOSED:
            raise Conflict("the case is already closed")
        await self._close(uow, case, reason, self.now())
        await uow.commit()

    async def _case(self, uow: UnitOfWork, municipality: str, case_id: str) -> Row:
        case = await CaseRepository(uow.session).get(municipality, case_id)
        if case is None:
            raise NotFound("No such case")
        return case

    async def _open(
        self,
        uow: UnitOfWork,
        stay_id: str,
        municipality: str,
        values: dict[str, Any],
        opened_by: str,
        at: datetime,
    ) -> str:
        case_id = new_id()
        await CaseRepository(uow.session).insert(
            {
                **values,
                "case_id": case_id,
                "stay_id": stay_id,
                "municipality_her": municipality,
                "status": OPEN,
                "opened_by": opened_by,
                "opened_at": at,
                "updated_at": self.now(),
            }
        )
        await self._publish_opened(uow, stay_id, case_id, municipality, at, opened_by)
        return case_id

    async def _publish_opened(
        self,
        uow: UnitOfWork,
        stay_id: str,
        case_id: str,
        municipality: str,
        at: datetime,
        opened_by: str,
    ) -> None:
        event = HousingCaseOpened(
            stay_id=stay_id,
            case_id=case_id,
            municipality_her=municipality,
            opened_at=at,
            opened_by=opened_by,  # type: ignore[arg-type]
        )
        await uow.publish(event, subject=stay_id)

    async def _close(self, uow: UnitOfWork, case: Row, reason: str, at: datetime) -> None:
        await CaseRepository(uow.session).update(
            case.case_id,
            {"status": CLOSED, "closed_at": at, "close_reason": reason, "updated_at": self.now()},
        )
        await MatchingRepository(uow.session).set_proposals(
            orm.proposals.c.case_id == case.case_id,
            {"status": SUPERSEDED, "reason": f"case closed: {reason}"},
        )

    # === matching =============================================================================
    async def run_matching(
        self, uow_factory: Callable[[], UnitOfWork], municipality: str, ran_by: str
    ) -> str:
        """Match the municipality's open cases to its free units and store the proposals.

        The solver runs outside any transaction (in a worker thread); a decision taken meanwhile
        is safe, as every proposal is checked against the stock again when it is accepted.
        Earlier open proposals of the municipality are superseded by the new run's."""
        today = self.today()
        async with uow_factory() as uow:
            stock = await StockRepository(uow.session).stock(municipality, today)
            rows = await CaseRepository(uow.session).list(municipality, [OPEN])
            stays = await StayRepository(uow.session).many(r.stay_id for r in rows)
        cases: list[HousingCase] = []
        without_needs: list[str] = []
        for row in rows:
            case = case_to_domain(row, stays.get(row.stay_id))
            if case is None:
                without_needs.append(row.case_id)
            else:
                cases.append(case)
        result = await asyncio.to_thread(match, cases, stock, today, self.config.policy)
        run_id, now = new_id(), self.now()
        async with uow_factory() as uow:
            matching = MatchingRepository(uow.session)
            await matching.set_proposals(
                orm.proposals.c.municipality_her == municipality,
                {"status": SUPERSEDED, "reason": f"superseded by run {run_id}"},
            )
            await uow.session.execute(
                sa.insert(orm.matching_runs).values(
                    _run_row(run_id, municipality, now, ran_by, today, result, without_needs)
                )
            )
            by_case = {c.id: c for c in cases}
            for proposal in result.proposals:
                await uow.session.execute(
                    sa.insert(orm.proposals).values(
                        _proposal_row(proposal, run_id, municipality, by_case, now)
                    )
                )
            await uow.commit()
        return run_id

    async def accept(
        self, uow: UnitOfWork, municipality: str, proposal_id: str, move_in: date, by: str
    ) -> tuple[str, str | None]:
        """The officer accepts a proposal: an assignment with its move-in day, `HousingAssigned`
        on housing.v1, and for a discharge-ready patient the answer "can receive from" to the
        hospital. Every hard rule is checked again against today's stock first; a proposal that
        no longer holds is marked stale (409). Returns (assignment id, answer's MsgId or None)."""
        matching = MatchingRepository(uow.session)
        proposal = await matching.proposal(municipality, proposal_id)
        if proposal is None:
            raise NotFound("No such proposal")
        if proposal.status != PROPOSED:
            raise Conflict(f"the proposal is {proposal.status}")
        # Decisions on one case, and on the places of one site, queue up (PostgreSQL locks).
        case = await CaseRepository(uow.session).get(municipality, proposal.case_id, lock=True)
        assert case is not None
        if case.status != OPEN:
            raise Conflict(f"the case is {case.status}")
        today, now = self.today(), self.now()
        if move_in < today:
            raise Invalid("the move-in day cannot be in the past")
        await StockRepository(uow.session).lock_site(proposal.site_id)
        stock = await StockRepository(uow.session).stock(municipality, today)
        stay = await StayRepository(uow.session).get(case.stay_id)
        domain_case = case_to_domain(case, stay)
        failed = await self._recheck(uow, proposal, domain_case, stock)
        if failed:
            raise Conflict("the proposal no longer holds: run the matching again", failed=failed)
        unit = stock.unit(proposal.unit_id)
        available = CostModel(today).available_on(unit)
        if move_in < available:
            raise Invalid(f"the unit can be moved into from {available} only")
        assert domain_case is not None
        assignment_id = new_id()
        needs = domain_case.needs
        await StockRepository(uow.session).insert(
            orm.residents,
            {
                "resident_id": new_id(),
                "unit_id": unit.id,
                "case_id": case.case_id,
                "assignment_id": assignment_id,
                "active_use": needs.active_use,
                "in_recovery": needs.in_recovery,
                "heavy_needs": needs.heavy_needs,
                "created_at": now,
                "updated_at": now,
            },
        )
        friday = move_in.weekday() == 4
        await uow.session.execute(
            sa.insert(orm.assignments).values(
                assignment_id=assignment_id,
                proposal_id=proposal_id,
                case_id=case.case_id,
                stay_id=case.stay_id,
                municipality_her=municipality,
                unit_id=unit.id,
                site_id=unit.site.id,
                move_in=move_in,
                friday_move_in=friday,
                status=ACTIVE,
                decided_at=now,
                decided_by=by,
            )
        )
        await uow.session.execute(
            sa.update(orm.proposals)
            .where(orm.proposals.c.proposal_id == proposal_id)
            .values(status=ACCEPTED, decided_at=now, decided_by=by)
        )
        await matching.set_proposals(
            orm.proposals.c.case_id == case.case_id,
            {"status": SUPERSEDED, "reason": "another proposal for the case was accepted"},
        )
        await CaseRepository(uow.session).update(
            case.case_id, {"status": ASSIGNED, "updated_at": now}
        )
        await uow.publish(
            HousingAssigned(
                stay_id=case.stay_id,
                case_id=case.case_id,
                assignment_id=assignment_id,
                unit_id=unit.id,
                site_id=unit.site.id,
                municipality_her=municipality,
                move_in=move_in,
                decided_at=now,
                friday_move_in=friday,
            ),
            subject=case.stay_id,
        )
        answer_id = None
        if readiness_active(stay):
            assert stay is not None
            more = [f"Botilbud: {kind_name(unit.site.kind)}."] if needs.consent_to_share else []
            answer_id = await self._queue_answer(
                uow, case, stay, assignment_id, MunicipalAnswer(True, ready_from=move_in), more
            )
        await uow.commit()
        return assignment_id, answer_id

    async def _recheck(
        self,
        uow: UnitOfWork,
        proposal: Row,
        case: HousingCase | None,
        stock: Stock,
    ) -> list[dict[str, str]]:
        """The hard rules that fail today for the proposal's pair; the proposal is marked stale
        (in its own commit, before the caller's 409) when any does."""
        if case is None:
            failed = [{"rule": "needs_recorded", "reason": "the case's needs are not recorded"}]
        else:
            try:
                unit = stock.unit(proposal.unit_id)
            except KeyError:
                failed = [{"rule": "unit_in_service", "reason": "the unit is retired"}]
            else:
                results = check(placement(case, unit, stock))
                failed = [{"rule": r.rule, "reason": r.reason} for r in results if not r.passed]
        if failed:
            reason = "; ".join(f"{f['rule']}: {f['reason']}" for f in failed)
            await uow.session.execute(
                sa.update(orm.proposals)
                .where(orm.proposals.c.proposal_id == proposal.proposal_id)
                .values(status=STALE, reason=reason[:2000])
            )
            await uow.commit()
        return failed

    async def reject(
        self, uow: UnitOfWork, municipality: str, proposal_id: str, reason: str, by: str
    ) -> None:
        proposal = await MatchingRepository(uow.session).proposal(municipality, proposal_id)
        if proposal is None:
            raise NotFound("No such proposal")
        if proposal.status != PROPOSED:
            raise Conflict(f"the proposal is {proposal.status}")
        await uow.session.execute(
            sa.update(orm.proposals)
            .where(orm.proposals.c.proposal_id == proposal_id)
            .values(status=REJECTED, reason=reason, decided_at=self.now(), decided_by=by)
        )
        await uow.commit()

    async def cancel_assignment(
        self, uow: UnitOfWork, municipality: str, assignment_id: str, reason: str
    ) -> None:
        """Withdraw an assignment before the move-in: the unit is free again, the case open."""
        assignment = await MatchingRepository(uow.session).assignment(municipality, assignment_id)
        if assignment is None:
            raise NotFound("No such assignment")
        if assignment.status != ACTIVE:
            raise Conflict(f"the assignment is {assignment.status}")
        await self._cancel(uow, assignment, reason, self.now())
        await uow.commit()

    async def _cancel(self, uow: UnitOfWork, assignment: Row, reason: str, at: datetime) -> None:
        await uow.session.execute(
            sa.delete(orm.residents).where(
                orm.residents.c.assignment_id == assignment.assignment_id
            )
        )
        await uow.session.execute(
            sa.update(orm.assignments)
            .where(orm.assignments.c.assignment_id == assignment.assignment_id)
            .values(status=CANCELLED, cancelled_at=at, cancel_reason=reason)
        )
        case = await CaseRepository(uow.session).by_id(assignment.case_id)
        assert case is not None
        if case.status == ASSIGNED:
            await CaseRepository(uow.session).update(
                case.case_id, {"status": OPEN, "updated_at": self.now()}
            )
        await uow.publish(
            HousingAssignmentCancelled(
                stay_id=assignment.stay_id,
                case_id=assignment.case_id,
                assignment_id=assignment.assignment_id,
                cancelled_at=at,
                reason=reason,
                unit_id=assignment.unit_id,
                site_id=assignment.site_id,
                municipality_her=assignment.municipality_her,
            ),
            subject=assignment.stay_id,
        )
        # The hospital was told "can receive": it must now hear that the place is gone.
        told = await OutboundRepository(uow.session).for_assignment(assignment.assignment_id)
        stay = await StayRepository(uow.session).get(assignment.stay_id)
        if told and readiness_active(stay):
            assert stay is not None
            await self._queue_answer(
                uow,
                case,
                stay,
                assignment.assignment_id,
                MunicipalAnswer(False),
                ["Tildelt bolig er trukket tilbake; kommunen kommer tilbake med nytt svar."],
                parent_msg_id=told[-1].msg_id,
            )

    # === the answer to the hospital ===========================================================
    async def _queue_answer(
        self,
        uow: UnitOfWork,
        case: Row,
        stay: Row,
        assignment_id: str,
        answer: MunicipalAnswer,
        more_lines: list[str],
        parent_msg_id: str | None = None,
    ) -> str:
        """Write the answer's XML to the outbound table, in the caller's transaction."""
        register = self.config.register
        municipality = register.get(case.municipality_her)
        hospital_her = stay.hospital_her or case.hospital_her
        hospital = register.organisation(hospital_her)
        msg_id, now = new_id(), self.now()
        conversation = stay.ready_conversation_id or stay.ready_msg_id
        address = AnswerAddress(
            municipality=Party(
                her_id=case.municipality_her,
                name=municipality.name if municipality else f"Kommune {case.municipality_her}",
                service_her_id=stay.municipality_unit_her,
                service_name=stay.municipality_unit_name,
            ),
            hospital=Party(
                her_id=hospital.her_id if hospital else hospital_her,
                name=(hospital.name if hospital else None) or stay.hospital_name or hospital_her,
                service_her_id=stay.hospital_unit_her,
                service_name=stay.hospital_unit_name,
            ),
            patient=PatientIdentity(
                id=case.patient_id,
                id_type=case.patient_id_type,
                family_name=case.family_name,
                given_name=case.given_name,
            ),
            notice_msg_id=stay.ready_msg_id,
            conversation_id=conversation,
        )
        body = build_answer(
            answer,
            address,
            msg_id=msg_id,
            gen_date=to_local_naive(now),
            parent_msg_id=parent_msg_id,
            more_lines=more_lines,
            schema=self.config.schema,
        )
        await OutboundRepository(uow.session).insert(
            {
                "msg_id": msg_id,
                "kind": "discharge_ready_answer",
                "case_id": case.case_id,
                "stay_id": case.stay_id,
                "assignment_id": assignment_id,
                "conversation_id": conversation,
                "municipality_her": case.municipality_her,
                "receiver_her": address.hospital.her_id,
                "receiver_unit_her": stay.hospital_unit_her,
                "answer_line": answer.first_line,
                "body": body,
                "created_at": now,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
            }
        )
        self.answer_queued()
        return msg_id

    # === events from admission.v1 and discharge.v1 ============================================
    async def apply_event(self, uow: UnitOfWork, envelope: Envelope) -> None:
        """Apply one consumed event (the consumer commits it with its processed-event id).

        Events of admission.v1 and discharge.v1 may arrive in any order relative to each other:
        each one updates the stay's facts, and cases read readiness from there."""
        try:
            data = parse_data(envelope)
        except UnknownEventType:
            return
        handlers: dict[type[EventData], Callable[[UnitOfWork, Any], Awaitable[None]]] = {
            AdmissionNotified: self._on_admission,
            AdmissionChanged: self._on_admission,
            AdmissionCancelled: self._on_admission_cancelled,
            DischargeReadyNotified: self._on_ready,
            DischargeReadyWithdrawn: self._on_withdrawn,
            DischargeMessageCancelled: self._on_message_cancelled,
            DischargeMessageMoved: self._on_message_moved,
            PatientDischarged: self._on_discharged,
        }
        handler = handlers.get(type(data))
        if handler is not None:
            await handler(uow, data)

    async def _on_admission(self, uow: UnitOfWork, data: AdmissionNotified) -> None:
        stays = StayRepository(uow.session)
        known = await stays.get(data.stay_id)
        values: dict[str, Any] = {
            "municipality_her": self.organisation(data.municipality.her_id),
            "hospital_her": self.organisation(data.hospital.her_id),
            "hospital_name": data.hospital.name,
            "admitted_at": data.admitted_at,
            "without_fixed_home": data.without_fixed_home,
            "admission_msg_id": data.message.msg_id,
            "admission_cancelled": False,
        }
        if known is None or known.ready_msg_id is None:
            # The § 10 notice names the units of the readiness conversation; it wins.
            values.update(
                hospital_unit_her=data.hospital.unit_her_id,
                hospital_unit_name=data.hospital.unit_name,
                municipality_unit_her=data.municipality.unit_her_id,
                municipality_unit_name=data.municipality.unit_name,
            )
        stay = await stays.save(data.stay_id, values, self.now())
        patient = {
            "patient_id": data.patient.id,
            "patient_id_type": data.patient.id_type,
            "family_name": data.patient.family_name,
            "given_name": data.patient.given_name,
            "hospital_her": stay.hospital_her,
            "admitted_at": data.admitted_at,
        }
        cases = CaseRepository(uow.session)
        case = await cases.by_stay(data.stay_id)
        at = instant_utc(data.message.received_at)
        if case is None:
            if not data.without_fixed_home:
                return
            await self._open(uow, data.stay_id, stay.municipality_her, patient, "admission", at)
            if stay.discharged_at is not None:  # the discharge came first (another topic)
                case = await cases.by_stay(data.stay_id)
                assert case is not None
                await self._close(uow, case, "discharged", stored_utc(stay.discharged_at))  # type: ignore[arg-type]
            return
        await cases.update(case.case_id, {**patient, "updated_at": self.now()})
        reannounced = case.status == CLOSED and case.close_reason == "admission_cancelled"
        if reannounced and data.without_fixed_home:  # announced again after a cancellation
            await cases.update(
                case.case_id, {"status": OPEN, "closed_at": None, "close_reason": None}
            )
            await self._publish_opened(
                uow, case.stay_id, case.case_id, case.municipality_her, at, "admission"
            )

    async def _on_admission_cancelled(self, uow: UnitOfWork, data: AdmissionCancelled) -> None:
        await StayRepository(uow.session).save(
            data.stay_id, {"admission_cancelled": True}, self.now()
        )
        case = await CaseRepository(uow.session).by_stay(data.stay_id)
        if case is None or case.status == CLOSED:
            return
        at = instant_utc(data.message.received_at)
        assignment = await MatchingRepository(uow.session).active_assignment(case.case_id)
        if assignment is not None:
            await self._cancel(uow, assignment, "the admission was cancelled", at)
        case = await CaseRepository(uow.session).by_id(case.case_id)
        assert case is not None
        await self._close(uow, case, "admission_cancelled", at)

    async def _on_ready(self, uow: UnitOfWork, data: DischargeReadyNotified) -> None:
        stays = StayRepository(uow.session)
        known = await stays.get(data.stay_id)
        notice_at = instant_utc(data.message.gen_date)
        values: dict[str, Any] = {
            "ready_on": max(oslo_date(notice_at), data.ready_on),
            "ready_notice_at": notice_at,
            "ready_msg_id": data.message.msg_id,
            "ready_conversation_id": data.message.conversation_id,
            "ready_withdrawn_at": None,
            "hospital_unit_her": data.stay.hospital.unit_her_id,
            "hospital_unit_name": data.stay.hospital.unit_name,
            "municipality_unit_her": data.stay.municipality.unit_her_id,
            "municipality_unit_name": data.stay.municipality.unit_name,
        }
        if known is None or known.admission_msg_id is None:
            values.update(
                municipality_her=self.organisation(data.stay.municipality.her_id),
                hospital_her=self.organisation(data.stay.hospital.her_id),
                hospital_name=data.stay.hospital.name,
                admitted_at=data.stay.admitted_at,
            )
        stay = await stays.save(data.stay_id, values, self.now())
        case = await CaseRepository(uow.session).by_stay(data.stay_id)
        if case is None or case.status != ASSIGNED:
            return
        # A place was assigned before the notice: answer it at once.
        assignment = await MatchingRepository(uow.session).active_assignment(case.case_id)
        if assignment is None or await self._answered(uow, assignment, stay):
            return
        ready_from = max(assignment.move_in, oslo_date(notice_at))
        await self._queue_answer(
            uow,
            case,
            stay,
            assignment.assignment_id,
            MunicipalAnswer(True, ready_from=ready_from),
            [],
        )

    async def _answered(self, uow: UnitOfWork, assignment: Row, stay: Row) -> bool:
        told = await OutboundRepository(uow.session).for_assignment(assignment.assignment_id)
        return any(m.conversation_id == stay.ready_conversation_id for m in told)

    async def _on_withdrawn(self, uow: UnitOfWork, data: DischargeReadyWithdrawn) -> None:
        await StayRepository(uow.session).save(
            data.stay_id,
            {"ready_on": None, "ready_withdrawn_at": instant_utc(data.withdrawn_at)},
            self.now(),
        )

    async def _on_message_cancelled(self, uow: UnitOfWork, data: DischargeMessageCancelled) -> None:
        stays = StayRepository(uow.session)
        stay = await stays.get(data.stay_id)
        if stay is None:
            return
        if data.cancels_msg_id == stay.ready_msg_id:
            await stays.save(data.stay_id, {"ready_on": None}, self.now())
        elif data.cancelled_type == "LOG_UTSKREVET" and stay.discharged_at is not None:
            await stays.save(data.stay_id, {"discharged_at": None}, self.now())
            case = await CaseRepository(uow.session).by_stay(data.stay_id)
            if case is not None and case.close_reason == "discharged":
                active = await MatchingRepository(uow.session).active_assignment(case.case_id)
                await CaseRepository(uow.session).update(
                    case.case_id,
                    {
                        "status": ASSIGNED if active else OPEN,
                        "closed_at": None,
                        "close_reason": None,
                    },
                )

    async def _on_message_moved(self, uow: UnitOfWork, data: DischargeMessageMoved) -> None:
        """A readiness notice told for a stay it did not belong to is void there."""
        stays = StayRepository(uow.session)
        stay = await stays.get(data.stay_id)
        if stay is not None and data.msg_id == stay.ready_msg_id:
            await stays.save(data.stay_id, {"ready_on": None}, self.now())

    async def _on_discharged(self, uow: UnitOfWork, data: PatientDischarged) -> None:
        at = instant_utc(data.discharged_at)
        await StayRepository(uow.session).save(data.stay_id, {"discharged_at": at}, self.now())
        case = await CaseRepository(uow.session).by_stay(data.stay_id)
        if case is not None and case.status != CLOSED:
            await self._close(uow, case, "discharged", at)


def _rules(base: SiteRules, tighten: dict[str, Any], *, floor: bool = False) -> SiteRules:
    """`base` with `tighten` applied. A new site may only tighten its kind's rules; a changed
    site (`floor`) may relax its own earlier tightening, never below its kind."""
    try:
        if floor:
            kind_floor = SiteRules.for_kind(base.kind)
            changed = SiteRules(**{**rules_to_json(base), **tighten, "kind": base.kind})
            changed.check_at_least(kind_floor)
            return changed
        return base.tightened(**tighten)
    except LooserThanKindError as exc:
        raise Invalid(str(exc)) from exc


def _run_row(
    run_id: str,
    municipality: str,
    now: datetime,
    ran_by: str,
    today: date,
    result: MatchResult,
    without_needs: list[str],
) -> dict[str, Any]:
    stats = result.stats
    return {
        "run_id": run_id,
        "municipality_her": municipality,
        "ran_at": now,
        "ran_by": ran_by,
        "today": today,
        "status": result.status.value,
        "pruned": result.pruned,
        "cases": stats.cases,
        "units_offered": stats.units_offered,
        "proposals": len(result.proposals),
        "unmatched": list(result.unmatched),
        "excluded": list(result.excluded),
        "without_needs": without_needs,
        "cost_if_unmatched": result.cost_if_unmatched,
        "total_cost": result.total_cost,
        "notes": list(result.notes),
        "stats": {
            "feasible_pairs": stats.feasible_pairs,
            "candidate_pairs": stats.candidate_pairs,
            "components": stats.components,
            "solver_components": stats.solver_components,
            "build_seconds": round(stats.build_seconds, 4),
            "solve_seconds": round(stats.solve_seconds, 4),
        },
    }


def _proposal_row(
    p: Proposal,
    run_id: str,
    municipality: str,
    cases: dict[str, HousingCase],
    now: datetime,
) -> dict[str, Any]:
    return {
        "proposal_id": new_id(),
        "run_id": run_id,
        "municipality_her": municipality,
        "case_id": p.case_id,
        "stay_id": cases[p.case_id].stay_id,
        "unit_id": p.unit_id,
        "site_id": p.site_id,
        "move_in": p.move_in,
        "cost_saved": p.cost_saved,
        "clock_days_saved": p.clock_days_saved,
        "clock_days_until_move_in": p.clock_days_until_move_in,
        "rules_checked": [
            {"rule": r.rule, "passed": r.passed, "reason": r.reason} for r in p.rules_checked
        ],
        "explanation": p.explanation,
        "friday_move_in": p.friday_move_in,
        "wish_met": p.wish_met,
        "information_sharing": p.information_sharing.value,
        "status": PROPOSED,
        "created_at": now,
    }


def clock_days(start: date | None, stop: date | None, today: date) -> int:
    """Days on the clock from `start` to today, today included, stopped (not counting) at `stop`."""
    if start is None or start > today:
        return 0
    end = today + timedelta(days=1) if stop is None else min(stop, today + timedelta(days=1))
    return max(0, (end - start).days)
