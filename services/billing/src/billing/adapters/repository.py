"""Repositories of the billing database (SQLAlchemy Core)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
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

Db = AsyncConnection | AsyncSession
"""What a unit of work hands out: a Core connection (the runtime's) or an ORM session."""


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored instant is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
    data: dict[str, Any]

    @property
    def stored(self) -> StoredFact:
        return StoredFact(
            self.event_id, self.event_type, self.fact, self.stay_ref, self.from_admission
        )


class FactStore:
    """Append-only: facts are added, never changed or removed."""

    def __init__(self, session: Db) -> None:
        self.session = session

    async def has(self, event_id: str) -> bool:
        query = sa.select(sa.literal(1)).where(orm.facts.c.event_id == event_id)
        return (await self.session.execute(query)).first() is not None

    async def add(self, values: Mapping[str, Any]) -> None:
        await self.session.execute(sa.insert(orm.facts).values(dict(values)))

    async def for_stay(self, stay_id: str) -> list[FactRow]:
        query = (
            sa.select(orm.facts)
            .where(orm.facts.c.stay_id == stay_id)
            .order_by(orm.facts.c.gen_date, orm.facts.c.event_id)
        )
        return [_fact_row(row) for row in await self.session.execute(query)]

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
        event_time=utc(row.event_time),  # type: ignore[arg-type]
        consumed_at=utc(row.consumed_at),  # type: ignore[arg-type]
        message_id=row.message_id,
        gen_date=utc(row.gen_date),
        received_at=utc(row.received_at),
        from_admission=row.from_admission,
        fact=fact_from_json(json.loads(row.fact)),
        stay_ref=StayRef.from_json(json.loads(row.stay_ref)) if row.stay_ref else None,
        data=json.loads(row.data),
    )


# --- projections ----------------------------------------------------------------------------


class Projection:
    """The stays and their published clocks, as of the last recomputation."""

    def __init__(self, session: Db) -> None:
        self.session = session

    async def save_stay(self, values: Mapping[str, Any]) -> None:
        await _upsert(self.session, orm.stays, {"stay_id": values["stay_id"]}, values)

    async def stay(self, stay_id: str) -> sa.Row | None:
        query = sa.select(orm.stays).where(orm.stays.c.stay_id == stay_id)
        return (await self.session.execute(query)).first()

    async def clocks(self, stay_id: str) -> dict[str, PublishedClock]:
        query = sa.select(orm.clocks).where(orm.clocks.c.stay_id == stay_id)
        return {row.period_key: _clock(row) for row in await self.session.execute(query)}

    async def save_clock(self, stay_id: str, clock: PublishedClock, now: datetime) -> None:
        values = {
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
        key = {"stay_id": stay_id, "period_key": clock.period_key}
        await _upsert(self.session, orm.clocks, key, values)

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


async def _upsert(
    session: Db, table: sa.Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    where = [table.c[name] == value for name, value in key.items()]
    exists = (await session.execute(sa.select(sa.literal(1)).where(*where))).first()
    if exists:
        await session.execute(sa.update(table).where(*where).values(dict(values)))
    else:
        await session.execute(sa.insert(table).values(dict(values)))


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
        admitted_at=utc(row.admitted_at),  # type: ignore[arg-type]
        admission_notice_at=utc(row.admission_notice_at),
        readiness_notice_at=utc(row.readiness_notice_at),  # type: ignore[arg-type]
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
