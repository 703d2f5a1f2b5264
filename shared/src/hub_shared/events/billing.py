"""Events on billing.v1: the payment clock and invoices (billing service).

Clock events describe one payment period of a stay (`period_key`: the id of the § 10 notice that
opened it). Billing derives them by comparing the stay's periods before and after each
recomputation, so a duplicate or replayed input emits nothing. When the facts behind a period are
corrected, a new event for the same period follows with a higher `revision`; the latest revision
of a period is the one in force.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from hub_shared.events import topics
from hub_shared.events.envelope import EventData


class PaymentClockStarted(EventData):
    """The per-day payment clock of a stay started (one period; a stay may have several).

    `started_on` is the first payable day (Europe/Oslo); it lies ahead when the patient is ready
    only later. A revision after a stop means the stop was corrected away: the clock runs again.
    """

    EVENT_TYPE = "PaymentClockStarted"
    TOPIC = topics.BILLING

    stay_id: str
    period_key: str
    started_on: date
    notice_msg_id: str
    hospital_her: str
    municipality_number: str | None
    daily_rate: Decimal | None
    revision: int = 1


class PaymentClockStopped(EventData):
    """The clock of one period stopped: `stopped_on` is the first day not counted.

    `stopped_on` may lie ahead when the stop is already known (an answer sent on day X that a place
    is ready from day Y). `days` and `amount` are the period's payable days and NOK; `unpriced_days`
    of those days have no rate yet (the amount leaves them out until an operator adds the rate).
    """

    EVENT_TYPE = "PaymentClockStopped"
    TOPIC = topics.BILLING

    stay_id: str
    period_key: str
    started_on: date
    stopped_on: date
    end_reason: str
    days: int
    amount: Decimal
    revision: int = 1
    unpriced_days: int = 0


class PaymentClockVoided(EventData):
    """A period announced earlier is no longer payable: disregard its earlier clock events.

    Follows a correction or cancellation of the messages the period rested on (for example a
    cancelled admission notice, which leaves § 8 unmet). `reasons` are billing's reason codes.
    """

    EVENT_TYPE = "PaymentClockVoided"
    TOPIC = topics.BILLING

    stay_id: str
    period_key: str
    reasons: list[str]
    revision: int


class InvoiceIssued(EventData):
    """A hospital trust's invoice (or a correction of it) to a municipality for one month.

    The first document of a month has `sequence` 1; corrections (credit lines and new lines after a
    recomputation, or the credit of an accepted dispute) follow with higher sequences and name the
    first one in `corrects_invoice_id`. A correction with a negative total is a credit note.
    """

    EVENT_TYPE = "InvoiceIssued"
    TOPIC = topics.BILLING

    invoice_id: str
    hospital_trust: str
    municipality_number: str
    month: str  # YYYY-MM
    issued_at: datetime
    lines: int
    total: Decimal
    sequence: int = 1
    document_type: Literal["invoice", "credit_note"] = "invoice"
    corrects_invoice_id: str | None = None
    total_days: int | None = None
