"""Housing cases (boligsak): who needs a home, what they need, and how urgent it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from housing_match.domain.stock import HousingKind


@dataclass(frozen=True, slots=True)
class Needs:
    """What the housing office knows about the person's needs (behov).

    `known_user` means a known user of municipal services (required for a crisis bed);
    `long_treatment` means the treatment lasted or will last at least 6 months.
    """

    acceptable_kinds: frozenset[HousingKind]
    age: int
    needs_staffing: bool = False
    requires_drug_free: bool = False
    active_use: bool = False
    in_recovery: bool = False
    individual_plan: bool = False
    crisis_plan: bool = False
    day_activity: bool = False
    wished_district: str | None = None
    consent_to_share: bool = False
    heavy_needs: bool = False
    long_treatment: bool = False
    known_user: bool = False

    def __post_init__(self) -> None:
        if not self.acceptable_kinds:
            raise ValueError("a case must accept at least one kind of housing")
        if self.age < 0:
            raise ValueError("age cannot be negative")
        if self.active_use and self.in_recovery:
            # The mixing rule needs the two to be exclusive; the officer records the current state.
            raise ValueError("a person is either in active use or in recovery, not both")


class Urgency(StrEnum):
    CLOCK_RUNNING = "clock_running"
    """Discharge-ready (utskrivningsklar): the municipality pays the daily rate every day."""
    DISCHARGE_EXPECTED = "discharge_expected"
    """A discharge or readiness date is known and still ahead."""
    UNDATED = "undated"
    """Opened at admission, no discharge date yet (long treatment: plan early)."""


@dataclass(frozen=True, slots=True)
class HousingCase:
    """An open housing case for a patient without a fixed home, opened at admission.

    `discharge_ready_on` is the first payable day of the clock (the later of the § 10 notice day and
    the readiness day, Europe/Oslo); `expected_discharge_on` is the hospital's estimate.
    """

    id: str
    stay_id: str
    needs: Needs
    opened_on: date
    admitted_on: date
    expected_discharge_on: date | None = None
    discharge_ready_on: date | None = None

    def clock_start(self) -> date | None:
        """The day the payment clock starts (or is expected to): readiness beats the estimate."""
        return self.discharge_ready_on or self.expected_discharge_on

    def urgency(self, today: date) -> Urgency:
        return urgency(today, self.discharge_ready_on, self.expected_discharge_on)

    def waiting_days(self, today: date) -> int:
        """Days since the case was opened (ventetid)."""
        return max(0, (today - self.opened_on).days)


def urgency(
    today: date, discharge_ready_on: date | None, expected_discharge_on: date | None = None
) -> Urgency:
    """How urgent a case is from its dates alone (also for a case whose needs are not recorded)."""
    if discharge_ready_on is not None and discharge_ready_on <= today:
        return Urgency.CLOCK_RUNNING
    if discharge_ready_on is not None or expected_discharge_on is not None:
        return Urgency.DISCHARGE_EXPECTED
    return Urgency.UNDATED
