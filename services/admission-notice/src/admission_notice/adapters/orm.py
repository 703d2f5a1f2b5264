"""The admission-notice database: stays, plus the shared message log, outbox and processed events."""

from __future__ import annotations

import sqlalchemy as sa

from hub_shared.audit import add_audit_table
from hub_shared.db import add_infrastructure_tables, add_message_log_table

metadata = sa.MetaData()


def stay_columns() -> list[sa.Column]:
    return [
        sa.Column("stay_id", sa.String(36), primary_key=True),
        sa.Column("patient_id", sa.String(20), nullable=False),
        sa.Column("hospital_her", sa.String(20), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_her", sa.String(20), nullable=True),
        sa.Column("municipality_her", sa.String(20), nullable=False),
        sa.Column("sector", sa.String(20), nullable=False),
        sa.Column("admitted_estimated", sa.Boolean, nullable=False),
        sa.Column("without_fixed_home", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("last_msg_id", sa.String(200), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_stays_key", "patient_id", "hospital_her", "admitted_at"),
    ]


received_messages = add_message_log_table(metadata)
stays = sa.Table(
    "stays",
    metadata,
    *stay_columns(),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),  # migration 0003
)
outbox, processed_events = add_infrastructure_tables(metadata)
audit_log = add_audit_table(metadata)
