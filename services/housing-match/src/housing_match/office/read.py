"""What the office's pages show, read from the tables (no writes). Every function takes the
municipality the officer works for and shows only its rows.

Payment clocks are billing's, as billing.v1 told the office (`office_clocks`); their days and
kroner up to today are counted the way billing's `GET /v1/clocks` counts them: Europe/Oslo days,
today included, up to a known stop, each day at the rate of its own year. The office learns a
year's rate from the clocks billing announces (`daily_rate` of a clock that starts in that year);
a day of a year whose rate it has not learned is unpriced, as billing shows a day without a rate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from housing_match.adapters import orm
from housing_match.adapters.repository import Row
from housing_match.domain import HousingKind
from housing_match.entrypoints.views import UnitView
from housing_match.office import tables
from housing_match.office.feed import VOID
from housing_match.office.formatting import initials, short_ref
from hub_shared.db import stored_utc
from hub_shared.register import AddressRegister

ONE_DAY = timedelta(days=1)


# --- payment clocks ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ClockLine:
    """A clock running today: since when, days and kroner so far, kroner per day now."""

    stay_id: str
    period_key: str
    ref: str
    initials: str | None
    hospital_her: str | None
    since: date
    stops_on: date | None
    days: int
    amount: Decimal
    unpriced_days: int
    daily_rate: Decimal | None
    case_id: str | None = None


@dataclass(frozen=True)
class DayCost:
    day: date
    amount: Decimal
    clocks: int
    unpriced: int


@dataclass(frozen=True)
class MonthSummary:
    month_start: date
    today: date
    so_far: Decimal
    so_far_days: int
    last_month_start: date
    last_month_same_period: Decimal
    last_month_total: Decimal
    last_month_days: int


async def learned_rates(conn: AsyncConnection) -> dict[int, Decimal]:
    """NOK per day by year, as the clocks billing announced carry them."""
    c = tables.office_clocks
    query = (
        sa.select(c.c.started_on, c.c.daily_rate)
        .where(c.c.daily_rate.is_not(None))
        .order_by(c.c.updated_at)
    )
    return {row.started_on.year: row.daily_rate for row in await conn.execute(query)}


def price(start: date, end: date, rates: dict[int, Decimal]) -> tuple[int, Decimal, int]:
    """Days in [start, end), their kroner and the days without a known rate."""
    days, amount, unpriced = 0, Decimal(0), 0
    cursor = start
    while cursor < end:
        year_end = min(end, date(cursor.year + 1, 1, 1))
        span = (year_end - cursor).days
        days += span
        rate = rates.get(cursor.year)
        if rate is None:
            unpriced += span
        else:
            amount += rate * span
        cursor = year_end
    return days, amount, unpriced


async def _scoped_clocks(
    conn: AsyncConnection, register: AddressRegister, municipality: str
) -> Sequence[Row]:
    """The municipality's clocks (not voided): the stay's municipality as the hospital's notices
    named it, or, while the office has not seen those notices, the paying municipality's number."""
    c, s = tables.office_clocks, tables.office_stays
    number = register.municipality_number(municipality)
    by_number = (
        sa.and_(s.c.municipality_her.is_(None), c.c.municipality_number == number)
        if number
        else sa.false()
    )
    query = (
        sa.select(c, s.c.initials)
        .select_from(c.outerjoin(s, s.c.stay_id == c.c.stay_id))
        .where(c.c.state != VOID, sa.or_(s.c.municipality_her == municipality, by_number))
        .order_by(c.c.started_on, c.c.stay_id, c.c.period_key)
    )
    return (await conn.execute(query)).all()


