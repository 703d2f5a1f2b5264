"""Stock, stays, cases, matching runs, proposals, assignments, outbound answers, audit log,
outbox and processed events.

Revision ID: 0001
Revises:
"""

from alembic import op

from housing_match.adapters.orm import TABLE_COLUMNS
from hub_shared.audit import create_audit_table
from hub_shared.db import create_infrastructure_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name, columns in TABLE_COLUMNS.items():
        op.create_table(name, *columns())
    create_audit_table(op)
    create_infrastructure_tables(op)


def downgrade() -> None:
    for table in ("processed_events", "outbox", "audit_log", *reversed(TABLE_COLUMNS)):
        op.drop_table(table)
