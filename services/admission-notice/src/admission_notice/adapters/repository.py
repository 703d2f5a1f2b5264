"""The stay repository (SQLAlchemy Core: the hot path stays lean)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from admission_notice.adapters.orm import stays
from admission_notice.domain import Stay, StayKey, StayStatus
from hub_shared.db import stored_utc
from hub_shared.db.uow import UnitOfWork

# Built once: on SQLite, building a statement costs more than running it.
# By patient, not by the whole key: SQLite answers a row-value IN by scanning the table, and a
# patient has few stays. Both halves use an index (SQLite's multi-index OR, PostgreSQL's bitmap).
# On PostgreSQL the stays read are locked until the commit, in stay id order (so that two
# replicas' batches cannot deadlock in one read): a replica's change of a stay cannot be
# overwritten by another's copy read earlier. SQLite has one writer and no FOR UPDATE.
_BY_PATIENTS_OR_IDS = (
    sa.select(stays)
    .where(
        sa.or_(
            stays.c.patient_id.in_(sa.bindparam("patients", expanding=True)),
            stays.c.stay_id.in_(sa.bindparam("ids", expanding=True)),
        )
    )
    .order_by(stays.c.stay_id)
    .with_for_update()
)
_UPDATE = sa.update(stays).where(stays.c.stay_id == sa.bindparam("b_stay_id"))


class StayRepository:
    """The stays of one unit of work (`uow.scoped(StayRepository)`), with an identity map.

    Every stay read or saved in the transaction is kept, and so is every key found to have no
    stay: a group commit reads its messages' stays in one statement (`prefetch`) and each
    message then finds its stay, or its absence, in memory, the stays saved by the messages
    before it included. New stays are staged and inserted together at the commit. Whatever
    goes to the database itself (a read of a stay not kept, an update) first writes what is
    staged, so that it sees and touches the stays inserted in this transaction.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._by_id: dict[str, Stay | None] = {}
        self._by_key: dict[StayKey, str | None] = {}

    async def prefetch(self, keys: Iterable[StayKey], ids: Iterable[str] = ()) -> None:
        """Read the stays of all these keys and ids at once (none: remembered as absent)."""
        new_keys = [k for k in dict.fromkeys(keys) if k not in self._by_key]
        new_ids = [i for i in dict.fromkeys(ids) if i not in self._by_id]
        if not new_keys and not new_ids:
            return
        patients = list({k.patient_id for k in new_keys})
        await self.uow.flush()
        rows = await self.uow.session.execute(
            _BY_PATIENTS_OR_IDS, {"patients": patients, "ids": new_ids}
        )
        for row in rows:
            self._seen(_to_stay(row))
        for key in new_keys:
            self._by_key.setdefault(key, None)
        for stay_id in new_ids:
            self._by_id.setdefault(stay_id, None)

    async def get(self, stay_id: str) -> Stay | None:
        if stay_id not in self._by_id:
            await self.prefetch((), [stay_id])
        return self._by_id[stay_id]

    async def by_key(self, key: StayKey) -> Stay | None:
        if key not in self._by_key:
            await self.prefetch([key])
        stay_id = self._by_key[key]
        return None if stay_id is None else self._by_id[stay_id]

    async def save(self, stay: Stay, *, is_new: bool) -> None:
        if is_new:
            self.uow.stage_row(stays, _to_row(stay))
        else:
            await self.uow.flush()
            await self.uow.session.execute(_UPDATE, {"b_stay_id": stay.stay_id, **_to_row(stay)})
        before = self._by_id.get(stay.stay_id)
        if before is not None and before.key != stay.key:
            self._by_key.pop(before.key, None)  # a corrected admission time: read the old anew
        self._by_id[stay.stay_id] = stay
        self._by_key[stay.key] = stay.stay_id

    def _seen(self, stay: Stay) -> None:
        # What this transaction saved is newer than any read; a stay remembered as absent may
        # have been committed by another replica since. For a key with several stays, the
        # lowest stay id stands.
        if self._by_id.get(stay.stay_id) is None:
            self._by_id[stay.stay_id] = stay
        if self._by_key.get(stay.key) is None:
            self._by_key[stay.key] = stay.stay_id


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
