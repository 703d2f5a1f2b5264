"""The audit log of access to patient data.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from hub_shared.audit import create_audit_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_table(op)


def downgrade() -> None:
    op.drop_table("audit_log")
