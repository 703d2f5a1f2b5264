"""Outbox and processed events.

Revision ID: 0001
Revises:
"""

from alembic import op

from hub_shared.db import create_infrastructure_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_infrastructure_tables(op)


def downgrade() -> None:
    for table in ("processed_events", "outbox"):
        op.drop_table(table)
