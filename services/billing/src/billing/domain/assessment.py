"""What the clock found for one stay: payment periods, reasons, flags and totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class Reason(StrEnum):
    """Why a stay, a period or some days are not (or not fully) payable."""

    NO_ADMISSION_NOTICE = "no_admission_notice"  # § 8
    LATE_ADMISSION_NOTICE = "late_admission_notice"  # § 8, contestable
    NO_READINESS_NOTICE = "no_readiness_notice"  # §§ 9, 10
    BEFORE_REGULATION = "before_regulation"  # days before 2012-01-01
    PSYCH_TSB_BEFORE_2019 = "psych_tsb_before_2019"
    NO_COOPERATION_MEETING = "no_cooperation_meeting"
    MUNICIPALITY_COULD_RECEIVE = "municipality_could_receive"
    NO_DISCHARGE_DOCUMENTATION = "no_discharge_documentation"  # agreement profile
    UNPRICED_YEAR = "unpriced_year"
    NO_PAYABLE_DAYS = "no_payable_days"  # ended on the day it started, for no other reason


class Flag(StrEnum):
    """Something a person should look at; flags never change the amount."""

    CONTESTABLE = "contestable"
    CLOCK_SKEW = "clock_skew"  # GenDate and receive time differ by more than an hour
    UNPRICED_DAYS = "unpriced_days"
    NO_ADMISSION_NOTICE = "no_admission_notice"
    UNKNOWN_PAYER = "unknown_payer"
    OPEN_PERIOD = "open_period"  # a period still running at `as_of`
    READINESS_DECIDER_UNKNOWN = "readiness_decider_unknown"  # § 9: no doctor named
    DOCUMENTATION_UNKNOWN = "documentation_unknown"  # profile needs an epikrise; not known
    REPEATED_NOTICE = "repeated_notice"  # a § 10 notice while a period was already running


class EndReason(StrEnum):
    PLACE_READY = "place_ready"
    DIED = "died"
    WITHDRAWN = "withdrawn"
    DISCHARGED = "discharged"
    OPEN = "open"  # still running as of `as_of`


@dataclass(frozen=True)
class MunicipalResponse:
    """The municipality's answer to a notice, or a housing assignment ("a place is ready")."""

    message_id: str
    answered_at: datetime
    can_receive: bool
    day: date | None
    """Place ready from (when `can_receive`), else the expected day (an estimate)."""
    via_housing: bool = False


@dataclass(frozen=True)
class YearPiece:
    """The days of a period within one calendar year and under one rate."""

    year: int
    start: date
    end: date
    days: int
    rate: Decimal | None
    """`None`: no rate is known for these days (unpriced, never guessed)."""
    amount: Decimal
    payer: str | None
    """Municipality number of the payer; `None`: unknown."""

    @property
    def priced(self) -> bool:
        return self.rate is not None


@dataclass(frozen=True)
class PaymentPeriod:
    """The clock from one § 10 notice to its stop: days [start, end), the end day not counted."""

    key: str
    """Id of the § 10 notice (first version) that opened the period: stable across changes."""
    notice_at: datetime
    """GenDate of the § 10 notice (its first version)."""
    ready_on: date
    start: date
    end: date
    end_reason: EndReason
    payable: bool
    """False when a rule annuls the period (e.g. § 8 not met); `days` still shows the clock."""
    days: int
    pieces: tuple[YearPiece, ...]
    amount: Decimal
    answer: MunicipalResponse | None
    """The answer that stopped the period, else the latest one that belongs to it."""
    reasons: tuple[Reason, ...]
    message_ids: tuple[str, ...]
    steps: tuple[str, ...]
    """The computation step by step, for the evidence pack."""

    @property
    def unpriced_days(self) -> int:
        return sum(p.days for p in self.pieces if not p.priced)


@dataclass(frozen=True)
class StayAssessment:
    stay_id: str
    hospital_her: str
    hospital_trust: str
    admitted_at: datetime
    admission_notice_at: datetime | None
    profile_id: str
    as_of: datetime | None
    payable: bool
    """True when at least one day is owed (priced or not)."""
    reasons: tuple[Reason, ...]
    flags: tuple[Flag, ...]
    periods: tuple[PaymentPeriod, ...]
    total_days: int
    """Payable days, priced or not."""
    total_amount: Decimal
    """NOK for the priced payable days."""
    unpriced_days: int
    message_ids: tuple[str, ...]
    """Stay-level evidence: the § 8 notices and everything the gates looked at."""
    steps: tuple[str, ...]
