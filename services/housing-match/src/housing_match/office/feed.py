"""The office's consumer: what admission.v1, discharge.v1 and billing.v1 tell the office's pages.

Consumer group `housing-match-office`, beside the service's own group (which keeps the cases):
the office records each event of a stay on its timeline with the message id behind it, the
patient's initials for the pseudonymous lists, billing's payment clocks (latest revision of each
period) and the invoices billing issued. So the pages show clocks and kroner without calling
billing. Idempotent through the consumer's processed-event record; a clock event of an older
revision than the one stored changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from housing_match.office import tables
from housing_match.office.formatting import initials
from hub_shared.db.uow import UnitOfWork
from hub_shared.events import parse_data, topics
from hub_shared.events.admission import AdmissionCancelled, AdmissionChanged, AdmissionNotified
from hub_shared.events.billing import (
    InvoiceIssued,
    PaymentClockStarted,
    PaymentClockStopped,
    PaymentClockVoided,
)
from hub_shared.events.discharge import (
    CooperationMeetingCalled,
    DischargeMessageCancelled,
    DischargeReadyNotified,
    DischargeReadyWithdrawn,
    MunicipalityAnswered,
    PatientDischarged,
)
from hub_shared.events.envelope import Envelope
from hub_shared.events.registry import UnknownEventType
from hub_shared.register import AddressRegister
from hub_shared.timeutil import OSLO, instant_utc

OFFICE_CONSUMER_GROUP = "housing-match-office"
OFFICE_TOPICS = (topics.ADMISSION, topics.DISCHARGE, topics.BILLING)
RUNNING, STOPPED, VOID = "running", "stopped", "void"


def start_of(day: date) -> datetime:
    """Midnight at the start of an Oslo day, as a UTC instant."""
    return datetime.combine(day, time(), tzinfo=OSLO).astimezone(UTC)


def end_of(day: date) -> datetime:
    """The last second of an Oslo day, as a UTC instant."""
    return start_of(day + timedelta(days=1)) - timedelta(seconds=1)


class OfficeFeed:
    """Applies one event to the office's tables (in the consumer's unit of work)."""

    def __init__(self, register: AddressRegister, now: Callable[[], datetime]) -> None:
        self.register = register
        self.now = now

    def organisation(self, her_id: str | None) -> str | None:
        return self.register.organisation_id(her_id)

    async def apply(self, uow: UnitOfWork, envelope: Envelope) -> None:
        try:
            data = parse_data(envelope)
        except UnknownEventType:
            return
        conn = uow.session
        event_id = str(envelope.id)
        published = instant_utc(envelope.time)
        seen = _stay_seen(data)
        if seen is not None:
            await self._stay(conn, data.stay_id, *seen)
        entry = _timeline_entry(data)
        if entry is not None:
            await self._event(conn, event_id, data, published, entry)
        match data:
            case PaymentClockStarted():
                await self._clock(conn, event_id, data, RUNNING, published)
            case PaymentClockStopped():
                await self._clock(conn, event_id, data, STOPPED, published)
            case PaymentClockVoided():
                await self._clock(conn, event_id, data, VOID, published)
            case InvoiceIssued():
                await self._invoice(conn, event_id, data)

    async def _stay(
        self, conn: Any, stay_id: str, municipality_her: str | None, initials: str | None
    ) -> None:
        values: dict[str, Any] = {
            "municipality_her": self.organisation(municipality_her),
            "updated_at": self.now(),
        }
        if initials is not None:
            values["initials"] = initials
        table = tables.office_stays
        found = await conn.execute(sa.select(table.c.stay_id).where(table.c.stay_id == stay_id))
        if found.first() is None:
            await conn.execute(sa.insert(table).values(stay_id=stay_id, **values))
        else:
            await conn.execute(sa.update(table).where(table.c.stay_id == stay_id).values(values))

    async def _event(
        self, conn: Any, event_id: str, data: Any, published: datetime, entry: TimelineEntry
    ) -> None:
        table = tables.office_events
        found = await conn.execute(sa.select(table.c.event_id).where(table.c.event_id == event_id))
        if found.first() is not None:
            return
        await conn.execute(
            sa.insert(table).values(
                event_id=event_id,
                stay_id=data.stay_id,
                topic=data.TOPIC,
                type=data.EVENT_TYPE,
                occurred_at=instant_utc(entry.occurred_at),
                published_at=published,
                msg_id=entry.msg_id,
                detail=entry.detail,
            )
        )

    async def _clock(
        self, conn: Any, event_id: str, data: Any, state: str, published: datetime
    ) -> None:
        table = tables.office_clocks
        key = (table.c.stay_id == data.stay_id, table.c.period_key == data.period_key)
        stored = (await conn.execute(sa.select(table).where(*key))).first()
        detail: dict[str, Any] = {"period_key": data.period_key, "revision": data.revision}
        values: dict[str, Any] = {
            "revision": data.revision,
            "state": state,
            "event_id": event_id,
            "updated_at": self.now(),
        }
        if isinstance(data, PaymentClockStarted):
            values.update(
                started_on=data.started_on,
                stops_on=None,
                end_reason=None,
                days=None,
                amount=None,
                unpriced_days=0,
                daily_rate=data.daily_rate,
                municipality_number=data.municipality_number,
                hospital_her=data.hospital_her,
                notice_msg_id=data.notice_msg_id,
            )
            detail.update(
                started_on=data.started_on.isoformat(),
                daily_rate=str(data.daily_rate) if data.daily_rate is not None else None,
            )
            occurred = end_of(data.started_on)
        elif isinstance(data, PaymentClockStopped):
            values.update(
                started_on=data.started_on,
                stops_on=data.stopped_on,
                end_reason=data.end_reason,
                days=data.days,
                amount=data.amount,
                unpriced_days=data.unpriced_days,
            )
            detail.update(
                started_on=data.started_on.isoformat(),
                stopped_on=data.stopped_on.isoformat(),
                end_reason=data.end_reason,
                days=data.days,
                amount=str(data.amount),
                unpriced_days=data.unpriced_days,
            )
            occurred = start_of(data.stopped_on)
        else:
            detail["reasons"] = list(data.reasons)
            occurred = published
        msg_id = stored.notice_msg_id if stored is not None else None
        if isinstance(data, PaymentClockStarted):
            msg_id = data.notice_msg_id
        entry = TimelineEntry(occurred, msg_id, detail)
        await self._event(conn, event_id, data, published, entry)
        if stored is None:
            if "started_on" not in values:  # voided before the office heard of it: nothing to show
                return
            await conn.execute(
                sa.insert(table).values(stay_id=data.stay_id, period_key=data.period_key, **values)
            )
        elif data.revision > stored.revision:
            await conn.execute(sa.update(table).where(*key).values(values))

    async def _invoice(self, conn: Any, event_id: str, data: InvoiceIssued) -> None:
        table = tables.office_invoices
        found = await conn.execute(
            sa.select(table.c.invoice_id).where(table.c.invoice_id == data.invoice_id)
        )
        if found.first() is not None:
            return
        await conn.execute(
            sa.insert(table).values(
                invoice_id=data.invoice_id,
                hospital_trust=data.hospital_trust,
                municipality_number=data.municipality_number,
                month=data.month,
                issued_at=instant_utc(data.issued_at),
                lines=data.lines,
                total=data.total,
                total_days=data.total_days,
                sequence=data.sequence,
                document_type=data.document_type,
                corrects_invoice_id=data.corrects_invoice_id,
                event_id=event_id,
            )
        )


@dataclass(frozen=True)
class TimelineEntry:
    """What a stay's timeline on the office pages shows of one event."""

    occurred_at: datetime
    msg_id: str | None
    detail: dict[str, Any]


