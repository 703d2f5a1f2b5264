"""Repositories (SQLAlchemy Core) and the mapping between rows and the domain.

Every query of stock, cases, proposals and assignments names the municipality: one municipality's
officers never reach another's rows, whatever id they send.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from opentelemetry import propagate
from sqlalchemy.ext.asyncio import AsyncConnection

from housing_match.adapters import orm
from housing_match.domain import (
    HousingCase,
    HousingKind,
    Needs,
    ResidentProfile,
    Site,
    SiteRules,
    Stock,
    Unit,
    UnitStatus,
)
from hub_shared.db import stored_utc
from hub_shared.timeutil import oslo_date

Row = sa.Row[Any]


# --- mapping ----------------------------------------------------------------------------------
def rules_to_json(rules: SiteRules) -> dict[str, Any]:
    values = dataclasses.asdict(rules)
    values.pop("kind")
    return values


def site_from_row(row: Row) -> Site:
    rules = SiteRules(kind=HousingKind(row.kind), **row.rules)
    return Site(id=row.site_id, name=row.name, district=row.district, rules=rules)


def needs_to_json(needs: Needs) -> dict[str, Any]:
    values = dataclasses.asdict(needs)
    values["acceptable_kinds"] = sorted(k.value for k in needs.acceptable_kinds)
    return values


def needs_from_json(values: dict[str, Any]) -> Needs:
    fields = dict(values)
    fields["acceptable_kinds"] = frozenset(HousingKind(k) for k in fields["acceptable_kinds"])
    return Needs(**fields)


def resident_is_present(row: Row) -> bool:
    """Lives there now or holds a reserved place: not moved out, and not leaving on a set day."""
    return row.moved_out_on is None


def living_on(residents: Iterable[Row], day: date) -> list[Row]:
    """Who lives in the unit (or holds a reserved place) on `day`: leaving tenants until they go."""
    return [r for r in residents if r.moved_out_on is None or r.moved_out_on > day]


def unit_from_rows(unit: Row, site: Site, residents: Sequence[Row], today: date) -> Unit:
    """The domain unit. A tenant leaving on a set day later than today is not listed, and the
    unit is available from the latest such day (or its own `available_from`, if later)."""
    present = [r for r in residents if resident_is_present(r)]
    leaving = [r.moved_out_on for r in residents if r.moved_out_on and r.moved_out_on > today]
    days = [d for d in (unit.available_from, *leaving) if d is not None]
    available = max(days) if days else None
    if unit.retired_at is not None:
        status = UnitStatus.RETIRED
    elif len(present) >= unit.capacity:
        status = UnitStatus.OCCUPIED
    else:
        status = UnitStatus.FREE
    return Unit(
        id=unit.unit_id,
        site=site,
        capacity=unit.capacity,
        status=status,
        available_from=available if available and available > today else None,
        residents=tuple(
            ResidentProfile(r.active_use, r.in_recovery, r.heavy_needs) for r in present
        ),
    )


def readiness_active(stay: Row | None) -> bool:
    """Whether the stay has a § 10 notice in force: not withdrawn, cancelled or discharged."""
    return (
        stay is not None
        and stay.ready_on is not None
        and stay.discharged_at is None
        and not stay.admission_cancelled
    )


def case_to_domain(case: Row, stay: Row | None) -> HousingCase | None:
    """The domain case, or None while the officer has not recorded the needs."""
    if case.needs is None:
        return None
    opened_on = oslo_date(stored_utc(case.opened_at))  # type: ignore[arg-type]
    admitted = (stay.admitted_at if stay is not None else None) or case.admitted_at
    return HousingCase(
        id=case.case_id,
        stay_id=case.stay_id,
        needs=needs_from_json(case.needs),
        opened_on=opened_on,
        admitted_on=oslo_date(stored_utc(admitted)) if admitted else opened_on,  # type: ignore[arg-type]
        expected_discharge_on=case.expected_discharge_on,
        discharge_ready_on=stay.ready_on if readiness_active(stay) else None,
    )


# --- stock ------------------------------------------------------------------------------------
class StockRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def site(self, municipality: str, site_id: str) -> Row | None:
        query = sa.select(orm.sites).where(
            orm.sites.c.site_id == site_id, orm.sites.c.municipality_her == municipality
        )
        return (await self.conn.execute(query)).first()

    async def sites(self, municipality: str, *, retired: bool = False) -> Sequence[Row]:
        query = sa.select(orm.sites).where(orm.sites.c.municipality_her == municipality)
        if not retired:
            query = query.where(orm.sites.c.retired_at.is_(None))
        return (await self.conn.execute(query.order_by(orm.sites.c.name))).all()

    async def unit(self, municipality: str, unit_id: str) -> Row | None:
        query = sa.select(orm.units).where(
            orm.units.c.unit_id == unit_id, orm.units.c.municipality_her == municipality
        )
        return (await self.conn.execute(query)).first()

    async def units(
        self, municipality: str, *, site_id: str | None = None, retired: bool = False
    ) -> Sequence[Row]:
        query = sa.select(orm.units).where(orm.units.c.municipality_her == municipality)
        if site_id is not None:
            query = query.where(orm.units.c.site_id == site_id)
        if not retired:
            query = query.where(orm.units.c.retired_at.is_(None))
        return (await self.conn.execute(query.order_by(orm.units.c.label))).all()

    async def residents(self, unit_ids: Iterable[str]) -> dict[str, list[Row]]:
        ids = list(unit_ids)
        found: dict[str, list[Row]] = {u: [] for u in ids}
        if not ids:
            return found
        query = (
            sa.select(orm.residents)
            .where(orm.residents.c.unit_id.in_(ids))
            .order_by(orm.residents.c.created_at)
        )
        for row in (await self.conn.execute(query)).all():
            found[row.unit_id].append(row)
        return found

    async def resident(self, unit_id: str, resident_id: str) -> Row | None:
        query = sa.select(orm.residents).where(
            orm.residents.c.resident_id == resident_id, orm.residents.c.unit_id == unit_id
        )
        return (await self.conn.execute(query)).first()

    async def lock_site(self, site_id: str) -> None:
        """Hold the site until the transaction ends: decisions that fill its places queue up,
        so that capacity and the site-level rules (mixing, heavy needs) see each other."""
        query = sa.select(orm.sites.c.site_id).where(orm.sites.c.site_id == site_id)
        await self.conn.execute(query.with_for_update())

    async def stock(self, municipality: str, today: date) -> Stock:
        """The municipality's units in service (not retired) as the domain sees them."""
        sites = {row.site_id: site_from_row(row) for row in await self.sites(municipality)}
        units = [u for u in await self.units(municipality) if u.site_id in sites]
        residents = await self.residents(u.unit_id for u in units)
        return Stock(
            unit_from_rows(u, sites[u.site_id], residents[u.unit_id], today) for u in units
        )

    async def insert(self, table: sa.Table, values: dict[str, Any]) -> None:
        await self.conn.execute(sa.insert(table).values(values))

    async def update(
        self, table: sa.Table, key: str, key_value: str, values: dict[str, Any]
    ) -> None:
        await self.conn.execute(sa.update(table).where(table.c[key] == key_value).values(values))


