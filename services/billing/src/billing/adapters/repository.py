"""Repositories of the billing database (SQLAlchemy Core)."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache, cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from billing.adapters import orm
from billing.adapters.event_mapping import StayRef, StoredFact
from billing.adapters.fact_json import fact_from_json
from billing.domain.assessment import EndReason, MunicipalResponse
from billing.domain.facts import Fact
from billing.domain.invoicing import (
    Dispute,
    DisputeReason,
    DisputeStatus,
    InvoiceLine,
    LineKind,
)
from billing.domain.publication import ClockState, PublishedClock
from hub_shared.db import stored_utc

Db = AsyncConnection | AsyncSession
"""What a unit of work hands out: a Core connection (the runtime's) or an ORM session."""

IN_CHUNK = 500
"""Keys per `IN (...)` query: well below the parameter limits of SQLite and PostgreSQL."""


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# --- the fact store -------------------------------------------------------------------------


@dataclass(frozen=True)
class FactRow:
    event_id: str
    stay_id: str
    topic: str
    event_type: str
    source: str
    event_time: datetime
    consumed_at: datetime
    message_id: str
    gen_date: datetime | None
    received_at: datetime | None
    from_admission: bool
    fact: Fact
    stay_ref: StayRef | None
    data_json: str
    """The event's data without the patient (JSON), as kept for the evidence."""

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.data_json)

    @cached_property
    def stored(self) -> StoredFact:
        return StoredFact(
            self.event_id, self.event_type, self.fact, self.stay_ref, self.from_admission
        )

    @cached_property
    def unreadable_answer(self) -> bool:
        """A municipality's answer the hub could not read (not in the agreed form)."""
        return self.event_type == "MunicipalityAnswered" and self.data.get("structured") is False


class FactCache:
    """Facts as read back from the store, by event id, the most recently used kept.

    A stored fact never changes (the store is append-only and an event id names one event), so a
    fact read once need not be read and decoded again. Which facts a stay has is still asked of
    the database every time: the cache only spares reading and decoding their content.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._rows: OrderedDict[str, FactRow] = OrderedDict()

    def get(self, event_id: str) -> FactRow | None:
        row = self._rows.get(event_id)
        if row is not None:
            self._rows.move_to_end(event_id)
        return row

    def put(self, row: FactRow) -> None:
        if self.size <= 0:
            return
        self._rows[row.event_id] = row
        self._rows.move_to_end(row.event_id)
        while len(self._rows) > self.size:
            self._rows.popitem(last=False)

    def __len__(self) -> int:
        return len(self._rows)


class FactStore:
    """Append-only: facts are added, never changed or removed."""

    def __init__(self, session: Db, cache: FactCache | None = None) -> None:
        self.session = session
        self.cache = cache

    async def has(self, event_id: str) -> bool:
        return bool(await self.known([event_id]))

    async def known(self, event_ids: Iterable[str]) -> set[str]:
        """Those of `event_ids` already in the store."""
        found: set[str] = set()
        for chunk in _chunks(list(event_ids)):
            query = sa.select(orm.facts.c.event_id).where(orm.facts.c.event_id.in_(chunk))
            found.update((await self.session.execute(query)).scalars())
        return found

    async def add(self, values: Mapping[str, Any]) -> None:
        await self.add_many([values])

    async def add_many(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Several facts in one statement (none of them in the store yet)."""
        rows = [dict(r) for r in rows]
        if rows:
            await self.session.execute(sa.insert(orm.facts), rows)

    async def for_stay(self, stay_id: str) -> list[FactRow]:
        return (await self.for_stays([stay_id])).get(stay_id, [])

    async def for_stays(self, stay_ids: Iterable[str]) -> dict[str, list[FactRow]]:
        """Every fact of each stay, by GenDate then event id; a stay without facts is absent."""
        if self.cache is None:
            return await self._read(orm.facts.c.stay_id, list(stay_ids))
        f = orm.facts.c
        ids: dict[str, list[str]] = {}
        for chunk in _chunks(list(stay_ids)):
            query = (
                sa.select(f.stay_id, f.event_id)
                .where(f.stay_id.in_(chunk))
                .order_by(f.stay_id, f.gen_date, f.event_id)
            )
            for stay_id, event_id in await self.session.execute(query):
                ids.setdefault(stay_id, []).append(event_id)
        cache = self.cache
        missing = [e for events in ids.values() for e in events if cache.get(e) is None]
        for rows in (await self._read(f.event_id, missing)).values():
            for row in rows:
                cache.put(row)
        found: dict[str, list[FactRow]] = {}
        for stay_id, events in ids.items():
            rows = [cache.get(e) for e in events]
            if any(row is None for row in rows):  # more facts than the cache holds: read them
                return await self._read(f.stay_id, list(stay_ids))
            found[stay_id] = rows  # type: ignore[assignment]
        return found

    async def _read(self, column: sa.Column, keys: list[str]) -> dict[str, list[FactRow]]:
        """Whole rows where `column` is one of `keys`, by stay, by GenDate then event id."""
        found: dict[str, list[FactRow]] = {}
        f = orm.facts.c
        for chunk in _chunks(keys):
            query = (
                sa.select(orm.facts)
                .where(column.in_(chunk))
                .order_by(f.stay_id, f.gen_date, f.event_id)
            )
            for row in await self.session.execute(query):
                found.setdefault(row.stay_id, []).append(_fact_row(row))
        return found

    async def stay_ids(self) -> list[str]:
        query = sa.select(orm.facts.c.stay_id).distinct().order_by(orm.facts.c.stay_id)
        return list((await self.session.execute(query)).scalars())


