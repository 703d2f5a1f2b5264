"""Stays, message log, outbox and processed events.

Revision ID: 0001
Revises:
"""

from alembic import op

from admission_notice.adapters.orm import stay_columns
from hub_shared.db import create_infrastructure_tables, create_message_log_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("stays", *stay_columns())
    create_message_log_table(op)
    create_infrastructure_tables(op)


def downgrade() -> None:
    for table in ("processed_events", "outbox", "received_messages", "stays"):
        op.drop_table(table)
