"""The discharge-ready database: stays, their timeline entries, the shared message log, the
outbox, processed events and the audit log.

The column lists are functions so that the tables here and the migration that created them use
the same definition.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub_shared.audit import add_audit_table
from hub_shared.db import add_infrastructure_tables, add_message_log_table

metadata = sa.MetaData()


def stay_columns() -> list[sa.Column]:
    return [
        sa.Column("stay_id", sa.String(36), primary_key=True),
        sa.Column("patient_id", sa.String(20), nullable=False),
        sa.Column("patient_id_type", sa.String(10), nullable=False),
        sa.Column("family_name", sa.String(200), nullable=True),
        sa.Column("given_name", sa.String(200), nullable=True),
        sa.Column("hospital_her", sa.String(20), nullable=False),
        sa.Column("unit_her", sa.String(20), nullable=True),
        sa.Column("municipality_her", sa.String(20), nullable=True),
        sa.Column("sector", sa.String(20), nullable=False),
        # NULL: an unlinked stay (messages waiting for the stay they belong to).
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("admission", sa.String(12), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_stays_patient", "patient_id", "hospital_her"),
    ]


def entry_columns() -> list[sa.Column]:
    return [
        sa.Column("entry_id", sa.String(200), primary_key=True),
        sa.Column("stay_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(1), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refs", sa.Text, nullable=False),  # JSON list of msg / registration ids
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("details", sa.Text, nullable=True),  # JSON, by kind
        sa.Column("hospital", sa.Text, nullable=True),  # JSON Organisation
        sa.Column("municipality", sa.Text, nullable=True),  # JSON Organisation
        sa.Column("msg_type", sa.String(60), nullable=True),
        sa.Column("version", sa.String(5), nullable=True),
    ]


received_messages = add_message_log_table(metadata)
stays = sa.Table("stays", metadata, *stay_columns())
timeline_entries = sa.Table("timeline_entries", metadata, *entry_columns())
outbox, processed_events = add_infrastructure_tables(metadata)
audit_log = add_audit_table(metadata)