def _fact_row(row: sa.Row) -> FactRow:
    return FactRow(
        event_id=row.event_id,
        stay_id=row.stay_id,
        topic=row.topic,
        event_type=row.event_type,
        source=row.source,
        event_time=stored_utc(row.event_time),  # type: ignore[arg-type]
        consumed_at=stored_utc(row.consumed_at),  # type: ignore[arg-type]
        message_id=row.message_id,
        gen_date=stored_utc(row.gen_date),
        received_at=stored_utc(row.received_at),
        from_admission=row.from_admission,
        fact=fact_from_json(json.loads(row.fact)),
        stay_ref=StayRef.from_json(json.loads(row.stay_ref)) if row.stay_ref else None,
        data_json=row.data,
    )


# --- a stay's other keys ---------------------------------------------------------------------
class StayKeys:
    """Which stay a key's derived id stands for, where that is not the stay's own id."""

    def __init__(self, session: Db) -> None:
        self.session = session

    async def remember(self, stays_by_key: Mapping[str, str]) -> None:
        rows = [{"key_id": k, "stay_id": v} for k, v in stays_by_key.items()]
        await _upsert_many(self.session, orm.stay_keys, ("key_id",), rows)

    async def stay_of(self, key_id: str) -> str:
        """The stay the key stands for: a remembered one, else the stay whose id it is."""
        table = orm.stay_keys
        query = sa.select(table.c.stay_id).where(table.c.key_id == key_id)
        return (await self.session.execute(query)).scalar_one_or_none() or key_id


# --- projections ----------------------------------------------------------------------------


