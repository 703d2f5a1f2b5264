"""Stays, their readiness timeline, the message log and the audit log.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from discharge_ready.adapters.orm import entry_columns, stay_columns
from hub_shared.audit import create_audit_table
from hub_shared.db import create_message_log_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("stays", *stay_columns())
    op.create_table("timeline_entries", *entry_columns())
    create_message_log_table(op)
    create_audit_table(op)


def downgrade() -> None:
    for table in ("audit_log", "received_messages", "timeline_entries", "stays"):
        op.drop_table(table)
