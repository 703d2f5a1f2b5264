"""housing-match over HTTP: the housing office's API (stock, cases, matching, decisions, answers).

Every endpoint needs a municipality's bearer token and acts for that municipality only (the HER-id
the address register maps the token to): another municipality's sites, cases or proposals are a
404. A hospital's token gets a 403. The development token (embedded default only) names the
municipality with `?municipality=<HER-id>`. Every view and decision that shows patient data is
written to the audit log, one entry per stay shown.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from housing_match import queries
from housing_match.adapters import orm
from housing_match.adapters.outbound import AnswerSender
from housing_match.adapters.repository import MatchingRepository, OutboundRepository, Row
from housing_match.entrypoints.views import (
    AcceptedView,
    AcceptRequest,
    AssignmentView,
    CaseChange,
    CaseCreate,
    CaseSummary,
    CaseView,
    Created,
    MoveIn,
    MoveOut,
    NeedsModel,
    OutboundSummary,
    OutboundView,
    ProposalView,
    Reason,
    RunView,
    SiteChange,
    SiteCreate,
    SiteView,
    UnitChange,
    UnitCreate,
    UnitView,
    assignment_view,
    outbound_summary,
)
from housing_match.office import add_office_consumer, include_office
from housing_match.service import (
    Conflict,
    HousingOffice,
    Invalid,
    NotFound,
    OfficeConfig,
    PatientDetails,
)
from housing_match.settings import Settings
from hub_shared.audit import record_access
from hub_shared.auth import Caller
from hub_shared.db.uow import UnitOfWork
from hub_shared.events import topics
from hub_shared.http import CurrentCaller, ServiceState, create_service_app, problem
from hub_shared.runtime import ServiceRuntime
from hub_shared.timeutil import utc_now

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"
SOURCE = "/hub/housing-match"
CONSUMED_TOPICS = (topics.ADMISSION, topics.DISCHARGE)


@dataclass
class HousingRuntime(ServiceRuntime):
    """The runtime with the answer sender beside the outbox relay and the consumer."""

    sender: AnswerSender | None = None
    deliver: bool = True

    async def start(self) -> None:
        await super().start()
        if self.deliver and self.sender is not None:
            task = asyncio.create_task(self.sender.run(self._stop), name="answer-sender")
            self._tasks.append(task)

    async def stop(self) -> None:
        await super().stop()
        if self.sender is not None:
            await self.sender.close()


class Forbidden(Exception):
    pass


def create_app(
    settings: Settings | None = None,
    *,
    background: bool = True,
    deliver: bool | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> FastAPI:
    """The housing-match app.

    `background=False` runs neither the outbox relay nor the consumer (tests feed the consumer
    themselves); `deliver` runs the answer sender (default: as `background`); `clock` is "now"
    for the office (tests fix it; the sender's retry schedule always uses the real time)."""
    settings = settings or Settings()
    built: dict[str, HousingOffice] = {}

    def runtime_factory(s: Settings) -> ServiceRuntime:
        runtime = HousingRuntime(
            settings=s,
            outbox_table=orm.outbox,
            deliver=background if deliver is None else deliver,
        )
        runtime.run_background = background
        office = HousingOffice(OfficeConfig.from_settings(s), clock=clock)
        runtime.add_consumer(
            name=s.consumer_group,
            topics=CONSUMED_TOPICS,
            handler=office.apply_event,
            processed=orm.processed_events,
            source=SOURCE,
        )
        add_office_consumer(runtime, s, clock=clock)  # the office pages' feed
        built["office"] = office
        return runtime

    def on_start(state: ServiceState) -> None:
        office = built["office"]
        runtime = state.runtime
        assert isinstance(runtime, HousingRuntime)
        runtime.sender = AnswerSender(
            lambda: runtime.uow(source=SOURCE),
            state.register,
            settings,
            schema=office.config.schema,
        )
        office.answer_queued = runtime.sender.wake
        state.extras.update(office=office, sender=runtime.sender)

    app = create_service_app(
        title="housing-match",
        settings=settings,
        build_runtime=runtime_factory,  # type: ignore[arg-type]
        migrations_dir=MIGRATIONS,
        on_start=on_start,
    )
    _problems(app)
    _stock_routes(app)
    _case_routes(app)
    _matching_routes(app)
    _answer_routes(app)
    include_office(app)  # the housing office's pages at /office/
    return app


# --- plumbing ---------------------------------------------------------------------------------
def _office(request: Request) -> HousingOffice:
    return request.app.state.hub.extras["office"]


def _uow(request: Request) -> UnitOfWork:
    return request.app.state.hub.runtime.uow(source=SOURCE)


async def municipality_of(
    caller: CurrentCaller,
    municipality: Annotated[
        str | None, Query(description="Only with the development token: the municipality")
    ] = None,
) -> str:
    """The municipality the caller acts for: its own HER-id."""
    if caller.is_dev:
        if not municipality:
            raise Invalid("the development token acts for no one: add ?municipality=<HER-id>")
        return municipality
    if caller.kind != "municipality" or caller.her_id is None:
        raise Forbidden("Only a municipality's housing office uses this API")
    if municipality not in (None, caller.her_id):
        raise Forbidden(f"Party {caller.her_id} acts only for itself")
    return caller.her_id


Municipality = Annotated[str, Depends(municipality_of)]


@dataclass(frozen=True)
class OfficeScope:
    """What an endpoint acts with: the housing office, the caller, and the municipality the caller
    acts for (`municipality_of`: anyone else is a 403). The queries take the municipality, so
    another municipality's sites, cases or proposals are not found: a 404 (`_found`)."""

    office: HousingOffice
    caller: Caller
    municipality: str
    request: Request

    def uow(self) -> UnitOfWork:
        """A new unit of work: `async with scope.uow() as uow:`."""
        return _uow(self.request)

    async def audit_and_commit(
        self, uow: UnitOfWork, action: str, stay_ids: Iterable[str], detail: str = ""
    ) -> None:
        """One audit entry per stay shown (or one without a stay when none is), then commit."""
        shown = list(dict.fromkeys(stay_ids))
        for stay_id in shown or [None]:
            await record_access(
                uow.session, orm.audit_log, self.caller, action, stay_id=stay_id, detail=detail
            )
        await uow.commit()


async def office_scope(
    request: Request, caller: CurrentCaller, municipality: Municipality
) -> OfficeScope:
    return OfficeScope(_office(request), caller, municipality, request)


Scope = Annotated[OfficeScope, Depends(office_scope)]

T = TypeVar("T")


def _found(value: T | None, missing: str) -> T:
    """`value`, or a 404 saying `missing` when the municipality has no such thing."""
    if value is None:
        raise NotFound(missing)
    return value


def _problems(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, "Not Found", str(exc))

    @app.exception_handler(Conflict)
    async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
        response = problem(409, "Conflict", str(exc))
        if exc.extra:
            body: dict[str, Any] = {**_body(response), **exc.extra}
            return JSONResponse(body, 409, media_type="application/problem+json")
        return response

    @app.exception_handler(Invalid)
    async def invalid(_request: Request, exc: Invalid) -> JSONResponse:
        return problem(422, "Unprocessable Content", str(exc))

    @app.exception_handler(Forbidden)
    async def forbidden(_request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "Forbidden", str(exc))


def _body(response: JSONResponse) -> dict[str, Any]:
    return json.loads(response.body)


def _needs(model: NeedsModel) -> Any:
    try:
        return model.to_domain()
    except ValueError as exc:
        raise Invalid(str(exc)) from exc


# --- stock ------------------------------------------------------------------------------------
def _stock_routes(app: FastAPI) -> None:
    @app.post("/v1/sites", response_model=SiteView, status_code=201, tags=["stock"])
    async def register_site(body: SiteCreate, response: Response, scope: Scope) -> SiteView:
        """Register a site (a house, address or institution) of one of the five kinds. Its
        rules are the kind's (HOUSING.md), tightened by `rules`; a looser rule is a 422."""
        async with scope.uow() as uow:
            site_id = await scope.office.register_site(
                uow,
                scope.municipality,
                name=body.name,
                district=body.district,
                kind=body.kind,
                tighten=body.rules.given(),
            )
            view = await _site(scope, uow, site_id)
        response.headers["Location"] = f"/v1/sites/{site_id}"
        assert view is not None
        return view

    @app.get("/v1/sites", response_model=list[SiteView], tags=["stock"])
    async def list_sites(scope: Scope, retired: bool = False) -> list[SiteView]:
        """The municipality's sites with their rules, units and free places."""
        async with scope.uow() as uow:
            return await queries.site_views(
                uow.session, scope.municipality, scope.office.today(), retired=retired
            )

    @app.get("/v1/sites/{site_id}", response_model=SiteView, tags=["stock"])
    async def get_site(site_id: str, scope: Scope) -> SiteView:
        async with scope.uow() as uow:
            view = await _site(scope, uow, site_id)
        return _found(view, "No such site")

    @app.patch("/v1/sites/{site_id}", response_model=SiteView, tags=["stock"])
    async def change_site(site_id: str, body: SiteChange, scope: Scope) -> SiteView:
        """Rename a site, move it to another district, or change its rules (never below its
        kind's). Existing residents stay; new proposals follow the new rules."""
        async with scope.uow() as uow:
            await scope.office.change_site(
                uow,
                scope.municipality,
                site_id,
                name=body.name,
                district=body.district,
                tighten=body.rules.given() if body.rules is not None else None,
            )
            view = await _site(scope, uow, site_id)
        assert view is not None
        return view

    @app.post("/v1/sites/{site_id}/retire", response_model=SiteView, tags=["stock"])
    async def retire_site(site_id: str, scope: Scope) -> SiteView:
        """Take the site and its units out of service (409 while anyone lives there)."""
        async with scope.uow() as uow:
            await scope.office.retire_site(uow, scope.municipality, site_id)
            view = await _site(scope, uow, site_id)
        assert view is not None
        return view

    @app.post("/v1/sites/{site_id}/units", response_model=UnitView, status_code=201, tags=["stock"])
    async def add_unit(
        site_id: str, body: UnitCreate, response: Response, scope: Scope
    ) -> UnitView:
        """Add a unit (flat, bedsit, room or bed) to a site; 409 past the site's max_units."""
        async with scope.uow() as uow:
            unit_id = await scope.office.add_unit(
                uow,
                scope.municipality,
                site_id,
                label=body.label,
                capacity=body.capacity,
                available_from=body.available_from,
            )
            view = await _unit(scope, uow, unit_id)
        response.headers["Location"] = f"/v1/units/{unit_id}"
        assert view is not None
        return view

    @app.get("/v1/units", response_model=list[UnitView], tags=["stock"])
    async def list_units(scope: Scope, free: bool = False) -> list[UnitView]:
        """Units in service; `?free=true`: only those with a place free now or later (the
        earliest first)."""
        async with scope.uow() as uow:
            return await queries.unit_views(
                uow.session, scope.municipality, scope.office.today(), free_only=free
            )

    @app.get("/v1/units/{unit_id}", response_model=UnitView, tags=["stock"])
    async def get_unit(unit_id: str, scope: Scope) -> UnitView:
        """A unit with its residents and reserved places (audited: residents' profiles)."""
        async with scope.uow() as uow:
            view = _found(await _unit(scope, uow, unit_id), "No such unit")
            stays = await _stays_of_cases(uow, [r.case_id for r in view.residents or []])
            await scope.audit_and_commit(uow, "view unit residents", stays, detail=unit_id)
        return view

    @app.patch("/v1/units/{unit_id}", response_model=UnitView, tags=["stock"])
    async def change_unit(unit_id: str, body: UnitChange, scope: Scope) -> UnitView:
        async with scope.uow() as uow:
            await scope.office.change_unit(uow, scope.municipality, unit_id, body.given())
            view = await _unit(scope, uow, unit_id)
        assert view is not None
        view.residents = None
        return view

    @app.post("/v1/units/{unit_id}/retire", response_model=UnitView, tags=["stock"])
    async def retire_unit(unit_id: str, scope: Scope) -> UnitView:
        """Take a unit out of service (409 while anyone lives there or holds a place)."""
        async with scope.uow() as uow:
            await scope.office.retire_unit(uow, scope.municipality, unit_id)
            view = await _unit(scope, uow, unit_id)
        assert view is not None
        view.residents = None
        return view

    @app.post(
        "/v1/units/{unit_id}/move-ins", response_model=Created, status_code=201, tags=["stock"]
    )
    async def move_in(unit_id: str, body: MoveIn, scope: Scope) -> Created:
        """Record a move-in: the person of an assignment (`assignment_id`; the case is then
        closed as housed), or a tenant housed outside the hub with the profile the site rules
        look at. Returns the resident id."""
        async with scope.uow() as uow:
            resident_id = await scope.office.move_in(
                uow,
                scope.municipality,
                unit_id,
                on=body.on,
                assignment_id=body.assignment_id,
                profile=None if body.assignment_id else body.profile(),
            )
            if body.assignment_id:
                stays = await _stays_of_assignments(uow, [body.assignment_id])
                await scope.audit_and_commit(uow, "record move-in", stays, detail=unit_id)
        return Created(id=resident_id)

    @app.post(
        "/v1/units/{unit_id}/residents/{resident_id}/move-out",
        status_code=204,
        tags=["stock"],
    )
    async def move_out(unit_id: str, resident_id: str, body: MoveOut, scope: Scope) -> Response:
        """Record a move-out, done or planned: the place is free from `on`."""
        async with scope.uow() as uow:
            await scope.office.move_out(uow, scope.municipality, unit_id, resident_id, body.on)
        return Response(status_code=204)


async def _site(scope: OfficeScope, uow: UnitOfWork, site_id: str) -> SiteView | None:
    return await queries.site_view(uow.session, scope.municipality, site_id, scope.office.today())


async def _unit(scope: OfficeScope, uow: UnitOfWork, unit_id: str) -> UnitView | None:
    return await queries.unit_view(uow.session, scope.municipality, unit_id, scope.office.today())


async def _stays_of_cases(uow: UnitOfWork, case_ids: Iterable[str | None]) -> list[str]:
    ids = [c for c in case_ids if c]
    if not ids:
        return []
    query = sa.select(orm.cases.c.stay_id).where(orm.cases.c.case_id.in_(ids))
    return list((await uow.session.execute(query)).scalars())


async def _stays_of_assignments(uow: UnitOfWork, assignment_ids: list[str]) -> list[str]:
    query = sa.select(orm.assignments.c.stay_id).where(
        orm.assignments.c.assignment_id.in_(assignment_ids)
    )
    return list((await uow.session.execute(query)).scalars())


# --- cases ------------------------------------------------------------------------------------
def _case_routes(app: FastAPI) -> None:
    @app.post("/v1/cases", response_model=CaseView, status_code=201, tags=["cases"])
    async def open_case(body: CaseCreate, response: Response, scope: Scope) -> CaseView:
        """Open a case by hand for a stay (the patient's number, the hospital's HER-id and the
        admission time give the stay). Emits `HousingCaseOpened` (opened_by "officer"); 409 when
        the stay has a case already."""
        needs = _needs(body.needs) if body.needs is not None else None
        async with scope.uow() as uow:
            case_id = await scope.office.open_case(
                uow,
                scope.municipality,
                patient=PatientDetails(**body.patient.model_dump()),
                hospital_her=body.hospital_her,
                admitted_at=body.admitted_at,
                needs=needs,
                expected_discharge_on=body.expected_discharge_on,
            )
            return await _case_response(scope, uow, case_id, "open case")

    @app.get("/v1/cases", response_model=list[CaseSummary], tags=["cases"])
    async def list_cases(
        scope: Scope,
        status: Annotated[str, Query(pattern="^(open|assigned|closed|active|all)$")] = "active",
    ) -> list[CaseSummary]:
        """The office's cases, most urgent first: the clock running (most days first), then a
        discharge expected, then undated. `status`: active (open and assigned, the default),
        open, assigned, closed or all. Audited."""
        statuses = {"active": ["open", "assigned"], "all": None}.get(status, [status])
        async with scope.uow() as uow:
            found = await queries.case_summaries(
                uow.session, scope.municipality, statuses, scope.office.today()
            )
            await scope.audit_and_commit(uow, "list cases", (c.stay_id for c in found))
        return found

    @app.get("/v1/cases/{case_id}", response_model=CaseView, tags=["cases"])
    async def get_case(case_id: str, scope: Scope) -> CaseView:
        """A case with the patient, needs, urgency and clock, its proposals, assignments and
        the answers sent to the hospital with their AppRec (a rejected one with its errors)."""
        async with scope.uow() as uow:
            return await _case_response(scope, uow, case_id, "view case")

    @app.put("/v1/cases/{case_id}/needs", response_model=CaseView, tags=["cases"])
    async def record_needs(case_id: str, body: NeedsModel, scope: Scope) -> CaseView:
        """Record the needs (all of them, replacing the earlier record). Only cases with needs
        take part in matching."""
        needs = _needs(body)
        async with scope.uow() as uow:
            await scope.office.record_needs(uow, scope.municipality, case_id, needs)
            return await _case_response(scope, uow, case_id, "record needs")

    @app.patch("/v1/cases/{case_id}", response_model=CaseView, tags=["cases"])
    async def change_case(case_id: str, body: CaseChange, scope: Scope) -> CaseView:
        """Set the expected discharge day (the hospital's estimate as the office knows it)."""
        async with scope.uow() as uow:
            await scope.office.change_case(uow, scope.municipality, case_id, body.given())
            return await _case_response(scope, uow, case_id, "change case")

    @app.post("/v1/cases/{case_id}/close", response_model=CaseView, tags=["cases"])
    async def close_case(case_id: str, body: Reason, scope: Scope) -> CaseView:
        """Close an open case by hand, with the reason (409 while it has an assignment)."""
        async with scope.uow() as uow:
            await scope.office.close_case(uow, scope.municipality, case_id, body.reason)
            return await _case_response(scope, uow, case_id, "close case")


async def _case_response(
    scope: OfficeScope, uow: UnitOfWork, case_id: str, action: str
) -> CaseView:
    today = scope.office.today()
    view = _found(
        await queries.case_view(uow.session, scope.municipality, case_id, today), "No such case"
    )
    await scope.audit_and_commit(uow, action, [view.stay_id], detail=case_id)
    return view


# --- matching and decisions -------------------------------------------------------------------
def _matching_routes(app: FastAPI) -> None:
    @app.post("/v1/matching/run", response_model=RunView, status_code=201, tags=["matching"])
    async def run_matching(response: Response, scope: Scope) -> RunView:
        """Match the open cases (with needs recorded) to the free units: every hard rule holds,
        and the clock cost is least. Stores and returns the explained proposals; earlier open
        proposals are superseded."""
        run_id = await scope.office.run_matching(
            scope.uow, scope.municipality, scope.caller.audit_name
        )
        async with scope.uow() as uow:
            view = await _run(scope, uow, run_id)
            assert view is not None
            await scope.audit_and_commit(
                uow, "run matching", (p.stay_id for p in view.proposals), run_id
            )
        response.headers["Location"] = f"/v1/matching/runs/{run_id}"
        return view

    @app.get("/v1/matching/runs/{run_id}", response_model=RunView, tags=["matching"])
    async def get_run(run_id: str, scope: Scope) -> RunView:
        async with scope.uow() as uow:
            view = _found(await _run(scope, uow, run_id), "No such matching run")
            await scope.audit_and_commit(
                uow, "view matching run", (p.stay_id for p in view.proposals)
            )
        return view

    @app.get("/v1/proposals", response_model=list[ProposalView], tags=["matching"])
    async def list_proposals(
        scope: Scope,
        status: Annotated[
            str, Query(pattern="^(proposed|accepted|rejected|superseded|stale|all)$")
        ] = "proposed",
    ) -> list[ProposalView]:
        """Proposals (default: those awaiting a decision), each with the unit, every hard rule
        checked and why it held, and the cost saved."""
        async with scope.uow() as uow:
            found = await queries.proposal_views(
                uow.session, scope.municipality, statuses=None if status == "all" else [status]
            )
            await scope.audit_and_commit(uow, "list proposals", (p.stay_id for p in found))
        return found

    @app.get("/v1/proposals/{proposal_id}", response_model=ProposalView, tags=["matching"])
    async def get_proposal(proposal_id: str, scope: Scope) -> ProposalView:
        async with scope.uow() as uow:
            view = _found(await _proposal(scope, uow, proposal_id), "No such proposal")
            await scope.audit_and_commit(uow, "view proposal", [view.stay_id], proposal_id)
        return view

    @app.post(
        "/v1/proposals/{proposal_id}/accept",
        response_model=AcceptedView,
        status_code=201,
        tags=["matching"],
    )
    async def accept(proposal_id: str, body: AcceptRequest, scope: Scope) -> AcceptedView:
        """Accept a proposal with the move-in day: an assignment, `HousingAssigned` on
        housing.v1 (a Friday move-in flagged), and for a discharge-ready patient the answer
        "KAN-MOTTA: <day>" to the hospital, delivered in the background until its AppRec comes
        back. 409 when the proposal was decided or no longer holds (the failing rules listed)."""
        async with scope.uow() as uow:
            assignment_id, answer_id = await scope.office.accept(
                uow, scope.municipality, proposal_id, body.move_in, scope.caller.audit_name
            )
            return await _accepted(scope, uow, assignment_id, answer_id)

    @app.post("/v1/proposals/{proposal_id}/reject", response_model=ProposalView, tags=["matching"])
    async def reject(proposal_id: str, body: Reason, scope: Scope) -> ProposalView:
        """Reject a proposal, with the reason."""
        async with scope.uow() as uow:
            await scope.office.reject(
                uow, scope.municipality, proposal_id, body.reason, scope.caller.audit_name
            )
            view = await _proposal(scope, uow, proposal_id)
            assert view is not None
            await scope.audit_and_commit(uow, "reject proposal", [view.stay_id], proposal_id)
        return view

    @app.get("/v1/assignments", response_model=list[AssignmentView], tags=["matching"])
    async def list_assignments(
        scope: Scope,
        status: Annotated[str, Query(pattern="^(active|moved_in|cancelled|all)$")] = "active",
    ) -> list[AssignmentView]:
        async with scope.uow() as uow:
            rows = await MatchingRepository(uow.session).assignments(
                scope.municipality, statuses=None if status == "all" else [status]
            )
            await scope.audit_and_commit(uow, "list assignments", (r.stay_id for r in rows))
        return [assignment_view(r) for r in rows]

    @app.get("/v1/assignments/{assignment_id}", response_model=AssignmentView, tags=["matching"])
    async def get_assignment(assignment_id: str, scope: Scope) -> AssignmentView:
        async with scope.uow() as uow:
            row = _found(await _assignment(scope, uow, assignment_id), "No such assignment")
            await scope.audit_and_commit(uow, "view assignment", [row.stay_id], assignment_id)
        return assignment_view(row)

    @app.post(
        "/v1/assignments/{assignment_id}/cancel", response_model=AssignmentView, tags=["matching"]
    )
    async def cancel_assignment(assignment_id: str, body: Reason, scope: Scope) -> AssignmentView:
        """Withdraw an assignment before the move-in: the unit is free again, the case open,
        `HousingAssignmentCancelled` on housing.v1; a hospital that was told "can receive"
        gets "KAN-IKKE-MOTTA"."""
        async with scope.uow() as uow:
            await scope.office.cancel_assignment(
                uow, scope.municipality, assignment_id, body.reason
            )
            row = await _assignment(scope, uow, assignment_id)
            assert row is not None
            await scope.audit_and_commit(uow, "cancel assignment", [row.stay_id], assignment_id)
        return assignment_view(row)


async def _run(scope: OfficeScope, uow: UnitOfWork, run_id: str) -> RunView | None:
    return await queries.run_view(uow.session, scope.municipality, run_id)


async def _proposal(scope: OfficeScope, uow: UnitOfWork, proposal_id: str) -> ProposalView | None:
    return await queries.proposal_by_id(uow.session, scope.municipality, proposal_id)


async def _assignment(scope: OfficeScope, uow: UnitOfWork, assignment_id: str) -> Row | None:
    return await MatchingRepository(uow.session).assignment(scope.municipality, assignment_id)


async def _accepted(
    scope: OfficeScope, uow: UnitOfWork, assignment_id: str, answer_id: str | None
) -> AcceptedView:
    row = await _assignment(scope, uow, assignment_id)
    assert row is not None
    answer = None
    if answer_id is not None:
        messages = await OutboundRepository(uow.session).for_assignment(assignment_id)
        answer = next(outbound_summary(m) for m in messages if m.msg_id == answer_id)
    await scope.audit_and_commit(uow, "accept proposal", [row.stay_id], assignment_id)
    return AcceptedView(assignment=assignment_view(row), answer=answer)


# --- answers to hospitals ---------------------------------------------------------------------
def _answer_routes(app: FastAPI) -> None:
    @app.get("/v1/outbound", response_model=list[OutboundSummary], tags=["answers"])
    async def list_outbound(
        scope: Scope,
        status: Annotated[str, Query(pattern="^(pending|delivered|rejected|all)$")] = "all",
    ) -> list[OutboundSummary]:
        """The answers sent to hospitals: attempts so far, the next attempt, and the AppRec
        (status and errors) once it came back."""
        async with scope.uow() as uow:
            found = await queries.outbound_views(
                uow.session, scope.municipality, None if status == "all" else [status]
            )
            await scope.audit_and_commit(uow, "list answers", (m.stay_id for m in found))
        return found

    @app.get("/v1/outbound/{msg_id}", response_model=OutboundView, tags=["answers"])
    async def get_outbound(msg_id: str, scope: Scope) -> OutboundView:
        """One answer with every delivery attempt (time, outcome, HTTP status, next attempt)."""
        view, _xml = await _answer(scope, msg_id, "view answer")
        return view

    @app.get(
        "/v1/outbound/{msg_id}/xml",
        tags=["answers"],
        response_class=Response,
        responses={200: {"content": {"application/xml": {}}}},
    )
    async def get_outbound_xml(msg_id: str, scope: Scope) -> Response:
        """The answer's ELIN XML as sent (Dialogmelding 1.1, TemaKodet 7)."""
        _view, xml = await _answer(scope, msg_id, "view answer XML")
        return Response(xml, media_type="application/xml")


async def _answer(scope: OfficeScope, msg_id: str, action: str) -> tuple[OutboundView, bytes]:
    """One answer and its XML, the view audited as `action`."""
    async with scope.uow() as uow:
        found = _found(
            await queries.outbound_view(uow.session, scope.municipality, msg_id), "No such answer"
        )
        await scope.audit_and_commit(uow, action, [found[0].stay_id], msg_id)
    return found
