"""The cost model: days on the payment clock (betalingsdøgn) within a planning horizon.

Only days from `today` on count: days already on the clock are spent whatever we decide, so they
cannot be saved. Within the horizon [today, today + horizon_days):

- the clock of a case starts at s = max(today, clock_start(case)); a case without any date has no
  clock in the horizon;
- left unmatched, the case costs every day from s to the end of the horizon (we assume no place
  turns up within the horizon otherwise);
- matched to a unit, it costs the days from s until the move-in date (when the unit is available, or
  the patient's clock start if that is later, since no one moves in before discharge).

So the days saved by a match are the horizon days from move-in onwards on which the clock would
otherwise have run. Units that become available only after the horizon are not offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from housing_match.domain.cases import HousingCase
from housing_match.domain.stock import Unit

DAILY_RATE_2024 = Decimal("5745")


@dataclass(frozen=True, slots=True)
class CostModel:
    today: date
    daily_rate: Decimal = DAILY_RATE_2024
    horizon_days: int = 90

    def __post_init__(self) -> None:
        if self.horizon_days < 1:
            raise ValueError("the horizon must be at least one day")

    @property
    def horizon_end(self) -> date:
        """The first day after the planning horizon."""
        return self.today + timedelta(days=self.horizon_days)

    def available_on(self, unit: Unit) -> date:
        """The first day the unit can be moved into."""
        return max(self.today, unit.available_from or self.today)

    def offers(self, unit: Unit) -> bool:
        """Whether the unit is free (now or later) within the horizon."""
        return unit.free_places > 0 and self.available_on(unit) < self.horizon_end

    def move_in(self, case: HousingCase, unit: Unit) -> date:
        """Move-in: when the unit is free and, for a patient still in treatment, discharged."""
        start = case.clock_start()
        ready = self.today if start is None else max(self.today, start)
        return max(ready, self.available_on(unit))

    def unmatched_days(self, case: HousingCase) -> int:
        """Clock days within the horizon if the case gets no place."""
        start = self._clock_from(case)
        return 0 if start is None else max(0, (self.horizon_end - start).days)

    def matched_days(self, case: HousingCase, unit: Unit) -> int:
        """Clock days within the horizon until the case moves into `unit`."""
        start = self._clock_from(case)
        if start is None:
            return 0
        stop = min(self.available_on(unit), self.horizon_end)
        return max(0, (stop - start).days)

    def saved_days(self, case: HousingCase, unit: Unit) -> int:
        return self.unmatched_days(case) - self.matched_days(case, unit)

    def money(self, days: int) -> Decimal:
        """NOK for `days` clock days at the planning rate."""
        return self.daily_rate * days

    def _clock_from(self, case: HousingCase) -> date | None:
        start = case.clock_start()
        return None if start is None else max(self.today, start)
