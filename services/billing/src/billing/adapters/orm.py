"""The billing database.

- `facts`: the fact store, append-only, one row per consumed event (keyed by its event id, so that
  a replay adds nothing): the domain fact, what the event said about the stay, and the event's data
  without the patient's identity (the evidence).
- `stays` and `clocks`: projections, rebuilt from the facts on every recomputation of a stay.
  `clocks` holds each period's clock as last published on billing.v1.
- `invoices` and `invoice_lines`: issued documents. A line is never edited once issued, except
  its dispute status; `dispute_log` keeps every step of a dispute.
- `audit_log`: who looked at which stay (the stay search takes a fødselsnummer).
- `outbox`, `processed_events`: as in every service.

Amounts are kept as decimal strings (`Money`), exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub_shared.audit import add_audit_table
from hub_shared.db import add_infrastructure_tables
from hub_shared.db.tables import BigId
from hub_shared.db.types import Money

metadata = sa.MetaData()


def fact_columns() -> list[Any]:
    return [
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("stay_id", sa.String(64), nullable=False, index=True),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("event_type", sa.String(60), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("gen_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("from_admission", sa.Boolean, nullable=False),
        sa.Column("fact", sa.Text, nullable=False),
        sa.Column("stay_ref", sa.Text, nullable=True),
        sa.Column("data", sa.Text, nullable=False),
    ]


def stay_columns() -> list[Any]:
    return [
        sa.Column("stay_id", sa.String(64), primary_key=True),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("hospital_trust", sa.String(20), nullable=True, index=True),
        sa.Column("hospital_her", sa.String(20), nullable=True),
        sa.Column("municipality_her", sa.String(20), nullable=True, index=True),
        sa.Column("municipality_number", sa.String(8), nullable=True),
        sa.Column("sector", sa.String(20), nullable=True),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("profile_id", sa.String(80), nullable=True),
        sa.Column("payable", sa.Boolean, nullable=False),
        sa.Column("total_days", sa.Integer, nullable=False),
        sa.Column("total_amount", Money, nullable=False),
        sa.Column("unpriced_days", sa.Integer, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("span_start", sa.Date, nullable=True),
        sa.Column("span_end", sa.Date, nullable=True),
        sa.Column("open_span", sa.Boolean, nullable=False),
        sa.Column("fact_count", sa.Integer, nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
    ]


def clock_columns() -> list[Any]:
    return [
        sa.Column("stay_id", sa.String(64), primary_key=True),
        sa.Column("period_key", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("notice_msg_id", sa.String(200), nullable=False),
        sa.Column("hospital_her", sa.String(20), nullable=False),
        sa.Column("municipality_number", sa.String(8), nullable=True),
        sa.Column("daily_rate", Money, nullable=True),
        sa.Column("stops_on", sa.Date, nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=True),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("amount", Money, nullable=False),
        sa.Column("unpriced_days", sa.Integer, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def invoice_columns() -> list[Any]:
    return [
        sa.Column("invoice_id", sa.String(80), primary_key=True),
        sa.Column("hospital_trust", sa.String(20), nullable=False),
        sa.Column("municipality_number", sa.String(8), nullable=False),
        sa.Column("municipality_her", sa.String(20), nullable=True),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("document_type", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("corrects_invoice_id", sa.String(80), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_days", sa.Integer, nullable=False),
        sa.Column("total_amount", Money, nullable=False),
        sa.Column("held_back", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "hospital_trust", "municipality_number", "month", "sequence", name="uq_invoice_seq"
        ),
    ]


def invoice_line_columns() -> list[Any]:
    return [
        sa.Column("invoice_id", sa.String(80), primary_key=True),
        sa.Column("line_no", sa.Integer, primary_key=True),
        sa.Column("line_ref", sa.String(300), nullable=False, index=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("stay_ref", sa.String(64), nullable=False, index=True),
        sa.Column("period_key", sa.String(200), nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("hospital_trust", sa.String(20), nullable=False),
        sa.Column("hospital_unit", sa.String(20), nullable=False),
        sa.Column("municipality", sa.String(8), nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admission_notice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("readiness_notice_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("end_day", sa.Date, nullable=False),
        sa.Column("days", sa.Integer, nullable=False),
        sa.Column("rate", Money, nullable=True),
        sa.Column("amount", Money, nullable=False),
        sa.Column("profile_id", sa.String(80), nullable=False),
        sa.Column("message_ids", sa.Text, nullable=False),
        sa.Column("credits_line_ref", sa.String(300), nullable=True),
        sa.Column("steps", sa.Text, nullable=False),
        sa.Column("dispute_status", sa.String(12), nullable=False),
        sa.Column("dispute_reason", sa.String(40), nullable=True),
        sa.Column("dispute_note", sa.Text, nullable=True),
        sa.Column("dispute_resolution", sa.Text, nullable=True),
        sa.Column("credit_invoice_id", sa.String(80), nullable=True),
    ]


def dispute_log_columns() -> list[Any]:
    return [
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("invoice_id", sa.String(80), nullable=False, index=True),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("caller", sa.String(60), nullable=False),
        sa.Column("action", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
    ]


def stay_key_columns() -> list[Any]:
    """A stay's other keys: the id a (patient, hospital, admission time) derives to, when that
    is not the stay's own id, because the hospital corrected the admission time (LOG_INNLAGT M)
    and the stay kept the id of its first key. Pseudonymous ids only."""
    return [
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("stay_id", sa.String(64), nullable=False, index=True),
    ]


facts = sa.Table("facts", metadata, *fact_columns())
stays = sa.Table("stays", metadata, *stay_columns())
clocks = sa.Table("clocks", metadata, *clock_columns())
invoices = sa.Table("invoices", metadata, *invoice_columns())
invoice_lines = sa.Table("invoice_lines", metadata, *invoice_line_columns())
dispute_log = sa.Table("dispute_log", metadata, *dispute_log_columns())
stay_keys = sa.Table("stay_keys", metadata, *stay_key_columns())
audit_log = add_audit_table(metadata)
outbox, processed_events = add_infrastructure_tables(metadata)