async def running_clocks(
    conn: AsyncConnection, register: AddressRegister, municipality: str, today: date
) -> list[ClockLine]:
    """Clocks running today, the costliest first."""
    rows = await _scoped_clocks(conn, register, municipality)
    rates = await learned_rates(conn)
    cases = await _cases_of(conn, municipality, (r.stay_id for r in rows))
    found = []
    for row in rows:
        if row.started_on > today or (row.stops_on is not None and row.stops_on <= today):
            continue
        end = today + ONE_DAY if row.stops_on is None else min(today + ONE_DAY, row.stops_on)
        days, amount, unpriced = price(row.started_on, end, rates)
        case = cases.get(row.stay_id)
        found.append(
            ClockLine(
                stay_id=row.stay_id,
                period_key=row.period_key,
                ref=short_ref(row.stay_id),
                initials=row.initials or (case[1] if case else None),
                hospital_her=row.hospital_her,
                since=row.started_on,
                stops_on=row.stops_on,
                days=days,
                amount=amount,
                unpriced_days=unpriced,
                daily_rate=rates.get(today.year),
                case_id=case[0] if case else None,
            )
        )
    found.sort(key=lambda c: (-c.amount, -c.days, c.since, c.stay_id))
    return found


async def stay_clocks(conn: AsyncConnection, stay_id: str, today: date) -> list[dict[str, Any]]:
    """Every period of one stay's clock (voided ones too), with days and kroner up to today."""
    c = tables.office_clocks
    rows = (
        await conn.execute(sa.select(c).where(c.c.stay_id == stay_id).order_by(c.c.started_on))
    ).all()
    rates = await learned_rates(conn)
    found = []
    for row in rows:
        end = today + ONE_DAY if row.stops_on is None else min(today + ONE_DAY, row.stops_on)
        days, amount, unpriced = (0, Decimal(0), 0)
        if row.state != VOID and row.started_on <= today:
            days, amount, unpriced = price(row.started_on, max(end, row.started_on), rates)
        found.append(
            {
                "period_key": row.period_key,
                "state": row.state,
                "since": row.started_on,
                "stops_on": row.stops_on,
                "end_reason": row.end_reason,
                "running": row.state != VOID
                and row.started_on <= today
                and (row.stops_on is None or row.stops_on > today),
                "days": days,
                "amount": amount,
                "unpriced_days": unpriced,
                "daily_rate": rates.get(today.year),
                "final_days": row.days,
                "final_amount": row.amount,
            }
        )
    return found


async def daily_costs(
    conn: AsyncConnection,
    register: AddressRegister,
    municipality: str,
    first: date,
    today: date,
) -> list[DayCost]:
    """The municipality's cost of each day from `first` to today: every clock running that day,
    at the rate of that day's year."""
    rows = await _scoped_clocks(conn, register, municipality)
    rates = await learned_rates(conn)
    amounts: dict[date, Decimal] = defaultdict(Decimal)
    counts: dict[date, int] = defaultdict(int)
    unpriced: dict[date, int] = defaultdict(int)
    for row in rows:
        start = max(row.started_on, first)
        end = today + ONE_DAY if row.stops_on is None else min(today + ONE_DAY, row.stops_on)
        cursor = start
        while cursor < end:
            counts[cursor] += 1
            rate = rates.get(cursor.year)
            if rate is None:
                unpriced[cursor] += 1
            else:
                amounts[cursor] += rate
            cursor += ONE_DAY
    series = []
    cursor = first
    while cursor <= today:
        series.append(DayCost(cursor, amounts[cursor], counts[cursor], unpriced[cursor]))
        cursor += ONE_DAY
    return series


def month_summary(series: Sequence[DayCost], today: date) -> MonthSummary:
    """This month so far against last month (the same days of it, and the whole of it)."""
    month_start = today.replace(day=1)
    last_start = (month_start - ONE_DAY).replace(day=1)
    same_end = min(last_start + timedelta(days=today.day - 1), month_start - ONE_DAY)
    by_day = {d.day: d for d in series}

    def total(first: date, last: date) -> tuple[Decimal, int]:
        amount, days, cursor = Decimal(0), 0, first
        while cursor <= last:
            found = by_day.get(cursor)
            if found is not None:
                amount += found.amount
                days += found.clocks
            cursor += ONE_DAY
        return amount, days

    so_far, so_far_days = total(month_start, today)
    same, _ = total(last_start, same_end)
    whole, whole_days = total(last_start, month_start - ONE_DAY)
    return MonthSummary(
        month_start=month_start,
        today=today,
        so_far=so_far,
        so_far_days=so_far_days,
        last_month_start=last_start,
        last_month_same_period=same,
        last_month_total=whole,
        last_month_days=whole_days,
    )


