"""Daily rates (døgnpris): data with validity dates, set each year in the state budget."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise

from billing.domain.days import ONE_DAY, year_start


@dataclass(frozen=True)
class Rate:
    """NOK per day for the days from `valid_from` to `valid_to`, both included."""

    valid_from: date
    valid_to: date
    nok_per_day: Decimal
    source: str = ""

    def __post_init__(self) -> None:
        if self.valid_to < self.valid_from:
            raise ValueError(f"rate ends {self.valid_to}, before it starts {self.valid_from}")
        if not isinstance(self.nok_per_day, Decimal) or self.nok_per_day < 0:
            raise ValueError(f"rate must be a non-negative Decimal, got {self.nok_per_day!r}")

    def covers(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class RateSegment:
    """Consecutive days [start, end) within one calendar year and under one rate (or none)."""

    start: date
    end: date
    rate: Rate | None

    @property
    def days(self) -> int:
        return (self.end - self.start).days


class RateTable:
    """The rates in force; a day no rate covers is unpriced, never guessed."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        self._rates = tuple(sorted(rates, key=lambda r: r.valid_from))
        for earlier, later in pairwise(self._rates):
            if later.valid_from <= earlier.valid_to:
                raise ValueError(f"rates overlap: {earlier} and {later}")
        # Every period is priced on every recomputation: look rates up by bisection, not by scan.
        self._starts = tuple(r.valid_from for r in self._rates)
        self._changes = tuple(
            sorted(
                {r.valid_from for r in self._rates} | {r.valid_to + ONE_DAY for r in self._rates}
            )
        )

    @property
    def rates(self) -> tuple[Rate, ...]:
        return self._rates

    def rate_on(self, day: date) -> Rate | None:
        latest = bisect_right(self._starts, day) - 1  # the last rate starting on or before `day`
        if latest >= 0 and self._rates[latest].covers(day):
            return self._rates[latest]
        return None

    def segments(self, start: date, end: date) -> list[RateSegment]:
        """Split [start, end) where the year or the rate changes."""
        if end <= start:
            return []
        changes = self._changes[
            bisect_right(self._changes, start) : bisect_left(self._changes, end)
        ]
        years = (year_start(y) for y in range(start.year + 1, end.year + 1))
        bounds = sorted({start, end, *changes, *years})
        return [RateSegment(a, b, self.rate_on(a)) for a, b in pairwise(bounds)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RateTable) and other._rates == self._rates

    def __hash__(self) -> int:
        return hash(self._rates)

    def __repr__(self) -> str:
        return f"RateTable({list(self._rates)!r})"
