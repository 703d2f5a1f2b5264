"""The stay repository (SQLAlchemy Core: the hot path stays lean)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from admission_notice.adapters.orm import stays
from admission_notice.domain import Stay, StayKey, StayStatus
from hub_shared.db import stored_utc

# Built once: on SQLite, building a statement costs more than running it.
_BY_ID = sa.select(stays).where(stays.c.stay_id == sa.bindparam("stay_id"))
_BY_KEY = sa.select(stays).where(
    stays.c.patient_id == sa.bindparam("patient_id"),
    stays.c.hospital_her == sa.bindparam("hospital_her"),
    stays.c.admitted_at == sa.bindparam("admitted_at"),
)
_INSERT = stays.insert()
_UPDATE = sa.update(stays).where(stays.c.stay_id == sa.bindparam("b_stay_id"))


class StayRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, stay_id: str) -> Stay | None:
        row = (await self.session.execute(_BY_ID, {"stay_id": stay_id})).first()
        return _to_stay(row) if row else None

    async def by_key(self, key: StayKey) -> Stay | None:
        values = {
            "patient_id": key.patient_id,
            "hospital_her": key.hospital_her,
            "admitted_at": key.admitted_at,
        }
        row = (await self.session.execute(_BY_KEY, values)).first()
        return _to_stay(row) if row else None

    async def save(self, stay: Stay, *, is_new: bool) -> None:
        values = _to_row(stay)
        if is_new:
            await self.session.execute(_INSERT, values)
        else:
            await self.session.execute(_UPDATE, {"b_stay_id": stay.stay_id, **values})


def _to_stay(row: sa.Row) -> Stay:
    return Stay(
        stay_id=row.stay_id,
        key=StayKey(row.patient_id, row.hospital_her, stored_utc(row.admitted_at)),
        unit_her=row.unit_her,
        municipality_her=row.municipality_her,
        sector=row.sector,
        admitted_estimated=row.admitted_estimated,
        without_fixed_home=row.without_fixed_home,
        status=StayStatus(row.status),
        conversation_id=row.conversation_id,
        last_msg_id=row.last_msg_id,
        notified_at=stored_utc(row.notified_at),
        updated_at=stored_utc(row.updated_at),
        cancelled_at=stored_utc(row.cancelled_at) if row.cancelled_at else None,
    )


def _to_row(stay: Stay) -> dict:
    return {
        "stay_id": stay.stay_id,
        "patient_id": stay.key.patient_id,
        "hospital_her": stay.key.hospital_her,
        "admitted_at": stay.key.admitted_at,
        "unit_her": stay.unit_her,
        "municipality_her": stay.municipality_her,
        "sector": stay.sector,
        "admitted_estimated": stay.admitted_estimated,
        "without_fixed_home": stay.without_fixed_home,
        "status": stay.status.value,
        "conversation_id": stay.conversation_id,
        "last_msg_id": stay.last_msg_id,
        "notified_at": stay.notified_at,
        "updated_at": stay.updated_at,
        "cancelled_at": stay.cancelled_at,
    }
