"""The housing office pages' own tables: what the office learned from the events it consumes.

Consumer group `housing-match-office` reads admission.v1, discharge.v1 and billing.v1:

- `office_stays`: per stay, the municipality and the patient's initials (lists are pseudonymous:
  stay reference and initials; the full name and number are only on a case's page).
- `office_events`: one row per event, the stay's timeline with the message id behind each entry
  (no patient identity in `detail`).
- `office_clocks`: billing's payment clocks, one row per period in its latest revision, so that the
  office shows days and kroner without calling billing.
- `office_invoices`: the invoices billing issued (`InvoiceIssued`); their lines and the CSV and
  EHF documents are fetched from billing when an officer opens one.

The tables live in the service's metadata; the columns are functions so that the migration and
this module share one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from housing_match.adapters.orm import Money, instant_column, metadata


def stay_columns() -> list[Any]:
    return [
        sa.Column("stay_id", sa.String(64), primary_key=True),
        sa.Column("municipality_her", sa.String(20), nullable=True, index=True),
        sa.Column("initials", sa.String(12), nullable=True),
        instant_column("updated_at"),
    ]


def event_columns() -> list[Any]:
    return [
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("stay_id", sa.String(64), nullable=False, index=True),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        instant_column("occurred_at"),
        instant_column("published_at"),
        sa.Column("msg_id", sa.String(200), nullable=True),
        sa.Column("detail", sa.JSON, nullable=False),
    ]


def clock_columns() -> list[Any]:
    return [
        sa.Column("stay_id", sa.String(64), primary_key=True),
        sa.Column("period_key", sa.String(200), primary_key=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("stops_on", sa.Date, nullable=True),
        sa.Column("end_reason", sa.String(60), nullable=True),
        sa.Column("days", sa.Integer, nullable=True),
        sa.Column("amount", Money, nullable=True),
        sa.Column("unpriced_days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("daily_rate", Money, nullable=True),
        sa.Column("municipality_number", sa.String(10), nullable=True, index=True),
        sa.Column("hospital_her", sa.String(20), nullable=True),
        sa.Column("notice_msg_id", sa.String(200), nullable=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        instant_column("updated_at"),
    ]


def invoice_columns() -> list[Any]:
    return [
        sa.Column("invoice_id", sa.String(80), primary_key=True),
        sa.Column("hospital_trust", sa.String(20), nullable=False),
        sa.Column("municipality_number", sa.String(10), nullable=False, index=True),
        sa.Column("month", sa.String(7), nullable=False),
        instant_column("issued_at"),
        sa.Column("lines", sa.Integer, nullable=False),
        sa.Column("total", Money, nullable=False),
        sa.Column("total_days", sa.Integer, nullable=True),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("document_type", sa.String(20), nullable=False),
        sa.Column("corrects_invoice_id", sa.String(80), nullable=True),
        sa.Column("event_id", sa.String(36), nullable=False),
    ]


OFFICE_TABLE_COLUMNS: dict[str, Callable[[], list[Any]]] = {
    "office_stays": stay_columns,
    "office_events": event_columns,
    "office_clocks": clock_columns,
    "office_invoices": invoice_columns,
}

office_stays = sa.Table("office_stays", metadata, *stay_columns())
office_events = sa.Table("office_events", metadata, *event_columns())
office_clocks = sa.Table("office_clocks", metadata, *clock_columns())
office_invoices = sa.Table("office_invoices", metadata, *invoice_columns())
OFFICE_TABLES = (office_stays, office_events, office_clocks, office_invoices)