# --- cases ------------------------------------------------------------------------------------
async def _cases_of(
    conn: AsyncConnection, municipality: str, stay_ids: Iterable[str]
) -> dict[str, tuple[str, str | None]]:
    """The municipality's cases of these stays: stay id -> (case id, initials)."""
    ids = list(set(stay_ids))
    if not ids:
        return {}
    c = orm.cases
    query = sa.select(c.c.stay_id, c.c.case_id, c.c.given_name, c.c.family_name).where(
        c.c.municipality_her == municipality, c.c.stay_id.in_(ids)
    )
    return {
        r.stay_id: (r.case_id, initials(r.given_name, r.family_name))
        for r in await conn.execute(query)
    }


@dataclass(frozen=True)
class CaseExtra:
    initials: str | None
    admitted_at: Any
    hospital_her: str


async def case_extras(
    conn: AsyncConnection, municipality: str, case_ids: Iterable[str]
) -> dict[str, CaseExtra]:
    """What the list shows beside the API's case summary: initials and the admission time."""
    ids = list(set(case_ids))
    if not ids:
        return {}
    c, s = orm.cases, orm.stays
    query = (
        sa.select(
            c.c.case_id,
            c.c.given_name,
            c.c.family_name,
            c.c.admitted_at,
            c.c.hospital_her,
            s.c.admitted_at.label("stay_admitted_at"),
        )
        .select_from(c.outerjoin(s, s.c.stay_id == c.c.stay_id))
        .where(c.c.municipality_her == municipality, c.c.case_id.in_(ids))
    )
    return {
        r.case_id: CaseExtra(
            initials(r.given_name, r.family_name),
            stored_utc(r.stay_admitted_at or r.admitted_at),
            r.hospital_her,
        )
        for r in await conn.execute(query)
    }


async def stay_row(conn: AsyncConnection, stay_id: str) -> Row | None:
    return (await conn.execute(sa.select(orm.stays).where(orm.stays.c.stay_id == stay_id))).first()


async def stay_events(conn: AsyncConnection, stay_id: str) -> Sequence[Row]:
    e = tables.office_events
    query = sa.select(e).where(e.c.stay_id == stay_id).order_by(e.c.occurred_at, e.c.published_at)
    return (await conn.execute(query)).all()


async def case_patient(conn: AsyncConnection, municipality: str, case_id: str) -> Row | None:
    """The patient's identity on a case (the case page only)."""
    c = orm.cases
    query = sa.select(
        c.c.patient_id, c.c.patient_id_type, c.c.given_name, c.c.family_name, c.c.stay_id
    ).where(c.c.case_id == case_id, c.c.municipality_her == municipality)
    return (await conn.execute(query)).first()


# --- stock ------------------------------------------------------------------------------------
@dataclass
class KindSummary:
    kind: HousingKind
    units: int = 0
    free_places: int = 0
    free_now: int = 0
    first_available: date | None = None


def free_by_kind(units: Sequence[UnitView], today: date) -> list[KindSummary]:
    """Free places by kind of housing, from the API's free units (`GET /v1/units?free=true`)."""
    found: dict[HousingKind, KindSummary] = {}
    for unit in units:
        summary = found.setdefault(unit.kind, KindSummary(unit.kind))
        summary.units += 1
        summary.free_places += unit.free_places
        available = unit.available_from or today
        if available <= today:
            summary.free_now += unit.free_places
        if summary.first_available is None or available < summary.first_available:
            summary.first_available = available
    order = list(HousingKind)
    return sorted(found.values(), key=lambda s: order.index(s.kind))


@dataclass
class Movement:
    day: date
    kind: str
    """move_in | planned_move_in | move_out | planned_move_out"""
    site_name: str
    unit_label: str
    who_ref: str | None
    who_initials: str | None


@dataclass
class StockUnit:
    view: UnitView
    residents: list[dict[str, Any]] = field(default_factory=list)