# --- stays and cases --------------------------------------------------------------------------
class StayRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, stay_id: str) -> Row | None:
        query = sa.select(orm.stays).where(orm.stays.c.stay_id == stay_id)
        return (await self.conn.execute(query)).first()

    async def save(self, stay_id: str, values: dict[str, Any], now: datetime) -> Row:
        """Insert or update the stay's facts; returns the stored row."""
        values = {**values, "updated_at": now}
        if await self.get(stay_id) is None:
            await self.conn.execute(sa.insert(orm.stays).values(stay_id=stay_id, **values))
        else:
            await self.conn.execute(
                sa.update(orm.stays).where(orm.stays.c.stay_id == stay_id).values(values)
            )
        row = await self.get(stay_id)
        assert row is not None
        return row

    async def many(self, stay_ids: Iterable[str]) -> dict[str, Row]:
        ids = list(set(stay_ids))
        if not ids:
            return {}
        query = sa.select(orm.stays).where(orm.stays.c.stay_id.in_(ids))
        return {row.stay_id: row for row in (await self.conn.execute(query)).all()}


class CaseRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def get(self, municipality: str, case_id: str, *, lock: bool = False) -> Row | None:
        """The case; `lock`: held until the transaction ends (PostgreSQL: FOR UPDATE; SQLite's
        writers take turns anyway), so that two decisions on one case queue up."""
        query = sa.select(orm.cases).where(
            orm.cases.c.case_id == case_id, orm.cases.c.municipality_her == municipality
        )
        if lock:
            query = query.with_for_update()
        return (await self.conn.execute(query)).first()

    async def by_id(self, case_id: str) -> Row | None:
        query = sa.select(orm.cases).where(orm.cases.c.case_id == case_id)
        return (await self.conn.execute(query)).first()

    async def by_stay(self, stay_id: str) -> Row | None:
        query = sa.select(orm.cases).where(orm.cases.c.stay_id == stay_id)
        return (await self.conn.execute(query)).first()

    async def list(self, municipality: str, statuses: Sequence[str] | None) -> Sequence[Row]:
        query = sa.select(orm.cases).where(orm.cases.c.municipality_her == municipality)
        if statuses:
            query = query.where(orm.cases.c.status.in_(statuses))
        return (await self.conn.execute(query.order_by(orm.cases.c.opened_at))).all()

    async def insert(self, values: dict[str, Any]) -> None:
        await self.conn.execute(sa.insert(orm.cases).values(values))

    async def update(self, case_id: str, values: dict[str, Any]) -> None:
        await self.conn.execute(
            sa.update(orm.cases).where(orm.cases.c.case_id == case_id).values(values)
        )


