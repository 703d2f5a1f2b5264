"""The housing office's pages: what the office consumer (group housing-match-office) learned from
admission.v1, discharge.v1 and billing.v1 (stays' initials and timelines, payment clocks, invoices).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from housing_match.office.tables import OFFICE_TABLE_COLUMNS

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name, columns in OFFICE_TABLE_COLUMNS.items():
        op.create_table(name, *columns())


def downgrade() -> None:
    for name in reversed(OFFICE_TABLE_COLUMNS):
        op.drop_table(name)
