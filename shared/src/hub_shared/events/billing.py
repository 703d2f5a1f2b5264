"""Events on billing.v1: the payment clock and invoices (billing service)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from hub_shared.events import topics
from hub_shared.events.envelope import EventData


class PaymentClockStarted(EventData):
    """The per-day payment clock of a stay started (one period; a stay may have several)."""

    EVENT_TYPE = "PaymentClockStarted"
    TOPIC = topics.BILLING

    stay_id: str
    period_key: str
    started_on: date
    notice_msg_id: str
    hospital_her: str
    municipality_number: str | None
    daily_rate: Decimal | None


class PaymentClockStopped(EventData):
    EVENT_TYPE = "PaymentClockStopped"
    TOPIC = topics.BILLING

    stay_id: str
    period_key: str
    started_on: date
    stopped_on: date
    end_reason: str
    days: int
    amount: Decimal


class InvoiceIssued(EventData):
    EVENT_TYPE = "InvoiceIssued"
    TOPIC = topics.BILLING

    invoice_id: str
    hospital_trust: str
    municipality_number: str
    month: str  # YYYY-MM
    issued_at: datetime
    lines: int
    total: Decimal
