"""The stay repository: stays with their timeline entries (SQLAlchemy Core)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from discharge_ready.adapters.orm import stays, timeline_entries
from discharge_ready.domain import (
    Admission,
    AnswerDetails,
    Details,
    DischargeDetails,
    Dispatch,
    Entry,
    Kind,
    MeetingDetails,
    Organisation,
    Patient,
    ReadyDetails,
    Stay,
    Timeline,
    WithdrawalDetails,
)
from hub_shared.db import stored_utc
from hub_shared.timeutil import utc_now

_DETAILS: dict[Kind, type] = {
    Kind.READY_NOTICE: ReadyDetails,
    Kind.WITHDRAWAL: WithdrawalDetails,
    Kind.ANSWER: AnswerDetails,
    Kind.DISCHARGE: DischargeDetails,
    Kind.COOPERATION_MEETING: MeetingDetails,
}
_DATETIME_FIELDS = {"ready_at", "withdrawn_at", "discharged_at", "called_at", "planned_for"}
_DATE_FIELDS = {"ready_on", "ready_from", "expected_on"}


class StayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- reading --------------------------------------------------------------------------
    # Writers read with lock=True: on PostgreSQL the stay row stays locked until commit, so
    # that two messages of one stay are applied one after the other (SQLite writes serially).
    async def get(self, stay_id: str, *, lock: bool = False) -> Stay | None:
        query = _locked(sa.select(stays).where(stays.c.stay_id == stay_id), lock)
        row = (await self.session.execute(query)).first()
        return (await self._with_timelines([row]))[0] if row else None

    async def by_key(
        self, patient_id: str, hospital_her: str, admitted_at: datetime, *, lock: bool = False
    ) -> Stay | None:
        query = sa.select(stays).where(
            stays.c.patient_id == patient_id,
            stays.c.hospital_her == hospital_her,
            stays.c.admitted_at == admitted_at,
        )
        row = (await self.session.execute(_locked(query, lock))).first()
        return (await self._with_timelines([row]))[0] if row else None

    async def of_patient(
        self, patient_id: str, hospital_her: str, *, lock: bool = False
    ) -> list[Stay]:
        """Every stay of the patient at the hospital, the unlinked one included."""
        query = sa.select(stays).where(
            stays.c.patient_id == patient_id, stays.c.hospital_her == hospital_her
        )
        rows = (await self.session.execute(_locked(query, lock))).all()
        return await self._with_timelines(list(rows))

    async def stay_of_entries(self, entry_ids: Iterable[str]) -> str | None:
        """The stay an earlier message or registration is on (ConversationRef links)."""
        ids = [i for i in entry_ids if i]
        if not ids:
            return None
        t = timeline_entries
        query = sa.select(t.c.stay_id).where(t.c.entry_id.in_(ids))
        return (await self.session.execute(query)).scalars().first()

    async def _with_timelines(self, rows: list[sa.Row]) -> list[Stay]:
        ids = [r.stay_id for r in rows]
        query = sa.select(timeline_entries).where(timeline_entries.c.stay_id.in_(ids))
        entries: dict[str, list[Entry]] = {i: [] for i in ids}
        for row in (await self.session.execute(query)).all():
            entries[row.stay_id].append(_to_entry(row))
        return [_to_stay(r, Timeline(tuple(entries[r.stay_id]))) for r in rows]

    # --- writing --------------------------------------------------------------------------
    async def add(self, stay: Stay) -> None:
        await self.session.execute(sa.insert(stays).values(_stay_row(stay)))

    async def update(self, stay: Stay) -> None:
        query = sa.update(stays).where(stays.c.stay_id == stay.stay_id)
        await self.session.execute(query.values(_stay_row(stay)))

    async def add_entry(self, stay_id: str, entry: Entry) -> None:
        await self.session.execute(sa.insert(timeline_entries).values(_entry_row(stay_id, entry)))

    async def delete(self, stay_id: str) -> None:
        """A stay whose entries have all moved to another (a corrected admission time)."""
        await self.session.execute(sa.delete(stays).where(stays.c.stay_id == stay_id))

    async def move_entries(self, entries: Iterable[Entry], stay_id: str) -> None:
        """Waiting entries adopted by their stay (the message log follows: `MessageLog.link`)."""
        for entry in entries:
            t = timeline_entries
            query = sa.update(t).where(t.c.entry_id == entry.entry_id)
            await self.session.execute(query.values(stay_id=stay_id, target=entry.target))


def _locked(query: sa.Select, lock: bool) -> sa.Select:
    return query.with_for_update() if lock else query


def _stay_row(stay: Stay) -> dict[str, Any]:
    return {
        "stay_id": stay.stay_id,
        "patient_id": stay.patient.id,
        "patient_id_type": stay.patient.id_type,
        "family_name": stay.patient.family_name,
        "given_name": stay.patient.given_name,
        "hospital_her": stay.hospital_her,
        "unit_her": stay.unit_her,
        "municipality_her": stay.municipality_her,
        "sector": stay.sector,
        "admitted_at": stay.admitted_at,
        "admission": stay.admission.value,
        "updated_at": utc_now(),
    }


def _to_stay(row: sa.Row, timeline: Timeline) -> Stay:
    return Stay(
        stay_id=row.stay_id,
        patient=Patient(row.patient_id, row.patient_id_type, row.family_name, row.given_name),
        hospital_her=row.hospital_her,
        unit_her=row.unit_her,
        municipality_her=row.municipality_her,
        sector=row.sector,
        admitted_at=stored_utc(row.admitted_at),
        admission=Admission(row.admission),
        timeline=timeline,
    )


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(asdict(value), default=lambda v: v.isoformat(), sort_keys=True)


def _entry_row(stay_id: str, entry: Entry) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "stay_id": stay_id,
        "kind": entry.kind.value,
        "status": entry.status.value,
        "sent_at": entry.sent_at,
        "received_at": entry.received_at,
        "refs": json.dumps(list(entry.refs)),
        "target": entry.target,
        "details": _json(entry.details),
        "hospital": _json(entry.hospital),
        "municipality": _json(entry.municipality),
        "msg_type": entry.msg_type,
        "version": entry.version,
    }


def _details(kind: Kind, text: str | None) -> Details | None:
    if text is None:
        return None
    values = json.loads(text)
    for name, value in values.items():
        if value is not None and name in _DATETIME_FIELDS:
            values[name] = datetime.fromisoformat(value)
        elif value is not None and name in _DATE_FIELDS:
            values[name] = date.fromisoformat(value)
    return _DETAILS[kind](**values)


def _organisation(text: str | None) -> Organisation | None:
    return None if text is None else Organisation(**json.loads(text))


def _to_entry(row: sa.Row) -> Entry:
    kind = Kind(row.kind)
    return Entry(
        entry_id=row.entry_id,
        kind=kind,
        status=Dispatch(row.status),
        sent_at=stored_utc(row.sent_at),  # type: ignore[arg-type]
        received_at=stored_utc(row.received_at),  # type: ignore[arg-type]
        details=_details(kind, row.details),
        refs=tuple(json.loads(row.refs)),
        target=row.target,
        hospital=_organisation(row.hospital),
        municipality=_organisation(row.municipality),
        msg_type=row.msg_type,
        version=row.version,
    )