async def stock_details(
    conn: AsyncConnection, municipality: str, units: Sequence[UnitView], today: date
) -> tuple[dict[str, list[StockUnit]], list[Movement], list[str]]:
    """Units by site with who lives there (pseudonymous), the move-ins and move-outs, and the
    stays shown (for the audit log)."""
    ids = [u.unit_id for u in units]
    r = orm.residents
    rows = []
    if ids:
        query = sa.select(r).where(r.c.unit_id.in_(ids)).order_by(r.c.created_at)
        rows = (await conn.execute(query)).all()
    case_ids = {row.case_id for row in rows if row.case_id}
    cases: dict[str, Row] = {}
    if case_ids:
        query = sa.select(
            orm.cases.c.case_id,
            orm.cases.c.stay_id,
            orm.cases.c.given_name,
            orm.cases.c.family_name,
        ).where(orm.cases.c.case_id.in_(case_ids), orm.cases.c.municipality_her == municipality)
        cases = {row.case_id: row for row in await conn.execute(query)}
    assignments: dict[str, Row] = {}
    assignment_ids = {row.assignment_id for row in rows if row.assignment_id}
    if assignment_ids:
        a = orm.assignments
        query = sa.select(a.c.assignment_id, a.c.move_in).where(
            a.c.assignment_id.in_(assignment_ids), a.c.municipality_her == municipality
        )
        assignments = {row.assignment_id: row for row in await conn.execute(query)}
    by_unit = {u.unit_id: u for u in units}
    sites: dict[str, list[StockUnit]] = defaultdict(list)
    holders = {u.unit_id: StockUnit(u) for u in units}
    for unit in units:
        sites[unit.site_id].append(holders[unit.unit_id])
    movements: list[Movement] = []
    shown: list[str] = []
    for row in rows:
        unit = by_unit[row.unit_id]
        case = cases.get(row.case_id) if row.case_id else None
        ref = short_ref(case.stay_id) if case is not None else None
        who = initials(case.given_name, case.family_name) if case is not None else None
        if case is not None:
            shown.append(case.stay_id)
        planned = assignments.get(row.assignment_id) if row.assignment_id else None
        reserved = row.moved_in_on is None
        in_day = row.moved_in_on or (planned.move_in if planned is not None else None)
        current = row.moved_out_on is None or row.moved_out_on > today
        if current:
            holders[row.unit_id].residents.append(
                {
                    "ref": ref,
                    "initials": who,
                    "case_id": row.case_id if case is not None else None,
                    "reserved": reserved,
                    "moved_in_on": in_day,
                    "moved_out_on": row.moved_out_on,
                }
            )
        if in_day is not None:
            kind = "planned_move_in" if reserved or in_day > today else "move_in"
            movements.append(Movement(in_day, kind, unit.site_name, unit.label, ref, who))
        if row.moved_out_on is not None:
            kind = "planned_move_out" if row.moved_out_on > today else "move_out"
            movements.append(Movement(row.moved_out_on, kind, unit.site_name, unit.label, ref, who))
    movements.sort(key=lambda m: (m.day, m.site_name, m.unit_label), reverse=True)
    return sites, movements, shown


# --- invoices ---------------------------------------------------------------------------------
async def invoices(
    conn: AsyncConnection, register: AddressRegister, municipality: str
) -> Sequence[Row]:
    """The invoices billing issued to the municipality (billing.v1 InvoiceIssued), newest first."""
    number = register.municipality_number(municipality)
    if not number:
        return []
    i = tables.office_invoices
    query = (
        sa.select(i)
        .where(i.c.municipality_number == number)
        .order_by(i.c.month.desc(), i.c.hospital_trust, i.c.sequence.desc())
    )
    return (await conn.execute(query)).all()


async def invoice(
    conn: AsyncConnection, register: AddressRegister, municipality: str, invoice_id: str
) -> Row | None:
    number = register.municipality_number(municipality)
    if not number:
        return None
    i = tables.office_invoices
    query = sa.select(i).where(i.c.invoice_id == invoice_id, i.c.municipality_number == number)
    return (await conn.execute(query)).first()
