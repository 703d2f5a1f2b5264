"""A stay's other keys, so that a stay whose admission time was corrected is found by either.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from billing.adapters.orm import stay_key_columns

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("stay_keys", *stay_key_columns())


def downgrade() -> None:
    op.drop_table("stay_keys")
