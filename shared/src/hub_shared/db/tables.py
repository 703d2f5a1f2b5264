"""Tables every service has: the outbox and the record of processed events.

The column lists are functions so that a service's tables and its first Alembic migration use the
same definition (a later change gets its own migration, as usual).
"""

from __future__ import annotations

import sqlalchemy as sa

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def outbox_columns() -> list[sa.Column]:
    return [
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("topic", sa.String(120), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
    ]


def processed_event_columns() -> list[sa.Column]:
    return [
        sa.Column("consumer", sa.String(120), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def outbox_indexes() -> list[tuple[str, list[str]]]:
    return [("ix_outbox_unsent", ["sent_at", "seq"])]


def received_message_columns() -> list[sa.Column]:
    """The log of every ELIN message a service received, with the AppRec it answered."""
    return [
        sa.Column("msg_id", sa.String(200), primary_key=True),
        sa.Column("msg_type", sa.String(60), nullable=True),
        sa.Column("sender_her", sa.String(20), nullable=True),
        sa.Column("gen_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=False),
        sa.Column("error_codes", sa.String(200), nullable=False, server_default=""),
        sa.Column("apprec_id", sa.String(36), nullable=False),
        sa.Column("apprec", sa.LargeBinary, nullable=False),
        sa.Column("stay_id", sa.String(36), nullable=True, index=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
    ]


def add_message_log_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table("received_messages", metadata, *received_message_columns())


def create_message_log_table(op) -> None:  # type: ignore[no-untyped-def]
    op.create_table("received_messages", *received_message_columns())


def add_infrastructure_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    outbox = sa.Table("outbox", metadata, *outbox_columns())
    for name, cols in outbox_indexes():
        sa.Index(name, *(outbox.c[c] for c in cols))
    processed = sa.Table("processed_events", metadata, *processed_event_columns())
    return outbox, processed


def create_infrastructure_tables(op) -> None:  # type: ignore[no-untyped-def]
    """For a service's first Alembic migration."""
    op.create_table("outbox", *outbox_columns())
    for name, cols in outbox_indexes():
        op.create_index(name, "outbox", cols)
    op.create_table("processed_events", *processed_event_columns())
