"""Read models for the office: what the API shows, assembled from the tables (no domain writes).

Every function takes the municipality and shows only its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from housing_match.adapters import orm
from housing_match.adapters.repository import (
    CaseRepository,
    MatchingRepository,
    OutboundRepository,
    Row,
    StayRepository,
    StockRepository,
    readiness_active,
    site_from_row,
    unit_from_rows,
)
from housing_match.domain import HousingKind, Urgency, urgency
from housing_match.entrypoints.views import (
    CaseSummary,
    CaseView,
    OutboundSummary,
    OutboundView,
    ProposalView,
    RunView,
    SiteRulesView,
    SiteView,
    UnitView,
    assignment_view,
    attempt_view,
    needs_view,
    outbound_summary,
    proposal_view,
    resident_view,
)
from housing_match.service import ACTIVE, MOVED_IN, clock_days
from hub_shared.db import stored_utc
from hub_shared.identifiers.person import mask
from hub_shared.timeutil import oslo_date

_URGENCY_ORDER = {Urgency.CLOCK_RUNNING: 0, Urgency.DISCHARGE_EXPECTED: 1, Urgency.UNDATED: 2}


# --- cases ------------------------------------------------------------------------------------
async def case_summaries(
    conn: AsyncConnection, municipality: str, statuses: Sequence[str] | None, today: date
) -> list[CaseSummary]:
    """The cases, most urgent first: clock running (longest first), then expected, then undated."""
    rows = await CaseRepository(conn).list(municipality, statuses)
    stays = await StayRepository(conn).many(r.stay_id for r in rows)
    assignments = await _current_assignments(conn, municipality)
    answers = await _latest_answers(conn, municipality)
    found = [
        _summary(r, stays.get(r.stay_id), assignments.get(r.case_id), answers.get(r.case_id), today)
        for r in rows
    ]
    found.sort(key=lambda c: (_URGENCY_ORDER[c.urgency], -c.clock_days, -c.waiting_days))
    return found


async def case_view(
    conn: AsyncConnection, municipality: str, case_id: str, today: date
) -> CaseView | None:
    row = await CaseRepository(conn).get(municipality, case_id)
    if row is None:
        return None
    stay = await StayRepository(conn).get(row.stay_id)
    matching = MatchingRepository(conn)
    assignments = await matching.assignments(municipality, case_id=case_id)
    current = next((a for a in reversed(assignments) if a.status in (ACTIVE, MOVED_IN)), None)
    messages = await OutboundRepository(conn).messages(municipality, case_id=case_id)
    summary = _summary(row, stay, current, messages[-1] if messages else None, today)
    proposals = await proposal_views(conn, municipality, case_id=case_id)
    return CaseView(
        **summary.model_dump(),
        family_name=row.family_name,
        given_name=row.given_name,
        hospital_her=row.hospital_her,
        admitted_at=stored_utc((stay.admitted_at if stay is not None else None) or row.admitted_at),
        needs=needs_view(row.needs),
        closed_at=stored_utc(row.closed_at),
        close_reason=row.close_reason,
        proposals=proposals,
        assignments=[assignment_view(a) for a in assignments],
        messages=[outbound_summary(m) for m in messages],
    )


def _summary(
    row: Row, stay: Row | None, assignment: Row | None, answer: Row | None, today: date
) -> CaseSummary:
    ready_on = stay.ready_on if readiness_active(stay) else None
    notice_on = (
        oslo_date(stored_utc(stay.ready_notice_at)) if ready_on and stay is not None else None
    )
    move_in = assignment.move_in if assignment is not None else None
    return CaseSummary(
        case_id=row.case_id,
        stay_id=row.stay_id,
        status=row.status,
        opened_by=row.opened_by,
        opened_at=stored_utc(row.opened_at),
        patient=mask(row.patient_id),
        urgency=urgency(today, ready_on, row.expected_discharge_on),
        notice_on=notice_on,
        days_since_notice=(today - notice_on).days if notice_on else None,
        clock_started_on=ready_on,
        clock_days=clock_days(ready_on, move_in, today),
        expected_discharge_on=row.expected_discharge_on,
        waiting_days=max(0, (today - oslo_date(stored_utc(row.opened_at))).days),  # type: ignore[arg-type]
        needs_recorded=row.needs is not None,
        assignment_id=assignment.assignment_id if assignment is not None else None,
        move_in=move_in,
        answer_status=answer.status if answer is not None else None,
    )


async def _current_assignments(conn: AsyncConnection, municipality: str) -> dict[str, Row]:
    rows = await MatchingRepository(conn).assignments(municipality, statuses=[ACTIVE, MOVED_IN])
    return {r.case_id: r for r in rows}


async def _latest_answers(conn: AsyncConnection, municipality: str) -> dict[str, Row]:
    rows = await OutboundRepository(conn).messages(municipality)
    return {r.case_id: r for r in rows}  # ordered by seq: the last one wins


# --- stock ------------------------------------------------------------------------------------
async def site_views(
    conn: AsyncConnection, municipality: str, today: date, *, retired: bool = False
) -> list[SiteView]:
    stock = StockRepository(conn)
    sites = await stock.sites(municipality, retired=retired)
    units = await stock.units(municipality)
    residents = await stock.residents(u.unit_id for u in units)
    views = []
    for site in sites:
        domain_site = site_from_row(site)
        mine = [u for u in units if u.site_id == site.site_id]
        free = sum(
            unit_from_rows(u, domain_site, residents[u.unit_id], today).free_places for u in mine
        )
        views.append(_site_view(site, len(mine), free))
    return views


async def site_view(
    conn: AsyncConnection, municipality: str, site_id: str, today: date
) -> SiteView | None:
    found = await site_views(conn, municipality, today, retired=True)
    return next((s for s in found if s.site_id == site_id), None)


def _site_view(site: Row, units: int, free: int) -> SiteView:
    rules = site_from_row(site).rules
    return SiteView(
        site_id=site.site_id,
        name=site.name,
        district=site.district,
        kind=HousingKind(site.kind),
        rules=SiteRulesView(**{k: getattr(rules, k) for k in SiteRulesView.model_fields}),
        units=units,
        free_places=free,
        retired_at=stored_utc(site.retired_at),
    )


async def unit_views(
    conn: AsyncConnection, municipality: str, today: date, *, free_only: bool = False
) -> list[UnitView]:
    """Units in service; `free_only`: those with a place free now or later."""
    stock = StockRepository(conn)
    sites = {s.site_id: s for s in await stock.sites(municipality)}
    units = [u for u in await stock.units(municipality) if u.site_id in sites]
    residents = await stock.residents(u.unit_id for u in units)
    views = [_unit_view(u, sites[u.site_id], residents[u.unit_id], today) for u in units]
    if free_only:
        views = [v for v in views if v.free_places > 0]
    return sorted(views, key=lambda v: (v.available_from or today, v.site_name, v.label))


async def unit_view(
    conn: AsyncConnection, municipality: str, unit_id: str, today: date
) -> UnitView | None:
    stock = StockRepository(conn)
    unit = await stock.unit(municipality, unit_id)
    if unit is None:
        return None
    site = await stock.site(municipality, unit.site_id)
    assert site is not None
    residents = (await stock.residents([unit_id]))[unit_id]
    view = _unit_view(unit, site, residents, today)
    view.residents = [resident_view(r) for r in residents]
    return view


def _unit_view(unit: Row, site: Row, residents: list[Row], today: date) -> UnitView:
    domain = unit_from_rows(unit, site_from_row(site), residents, today)
    return UnitView(
        unit_id=unit.unit_id,
        site_id=site.site_id,
        site_name=site.name,
        kind=HousingKind(site.kind),
        district=site.district,
        label=unit.label,
        capacity=unit.capacity,
        status=domain.status.value,
        free_places=domain.free_places,
        available_from=domain.available_from,
        retired_at=stored_utc(unit.retired_at),
    )


# --- proposals, runs, assignments, answers ----------------------------------------------------
async def proposal_views(
    conn: AsyncConnection,
    municipality: str,
    *,
    statuses: Sequence[str] | None = None,
    case_id: str | None = None,
    run_id: str | None = None,
) -> list[ProposalView]:
    rows = await MatchingRepository(conn).proposals(
        municipality, statuses=statuses, case_id=case_id, run_id=run_id
    )
    units, sites = await _units_and_sites(conn, {r.unit_id for r in rows})
    return [proposal_view(r, units, sites) for r in rows]


async def proposal_by_id(
    conn: AsyncConnection, municipality: str, proposal_id: str
) -> ProposalView | None:
    row = await MatchingRepository(conn).proposal(municipality, proposal_id)
    if row is None:
        return None
    units, sites = await _units_and_sites(conn, {row.unit_id})
    return proposal_view(row, units, sites)


async def _units_and_sites(
    conn: AsyncConnection, unit_ids: set[str]
) -> tuple[dict[str, Row], dict[str, Row]]:
    if not unit_ids:
        return {}, {}
    units = {
        r.unit_id: r
        for r in (
            await conn.execute(sa.select(orm.units).where(orm.units.c.unit_id.in_(unit_ids)))
        ).all()
    }
    site_ids = {u.site_id for u in units.values()}
    sites = {
        r.site_id: r
        for r in (
            await conn.execute(sa.select(orm.sites).where(orm.sites.c.site_id.in_(site_ids)))
        ).all()
    }
    return units, sites


async def run_view(conn: AsyncConnection, municipality: str, run_id: str) -> RunView | None:
    run = await MatchingRepository(conn).run(municipality, run_id)
    if run is None:
        return None
    return RunView(
        run_id=run.run_id,
        ran_at=stored_utc(run.ran_at),
        ran_by=run.ran_by,
        today=run.today,
        status=run.status,
        pruned=run.pruned,
        cases=run.cases,
        units_offered=run.units_offered,
        unmatched=run.unmatched,
        excluded=run.excluded,
        without_needs=run.without_needs,
        cost_if_unmatched=run.cost_if_unmatched,
        total_cost=run.total_cost,
        cost_saved=run.cost_if_unmatched - run.total_cost,
        notes=run.notes,
        proposals=await proposal_views(conn, municipality, run_id=run_id),
    )


async def outbound_views(
    conn: AsyncConnection, municipality: str, statuses: Sequence[str] | None
) -> list[OutboundSummary]:
    rows = await OutboundRepository(conn).messages(municipality, statuses=statuses)
    return [outbound_summary(r) for r in rows]


async def outbound_view(
    conn: AsyncConnection, municipality: str, msg_id: str
) -> tuple[OutboundView, bytes] | None:
    """The answer with its attempts, and its XML."""
    outbound = OutboundRepository(conn)
    row = await outbound.message(municipality, msg_id)
    if row is None:
        return None
    attempts = await outbound.attempts(msg_id)
    view = OutboundView(
        **outbound_summary(row).model_dump(),
        attempt_log=[attempt_view(a) for a in attempts],
    )
    return view, row.body
