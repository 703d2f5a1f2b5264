"""The housing-match database.

- `sites`, `units`, `residents`: the municipality's housing stock and who lives (or will live) in
  it. A resident row is a tenant, or a place reserved by an assignment until the move-in.
- `stays`: what the events of admission.v1 and discharge.v1 said about a stay (no patient
  identity), kept for every stay so that the arrival order of the two topics does not matter.
- `cases`: the housing office's cases (boligsaker), with the patient and the recorded needs.
- `matching_runs`, `proposals`, `assignments`: the matcher's explained proposals and the
  officers' decisions on them.
- `outbound_messages`, `outbound_attempts`: the municipality's answers to hospitals (ELIN XML)
  waiting for or done with delivery, and every delivery attempt with its outcome.
- `audit_log`, `outbox`, `processed_events`: as in every service.

Amounts are decimal strings (`Money`), exact on SQLite and PostgreSQL alike. Every table is a
function of columns so that the first migration and this module share one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from hub_shared.audit import add_audit_table
from hub_shared.db import add_infrastructure_tables
from hub_shared.db.tables import BigId
from hub_shared.db.types import Money

metadata = sa.MetaData()


def instant_column(name: str, nullable: bool = False) -> sa.Column:
    """A column for an instant, stored in UTC."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def site_columns() -> list[Any]:
    return [
        sa.Column("site_id", sa.String(36), primary_key=True),
        sa.Column("municipality_her", sa.String(20), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        instant_column("created_at"),
        instant_column("updated_at"),
        instant_column("retired_at", nullable=True),
    ]


def unit_columns() -> list[Any]:
    return [
        sa.Column("unit_id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(36), sa.ForeignKey("sites.site_id"), nullable=False),
        sa.Column("municipality_her", sa.String(20), nullable=False, index=True),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("available_from", sa.Date, nullable=True),
        instant_column("created_at"),
        instant_column("updated_at"),
        instant_column("retired_at", nullable=True),
        sa.Index("ix_units_site", "site_id"),
    ]


def resident_columns() -> list[Any]:
    return [
        sa.Column("resident_id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.String(36), sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.Column("assignment_id", sa.String(36), nullable=True, unique=True),
        sa.Column("active_use", sa.Boolean, nullable=False),
        sa.Column("in_recovery", sa.Boolean, nullable=False),
        sa.Column("heavy_needs", sa.Boolean, nullable=False),
        sa.Column("moved_in_on", sa.Date, nullable=True),
        sa.Column("moved_out_on", sa.Date, nullable=True),
        instant_column("created_at"),
        instant_column("updated_at"),
        sa.Index("ix_residents_unit", "unit_id"),
    ]


def stay_columns() -> list[Any]:
    return [
        sa.Column("stay_id", sa.String(64), primary_key=True),
        sa.Column("municipality_her", sa.String(20), nullable=True),
        sa.Column("municipality_unit_her", sa.String(20), nullable=True),
        sa.Column("municipality_unit_name", sa.String(200), nullable=True),
        sa.Column("hospital_her", sa.String(20), nullable=True),
        sa.Column("hospital_name", sa.String(200), nullable=True),
        sa.Column("hospital_unit_her", sa.String(20), nullable=True),
        sa.Column("hospital_unit_name", sa.String(200), nullable=True),
        instant_column("admitted_at", nullable=True),
        sa.Column("without_fixed_home", sa.Boolean, nullable=True),
        sa.Column("admission_msg_id", sa.String(200), nullable=True),
        sa.Column("admission_cancelled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ready_on", sa.Date, nullable=True),
        instant_column("ready_notice_at", nullable=True),
        sa.Column("ready_msg_id", sa.String(200), nullable=True),
        sa.Column("ready_conversation_id", sa.String(200), nullable=True),
        instant_column("ready_withdrawn_at", nullable=True),
        instant_column("discharged_at", nullable=True),
        instant_column("updated_at"),
    ]


def case_columns() -> list[Any]:
    return [
        sa.Column("case_id", sa.String(36), primary_key=True),
        sa.Column("stay_id", sa.String(64), nullable=False, unique=True),
        sa.Column("municipality_her", sa.String(20), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_by", sa.String(20), nullable=False),
        instant_column("opened_at"),
        instant_column("closed_at", nullable=True),
        sa.Column("close_reason", sa.String(200), nullable=True),
        sa.Column("patient_id", sa.String(20), nullable=False),
        sa.Column("patient_id_type", sa.String(10), nullable=True),
        sa.Column("family_name", sa.String(200), nullable=True),
        sa.Column("given_name", sa.String(200), nullable=True),
        sa.Column("hospital_her", sa.String(20), nullable=False),
        instant_column("admitted_at", nullable=True),
        sa.Column("needs", sa.JSON, nullable=True),
        instant_column("needs_recorded_at", nullable=True),
        sa.Column("expected_discharge_on", sa.Date, nullable=True),
        instant_column("updated_at"),
    ]


def run_columns() -> list[Any]:
    return [
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("municipality_her", sa.String(20), nullable=False, index=True),
        instant_column("ran_at"),
        sa.Column("ran_by", sa.String(60), nullable=False),
        sa.Column("today", sa.Date, nullable=False),
        sa.Column("status", sa.String(40), nullable=False),
        sa.Column("pruned", sa.Boolean, nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("units_offered", sa.Integer, nullable=False),
        sa.Column("proposals", sa.Integer, nullable=False),
        sa.Column("unmatched", sa.JSON, nullable=False),
        sa.Column("excluded", sa.JSON, nullable=False),
        sa.Column("without_needs", sa.JSON, nullable=False),
        sa.Column("cost_if_unmatched", Money, nullable=False),
        sa.Column("total_cost", Money, nullable=False),
        sa.Column("notes", sa.JSON, nullable=False),
        sa.Column("stats", sa.JSON, nullable=False),
    ]


def proposal_columns() -> list[Any]:
    return [
        sa.Column("proposal_id", sa.String(36), primary_key=True),
        sa.Column("run_id", sa.String(36), sa.ForeignKey("matching_runs.run_id"), nullable=False),
        sa.Column("municipality_her", sa.String(20), nullable=False),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("stay_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(36), sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("site_id", sa.String(36), nullable=False),
        sa.Column("move_in", sa.Date, nullable=False),
        sa.Column("cost_saved", Money, nullable=False),
        sa.Column("clock_days_saved", sa.Integer, nullable=False),
        sa.Column("clock_days_until_move_in", sa.Integer, nullable=False),
        sa.Column("rules_checked", sa.JSON, nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
        sa.Column("friday_move_in", sa.Boolean, nullable=False),
        sa.Column("wish_met", sa.Boolean, nullable=False),
        sa.Column("information_sharing", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        instant_column("created_at"),
        instant_column("decided_at", nullable=True),
        sa.Column("decided_by", sa.String(60), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Index("ix_proposals_municipality_status", "municipality_her", "status"),
        sa.Index("ix_proposals_case", "case_id"),
    ]


def assignment_columns() -> list[Any]:
    return [
        sa.Column("assignment_id", sa.String(36), primary_key=True),
        sa.Column("proposal_id", sa.String(36), nullable=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("stay_id", sa.String(64), nullable=False),
        sa.Column("municipality_her", sa.String(20), nullable=False, index=True),
        sa.Column("unit_id", sa.String(36), sa.ForeignKey("units.unit_id"), nullable=False),
        sa.Column("site_id", sa.String(36), nullable=False),
        sa.Column("move_in", sa.Date, nullable=False),
        sa.Column("friday_move_in", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        instant_column("decided_at"),
        sa.Column("decided_by", sa.String(60), nullable=False),
        sa.Column("moved_in_on", sa.Date, nullable=True),
        instant_column("cancelled_at", nullable=True),
        sa.Column("cancel_reason", sa.Text, nullable=True),
        sa.Index("ix_assignments_case", "case_id"),
    ]


def outbound_columns() -> list[Any]:
    return [
        sa.Column("seq", BigId, primary_key=True, autoincrement=True),
        sa.Column("msg_id", sa.String(36), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False, index=True),
        sa.Column("stay_id", sa.String(64), nullable=False),
        sa.Column("assignment_id", sa.String(36), nullable=True, index=True),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("municipality_her", sa.String(20), nullable=False, index=True),
        sa.Column("receiver_her", sa.String(20), nullable=False),
        sa.Column("receiver_unit_her", sa.String(20), nullable=True),
        sa.Column("answer_line", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        instant_column("created_at"),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        instant_column("next_attempt_at"),
        instant_column("last_attempt_at", nullable=True),
        sa.Column("last_error", sa.String(400), nullable=True),
        sa.Column("endpoint", sa.String(400), nullable=True),
        sa.Column("apprec_msg_id", sa.String(200), nullable=True),
        sa.Column("apprec_status", sa.String(4), nullable=True),
        sa.Column("apprec_status_text", sa.String(200), nullable=True),
        sa.Column("apprec_errors", sa.JSON, nullable=True),
        instant_column("apprec_received_at", nullable=True),
        sa.Column("apprec_body", sa.LargeBinary, nullable=True),
        sa.Index("ix_outbound_due", "status", "next_attempt_at"),
        sa.Index("ix_outbound_stay", "stay_id", "seq"),
    ]


def attempt_columns() -> list[Any]:
    return [
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("msg_id", sa.String(36), nullable=False, index=True),
        sa.Column("attempt", sa.Integer, nullable=False),
        instant_column("started_at"),
        instant_column("finished_at"),
        sa.Column("endpoint", sa.String(400), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("http_status", sa.Integer, nullable=True),
        sa.Column("detail", sa.String(400), nullable=False, server_default=""),
        instant_column("next_attempt_at", nullable=True),
    ]


# In creation order (foreign keys point backwards).
TABLE_COLUMNS: dict[str, Callable[[], list[Any]]] = {
    "sites": site_columns,
    "units": unit_columns,
    "residents": resident_columns,
    "stays": stay_columns,
    "cases": case_columns,
    "matching_runs": run_columns,
    "proposals": proposal_columns,
    "assignments": assignment_columns,
    "outbound_messages": outbound_columns,
    "outbound_attempts": attempt_columns,
}

sites = sa.Table("sites", metadata, *site_columns())
units = sa.Table("units", metadata, *unit_columns())
residents = sa.Table("residents", metadata, *resident_columns())
stays = sa.Table("stays", metadata, *stay_columns())
cases = sa.Table("cases", metadata, *case_columns())
matching_runs = sa.Table("matching_runs", metadata, *run_columns())
proposals = sa.Table("proposals", metadata, *proposal_columns())
assignments = sa.Table("assignments", metadata, *assignment_columns())
outbound_messages = sa.Table(
    "outbound_messages",
    metadata,
    *outbound_columns(),
    # W3C trace context of the decision behind the answer (migration 0003): the delivery to the
    # hospital continues that trace.
    sa.Column("traceparent", sa.String(200), nullable=True),
)
outbound_attempts = sa.Table("outbound_attempts", metadata, *attempt_columns())
outbox, processed_events = add_infrastructure_tables(metadata)
audit_log = add_audit_table(metadata)