# --- matching, proposals, assignments ---------------------------------------------------------
class MatchingRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def run(self, municipality: str, run_id: str) -> Row | None:
        query = sa.select(orm.matching_runs).where(
            orm.matching_runs.c.run_id == run_id,
            orm.matching_runs.c.municipality_her == municipality,
        )
        return (await self.conn.execute(query)).first()

    async def proposal(self, municipality: str, proposal_id: str) -> Row | None:
        query = sa.select(orm.proposals).where(
            orm.proposals.c.proposal_id == proposal_id,
            orm.proposals.c.municipality_her == municipality,
        )
        return (await self.conn.execute(query)).first()

    async def proposals(
        self,
        municipality: str,
        *,
        statuses: Sequence[str] | None = None,
        case_id: str | None = None,
        run_id: str | None = None,
    ) -> Sequence[Row]:
        query = sa.select(orm.proposals).where(orm.proposals.c.municipality_her == municipality)
        if statuses:
            query = query.where(orm.proposals.c.status.in_(statuses))
        if case_id is not None:
            query = query.where(orm.proposals.c.case_id == case_id)
        if run_id is not None:
            query = query.where(orm.proposals.c.run_id == run_id)
        query = query.order_by(orm.proposals.c.created_at, orm.proposals.c.case_id)
        return (await self.conn.execute(query)).all()

    async def set_proposals(self, where: sa.ColumnElement[bool], values: dict[str, Any]) -> None:
        """Update the open (proposed) proposals matching `where`."""
        await self.conn.execute(
            sa.update(orm.proposals)
            .where(where, orm.proposals.c.status == "proposed")
            .values(values)
        )

    async def assignment(self, municipality: str, assignment_id: str) -> Row | None:
        query = sa.select(orm.assignments).where(
            orm.assignments.c.assignment_id == assignment_id,
            orm.assignments.c.municipality_her == municipality,
        )
        return (await self.conn.execute(query)).first()

    async def assignments(
        self,
        municipality: str,
        *,
        statuses: Sequence[str] | None = None,
        case_id: str | None = None,
    ) -> Sequence[Row]:
        query = sa.select(orm.assignments).where(orm.assignments.c.municipality_her == municipality)
        if statuses:
            query = query.where(orm.assignments.c.status.in_(statuses))
        if case_id is not None:
            query = query.where(orm.assignments.c.case_id == case_id)
        return (await self.conn.execute(query.order_by(orm.assignments.c.decided_at))).all()

    async def active_assignment(self, case_id: str) -> Row | None:
        query = sa.select(orm.assignments).where(
            orm.assignments.c.case_id == case_id, orm.assignments.c.status == "active"
        )
        return (await self.conn.execute(query)).first()


_SUMMARY = tuple(c for c in orm.outbound_messages.c if c.name not in ("body", "apprec_body"))


class OutboundRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def messages(
        self,
        municipality: str,
        *,
        case_id: str | None = None,
        statuses: Sequence[str] | None = None,
    ) -> Sequence[Row]:
        table = orm.outbound_messages
        query = sa.select(*_SUMMARY).where(table.c.municipality_her == municipality)
        if case_id is not None:
            query = query.where(table.c.case_id == case_id)
        if statuses:
            query = query.where(table.c.status.in_(statuses))
        return (await self.conn.execute(query.order_by(table.c.seq))).all()

    async def message(self, municipality: str, msg_id: str) -> Row | None:
        table = orm.outbound_messages
        query = sa.select(table).where(
            table.c.msg_id == msg_id, table.c.municipality_her == municipality
        )
        return (await self.conn.execute(query)).first()

    async def for_assignment(self, assignment_id: str) -> Sequence[Row]:
        table = orm.outbound_messages
        query = sa.select(*_SUMMARY).where(table.c.assignment_id == assignment_id)
        return (await self.conn.execute(query.order_by(table.c.seq))).all()

    async def attempts(self, msg_id: str) -> Sequence[Row]:
        table = orm.outbound_attempts
        query = sa.select(table).where(table.c.msg_id == msg_id).order_by(table.c.attempt)
        return (await self.conn.execute(query)).all()

    async def insert(self, values: dict[str, Any]) -> None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # the delivery continues the trace of this decision
        values = {**values, "traceparent": carrier.get("traceparent")}
        await self.conn.execute(sa.insert(orm.outbound_messages).values(values))
