"""Fact store, stay and clock projections, invoices and disputes, audit log, outbox and
processed events.

Revision ID: 0001
Revises:
"""

from alembic import op

from billing.adapters.orm import (
    clock_columns,
    dispute_log_columns,
    fact_columns,
    invoice_columns,
    invoice_line_columns,
    stay_columns,
)
from hub_shared.audit import create_audit_table
from hub_shared.db import create_infrastructure_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = {
    "facts": fact_columns,
    "stays": stay_columns,
    "clocks": clock_columns,
    "invoices": invoice_columns,
    "invoice_lines": invoice_line_columns,
    "dispute_log": dispute_log_columns,
}


def upgrade() -> None:
    for name, columns in TABLES.items():
        op.create_table(name, *columns())
    create_audit_table(op)
    create_infrastructure_tables(op)


def downgrade() -> None:
    for table in ("processed_events", "outbox", "audit_log", *reversed(TABLES)):
        op.drop_table(table)