def _stay_seen(data: Any) -> tuple[str | None, str | None] | None:
    """The stay's municipality and the patient's initials, from the events that carry them."""
    match data:
        case AdmissionCancelled():
            return data.municipality.her_id, None
        case AdmissionNotified():  # AdmissionChanged too
            patient = data.patient
            return data.municipality.her_id, initials(patient.given_name, patient.family_name)
        case DischargeReadyNotified():
            patient = data.stay.patient
            return data.stay.municipality.her_id, initials(patient.given_name, patient.family_name)
    return None


def _timeline_entry(data: Any) -> TimelineEntry | None:
    """The timeline entry of an admission or discharge event; None for the others."""
    match data:
        case AdmissionCancelled():
            detail = {"cancels_msg_id": data.cancels_msg_id}
            return TimelineEntry(data.message.gen_date, data.message.msg_id, detail)
        case AdmissionNotified():
            detail = {
                "admitted_at": data.admitted_at.isoformat(),
                "notice_at": data.message.gen_date.isoformat(),
                "hospital": data.hospital.name or data.hospital.her_id,
                "unit": data.hospital.unit_name,
                "without_fixed_home": data.without_fixed_home,
                "changed": isinstance(data, AdmissionChanged),
            }
            return TimelineEntry(data.admitted_at, data.message.msg_id, detail)
        case DischargeReadyNotified():
            detail = {"ready_on": data.ready_on.isoformat(), "changed": bool(data.replaces_msg_id)}
            return TimelineEntry(data.message.gen_date, data.message.msg_id, detail)
        case DischargeReadyWithdrawn():
            return TimelineEntry(data.withdrawn_at, data.message.msg_id, {})
        case MunicipalityAnswered():
            detail = {
                "can_receive": data.can_receive,
                "ready_from": _iso(data.ready_from),
                "expected_on": _iso(data.expected_on),
                "structured": data.structured,
            }
            return TimelineEntry(data.answered_at, data.message.msg_id, detail)
        case PatientDischarged():
            return TimelineEntry(data.discharged_at, data.message.msg_id, {"died": data.died})
        case DischargeMessageCancelled():
            detail = {"cancels_msg_id": data.cancels_msg_id, "cancelled_type": data.cancelled_type}
            return TimelineEntry(data.message.gen_date, data.message.msg_id, detail)
        case CooperationMeetingCalled():
            detail = {"planned_for": _iso(data.planned_for)}
            return TimelineEntry(data.called_at, data.registration_id, detail)
    return None


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
