"""The audit log: every access to patient data, who made it and why (Normen: logging of access)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from hub_shared.auth import Caller
from hub_shared.db.tables import BigId


def audit_columns() -> list[sa.Column]:
    return [
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(60), nullable=False),
        sa.Column("action", sa.String(120), nullable=False),
        sa.Column("stay_id", sa.String(36), nullable=True, index=True),
        sa.Column("detail", sa.String(400), nullable=False, server_default=""),
    ]


def add_audit_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("audit_log", metadata, *audit_columns())


def create_audit_table(op) -> None:  # type: ignore[no-untyped-def]
    op.create_table("audit_log", *audit_columns())


async def record_access(
    session: AsyncSession,
    table: sa.Table,
    caller: Caller,
    action: str,
    *,
    stay_id: str | None = None,
    detail: str = "",
) -> None:
    """Write one audit entry in the caller's transaction (never the patient number itself)."""
    await session.execute(
        sa.insert(table).values(
            at=datetime.now(UTC),
            caller=caller.audit_name,
            action=action,
            stay_id=stay_id,
            detail=detail[:400],
        )
    )