class Projection:
    """The stays and their published clocks, as of the last recomputation."""

    def __init__(self, session: Db) -> None:
        self.session = session

    async def save_stay(self, values: Mapping[str, Any]) -> None:
        await self.save_stays([values])

    async def save_stays(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert or replace the projection of each stay (one row per stay)."""
        await _upsert_many(self.session, orm.stays, ("stay_id",), rows)

    async def stay(self, stay_id: str) -> sa.Row | None:
        query = sa.select(orm.stays).where(orm.stays.c.stay_id == stay_id)
        return (await self.session.execute(query)).first()

    async def clocks(self, stay_id: str) -> dict[str, PublishedClock]:
        return (await self.clocks_of_stays([stay_id])).get(stay_id, {})

    async def clocks_of_stays(
        self, stay_ids: Iterable[str]
    ) -> dict[str, dict[str, PublishedClock]]:
        """The published clocks of each stay, by period key; a stay without clocks is absent."""
        found: dict[str, dict[str, PublishedClock]] = {}
        for chunk in _chunks(list(stay_ids)):
            query = sa.select(orm.clocks).where(orm.clocks.c.stay_id.in_(chunk))
            for row in await self.session.execute(query):
                found.setdefault(row.stay_id, {})[row.period_key] = _clock(row)
        return found

    async def save_clock(self, stay_id: str, clock: PublishedClock, now: datetime) -> None:
        await self.save_clocks([clock_values(stay_id, clock, now)])

    async def save_clocks(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert or replace clocks (`clock_values`); of several rows for one period, the last."""
        latest = {(r["stay_id"], r["period_key"]): r for r in rows}
        await _upsert_many(self.session, orm.clocks, ("stay_id", "period_key"), latest.values())

    async def running_clocks(self, municipality_her: str, today: date) -> list[sa.Row]:
        """Clocks running on `today` for the stays whose municipality is `municipality_her`."""
        c, s = orm.clocks, orm.stays
        query = (
            sa.select(c, s.c.hospital_trust, s.c.municipality_her, s.c.sector)
            .join(s, s.c.stay_id == c.c.stay_id)
            .where(
                s.c.municipality_her == municipality_her,
                c.c.state.in_([ClockState.RUNNING.value, ClockState.STOPPED.value]),
                c.c.started_on <= today,
                sa.or_(c.c.stops_on.is_(None), c.c.stops_on > today),
            )
            .order_by(c.c.started_on, c.c.stay_id, c.c.period_key)
        )
        return list(await self.session.execute(query))

    async def running_counts(self, today: date) -> dict[str, int]:
        """How many clocks run today, by municipality (for the metrics)."""
        c, s = orm.clocks, orm.stays
        query = (
            sa.select(s.c.municipality_her, sa.func.count())
            .join(s, s.c.stay_id == c.c.stay_id)
            .where(
                c.c.state.in_([ClockState.RUNNING.value, ClockState.STOPPED.value]),
                c.c.started_on <= today,
                sa.or_(c.c.stops_on.is_(None), c.c.stops_on > today),
            )
            .group_by(s.c.municipality_her)
        )
        return {row[0]: int(row[1]) for row in await self.session.execute(query)}

    async def stays_for_invoice(
        self, hospital_trust: str, municipality: str, first: date, end: date
    ) -> list[str]:
        """Stays of the pair with payable days in [first, end)."""
        s = orm.stays
        query = sa.select(s.c.stay_id).where(
            s.c.complete.is_(True),
            s.c.hospital_trust == hospital_trust,
            s.c.municipality_number == municipality,
            s.c.span_start < end,
            sa.or_(s.c.open_span.is_(True), s.c.span_end > first),
        )
        return list((await self.session.execute(query)).scalars())

    async def stay_ids(self) -> list[str]:
        return list((await self.session.execute(sa.select(orm.stays.c.stay_id))).scalars())


def clock_values(stay_id: str, clock: PublishedClock, now: datetime) -> dict[str, Any]:
    """The `clocks` row of a published clock."""
    return {
        "stay_id": stay_id,
        "period_key": clock.period_key,
        "state": clock.state.value,
        "started_on": clock.started_on,
        "notice_msg_id": clock.notice_msg_id,
        "hospital_her": clock.hospital_her,
        "municipality_number": clock.municipality,
        "daily_rate": clock.daily_rate,
        "stops_on": clock.stops_on,
        "end_reason": clock.end_reason,
        "days": clock.days,
        "amount": clock.amount,
        "unpriced_days": clock.unpriced_days,
        "reasons": dumps(list(clock.reasons)),
        "revision": clock.revision,
        "updated_at": now,
    }


def _clock(row: sa.Row) -> PublishedClock:
    return PublishedClock(
        period_key=row.period_key,
        state=ClockState(row.state),
        started_on=row.started_on,
        notice_msg_id=row.notice_msg_id,
        hospital_her=row.hospital_her,
        municipality=row.municipality_number,
        daily_rate=row.daily_rate,
        stops_on=row.stops_on,
        end_reason=row.end_reason,
        days=row.days,
        amount=row.amount,
        unpriced_days=row.unpriced_days,
        reasons=tuple(json.loads(row.reasons)),
        revision=row.revision,
    )


async def _upsert_many(
    session: Db, table: sa.Table, key: tuple[str, ...], rows: Iterable[Mapping[str, Any]]
) -> None:
    """Insert each row, or replace the one with its key: one statement for all of them."""
    rows = [dict(r) for r in rows]
    if rows:
        await session.execute(_upsert(_dialect(session), table, key), rows)


@cache
def _upsert(dialect: str, table: sa.Table, key: tuple[str, ...]) -> sa.Insert:
    """The statement of `_upsert_many`, built once: building it was a tenth of a poll's SQL time."""
    insert = _INSERTS[dialect](table)
    return insert.on_conflict_do_update(
        index_elements=list(key),
        set_={c.name: insert.excluded[c.name] for c in table.columns if c.name not in key},
    )


_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
"""INSERT ... ON CONFLICT DO UPDATE, in the two databases the hub runs on."""


def _dialect(session: Db) -> str:
    if isinstance(session, AsyncConnection):
        return session.dialect.name
    return session.get_bind().dialect.name


# --- invoices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredLine:
    invoice_id: str
    line_no: int
    line: InvoiceLine
    steps: tuple[str, ...]
    credit_invoice_id: str | None


class InvoiceRepository:
    def __init__(self, session: Db) -> None:
        self.session = session

    async def series(self, hospital_trust: str, municipality: str, month: str) -> list[sa.Row]:
        """Every document of one pair and month, first to last."""
        i = orm.invoices
        query = (
            sa.select(i)
            .where(
                i.c.hospital_trust == hospital_trust,
                i.c.municipality_number == municipality,
                i.c.month == month,
            )
            .order_by(i.c.sequence)
        )
        return list(await self.session.execute(query))

    async def series_lines(self, invoice_ids: Iterable[str]) -> list[StoredLine]:
        ids = list(invoice_ids)
        if not ids:
            return []
        query = (
            sa.select(orm.invoice_lines)
            .where(orm.invoice_lines.c.invoice_id.in_(ids))
            .order_by(orm.invoice_lines.c.invoice_id, orm.invoice_lines.c.line_no)
        )
        return [_stored_line(row) for row in await self.session.execute(query)]

    async def invoice(self, invoice_id: str) -> sa.Row | None:
        query = sa.select(orm.invoices).where(orm.invoices.c.invoice_id == invoice_id)
        return (await self.session.execute(query)).first()

    async def lines(self, invoice_id: str) -> list[StoredLine]:
        return await self.series_lines([invoice_id])

    async def line(self, invoice_id: str, line_no: int) -> StoredLine | None:
        query = sa.select(orm.invoice_lines).where(
            orm.invoice_lines.c.invoice_id == invoice_id, orm.invoice_lines.c.line_no == line_no
        )
        row = (await self.session.execute(query)).first()
        return _stored_line(row) if row else None

    async def add(
        self, invoice: Mapping[str, Any], lines: Iterable[tuple[InvoiceLine, tuple[str, ...]]]
    ) -> None:
        await self.session.execute(sa.insert(orm.invoices).values(dict(invoice)))
        rows = [
            _line_row(invoice["invoice_id"], number, line, steps)
            for number, (line, steps) in enumerate(lines, 1)
        ]
        if rows:
            await self.session.execute(sa.insert(orm.invoice_lines), rows)

    async def set_dispute(
        self, invoice_id: str, line_no: int, dispute: Dispute, credit_invoice_id: str | None = None
    ) -> None:
        values: dict[str, Any] = {
            "dispute_status": dispute.status.value,
            "dispute_reason": dispute.reason.value if dispute.reason else None,
            "dispute_note": dispute.note,
            "dispute_resolution": dispute.resolution,
        }
        if credit_invoice_id is not None:
            values["credit_invoice_id"] = credit_invoice_id
        await self.session.execute(
            sa.update(orm.invoice_lines)
            .where(
                orm.invoice_lines.c.invoice_id == invoice_id,
                orm.invoice_lines.c.line_no == line_no,
            )
            .values(values)
        )

    async def log_dispute(self, values: Mapping[str, Any]) -> None:
        await self.session.execute(sa.insert(orm.dispute_log).values(dict(values)))

    async def dispute_log(self, invoice_id: str, line_no: int) -> list[sa.Row]:
        d = orm.dispute_log
        query = (
            sa.select(d)
            .where(d.c.invoice_id == invoice_id, d.c.line_no == line_no)
            .order_by(d.c.id)
        )
        return list(await self.session.execute(query))


def _line_row(
    invoice_id: str, line_no: int, line: InvoiceLine, steps: tuple[str, ...]
) -> dict[str, Any]:
    answer = line.answer
    return {
        "invoice_id": invoice_id,
        "line_no": line_no,
        "line_ref": line.line_id,
        "kind": line.kind.value,
        "stay_ref": line.stay_ref,
        "period_key": line.period_key,
        "month": line.month,
        "hospital_trust": line.hospital_trust,
        "hospital_unit": line.hospital_unit,
        "municipality": line.municipality,
        "admitted_at": line.admitted_at,
        "admission_notice_at": line.admission_notice_at,
        "readiness_notice_at": line.readiness_notice_at,
        "answer": dumps(_answer_json(answer)) if answer else None,
        "end_reason": line.end_reason.value,
        "end_date": line.end_date,
        "first_day": line.first_day,
        "end_day": line.end_day,
        "days": line.days,
        "rate": line.rate,
        "amount": line.amount,
        "profile_id": line.profile_id,
        "message_ids": dumps(list(line.message_ids)),
        "credits_line_ref": line.credits_line_id,
        "steps": dumps(list(steps)),
        "dispute_status": line.dispute.status.value,
        "dispute_reason": line.dispute.reason.value if line.dispute.reason else None,
        "dispute_note": line.dispute.note,
        "dispute_resolution": line.dispute.resolution,
        "credit_invoice_id": None,
    }


def _answer_json(answer: MunicipalResponse) -> dict[str, Any]:
    return {
        "message_id": answer.message_id,
        "answered_at": answer.answered_at.isoformat(),
        "can_receive": answer.can_receive,
        "day": answer.day.isoformat() if answer.day else None,
        "via_housing": answer.via_housing,
    }


def _answer(document: Mapping[str, Any]) -> MunicipalResponse:
    return MunicipalResponse(
        message_id=document["message_id"],
        answered_at=datetime.fromisoformat(document["answered_at"]),
        can_receive=document["can_receive"],
        day=date.fromisoformat(document["day"]) if document.get("day") else None,
        via_housing=document.get("via_housing", False),
    )


def _stored_line(row: sa.Row) -> StoredLine:
    line = InvoiceLine(
        line_id=row.line_ref,
        kind=LineKind(row.kind),
        stay_ref=row.stay_ref,
        period_key=row.period_key,
        month=row.month,
        hospital_trust=row.hospital_trust,
        hospital_unit=row.hospital_unit,
        municipality=row.municipality,
        admitted_at=stored_utc(row.admitted_at),  # type: ignore[arg-type]
        admission_notice_at=stored_utc(row.admission_notice_at),
        readiness_notice_at=stored_utc(row.readiness_notice_at),  # type: ignore[arg-type]
        answer=_answer(json.loads(row.answer)) if row.answer else None,
        end_reason=EndReason(row.end_reason),
        end_date=row.end_date,
        first_day=row.first_day,
        end_day=row.end_day,
        days=row.days,
        rate=row.rate,
        amount=Decimal(row.amount),
        profile_id=row.profile_id,
        message_ids=tuple(json.loads(row.message_ids)),
        credits_line_id=row.credits_line_ref,
        dispute=Dispute(
            status=DisputeStatus(row.dispute_status),
            reason=DisputeReason(row.dispute_reason) if row.dispute_reason else None,
            note=row.dispute_note,
            resolution=row.dispute_resolution,
        ),
    )
    return StoredLine(
        row.invoice_id, row.line_no, line, tuple(json.loads(row.steps)), row.credit_invoice_id
    )
