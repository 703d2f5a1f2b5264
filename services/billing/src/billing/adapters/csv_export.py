"""An issued invoice document as CSV (RFC 4180, UTF-8, comma-separated, one row per line).

Times are Europe/Oslo wall-clock times, the form the messages carry; amounts are NOK with two
decimals, credits negative. `last_day` is the last day counted (the line covers first..last).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from billing.adapters.repository import StoredLine
from billing.domain.days import OSLO

COLUMNS = (
    "invoice_id",
    "line_no",
    "line_ref",
    "kind",
    "stay_ref",
    "hospital_unit",
    "admitted_at",
    "admission_notice_at",
    "readiness_notice_at",
    "answer_at",
    "answer",
    "end_reason",
    "end_date",
    "first_day",
    "last_day",
    "days",
    "rate",
    "amount",
    "profile",
    "credits_line_ref",
    "dispute_status",
    "message_ids",
)


def render(lines: Iterable[StoredLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for stored in lines:
        line = stored.line
        answer = line.answer
        writer.writerow(
            (
                stored.invoice_id,
                stored.line_no,
                line.line_id,
                line.kind.value,
                line.stay_ref,
                line.hospital_unit,
                _local(line.admitted_at),
                _local(line.admission_notice_at),
                _local(line.readiness_notice_at),
                _local(answer.answered_at if answer else None),
                ("can_receive" if answer.can_receive else "cannot_receive") if answer else "",
                line.end_reason.value,
                line.end_date.isoformat(),
                line.first_day.isoformat(),
                (line.end_day - timedelta(days=1)).isoformat(),
                line.days,
                _money(line.rate),
                _money(line.amount),
                line.profile_id,
                line.credits_line_id or "",
                line.dispute.status.value,
                " ".join(line.message_ids),
            )
        )
    return out.getvalue()


def _local(instant: datetime | None) -> str:
    return instant.astimezone(OSLO).strftime("%Y-%m-%dT%H:%M") if instant else ""


def _money(value: Decimal | None) -> str:
    return f"{value:.2f}" if value is not None else ""
