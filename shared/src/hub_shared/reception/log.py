"""The message log: every received MsgId with the AppRec it was answered with."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

    from hub_shared.db.uow import UnitOfWork


@dataclass(frozen=True)
class StoredAnswer:
    """The AppRec already given for a MsgId: a duplicate gets exactly this again."""

    apprec: bytes
    accepted: bool
    stay_id: str | None
    error_codes: str


class MessageLog:
    """The unit of work's message log (`uow.message_log`). New entries are staged and written
    together at the commit; every read here first writes what is staged."""

    def __init__(self, uow: UnitOfWork) -> None:
        assert uow.message_log is not None, "this unit of work has no message log"
        self.uow = uow
        self.table = uow.message_log

    async def answer_for(self, msg_id: str) -> StoredAnswer | None:
        return (await self.answers_for([msg_id])).get(msg_id)

    async def answers_for(self, msg_ids: list[str]) -> dict[str, StoredAnswer]:
        """The answers already given to any of these MsgIds, by MsgId."""
        session = await self._flushed()
        rows = await session.execute(_answers_query(self.table), {"msg_ids": msg_ids})
        return {
            r.msg_id: StoredAnswer(r.apprec, r.accepted, r.stay_id, r.error_codes) for r in rows
        }

    async def stay_of(self, msg_ids: tuple[str, ...]) -> str | None:
        """The stay an earlier message was linked to (ConversationRef of changes and cancellations)."""
        if not msg_ids:
            return None
        t = self.table
        query = sa.select(t.c.stay_id).where(t.c.msg_id.in_(msg_ids), t.c.stay_id.is_not(None))
        return (await (await self._flushed()).execute(query)).scalars().first()

    def add(self, **values: object) -> None:
        self.uow.stage_row(self.table, values)

    async def link(self, msg_ids: list[str], stay_id: str) -> None:
        """Link logged messages to a stay (messages that moved to the stay they belong to)."""
        if not msg_ids:
            return
        t = self.table
        query = sa.update(t).where(t.c.msg_id.in_(msg_ids)).values(stay_id=stay_id)
        await (await self._flushed()).execute(query)

    async def for_stay(self, stay_id: str) -> list[sa.Row]:
        t = self.table
        query = (
            sa.select(t.c.msg_id, t.c.msg_type, t.c.gen_date, t.c.received_at, t.c.accepted)
            .where(t.c.stay_id == stay_id)
            .order_by(t.c.received_at)
        )
        return list((await (await self._flushed()).execute(query)).all())

    async def _flushed(self) -> AsyncConnection | AsyncSession:
        await self.uow.flush()
        return self.uow.session


# Statements built once per table: building a statement costs more than running it on SQLite,
# and a constant one also keeps its cache key for SQLAlchemy's compiled-SQL cache.
@cache
def _answers_query(t: sa.Table) -> sa.Select:
    return sa.select(t.c.msg_id, t.c.apprec, t.c.accepted, t.c.stay_id, t.c.error_codes).where(
        t.c.msg_id.in_(sa.bindparam("msg_ids", expanding=True))
    )
