from datetime import date, timedelta
from decimal import Decimal

import pytest

from housing_match.domain import (
    CostModel,
    HousingCase,
    HousingKind,
    Needs,
    Site,
    Unit,
    UnitStatus,
    Urgency,
)

TODAY = date(2024, 4, 8)
SITE = Site.of_kind("S1", "Akuttbolig", HousingKind.TEMPORARY, "Fjell")
COSTS = CostModel(TODAY, Decimal("5745"), horizon_days=90)


def a_case(
    ready: date | None = None, expected: date | None = None, opened: date = TODAY
) -> HousingCase:
    needs = Needs(frozenset({HousingKind.TEMPORARY}), age=40)
    return HousingCase("C1", "stay-1", needs, opened, opened, expected, ready)


def unit_from(days: int | None) -> Unit:
    return Unit("U1", SITE, available_from=None if days is None else TODAY + timedelta(days))


def test_needs_refuse_active_use_and_recovery_at_once() -> None:
    with pytest.raises(ValueError, match="not both"):
        Needs(frozenset({HousingKind.TEMPORARY}), age=40, active_use=True, in_recovery=True)
    with pytest.raises(ValueError, match="at least one kind"):
        Needs(frozenset(), age=40)


def test_readiness_beats_the_expected_discharge_as_clock_start() -> None:
    case = a_case(ready=TODAY - timedelta(2), expected=TODAY + timedelta(5))

    assert case.clock_start() == TODAY - timedelta(2)
    assert case.urgency(TODAY) is Urgency.CLOCK_RUNNING


def test_urgency_of_expected_and_undated_cases() -> None:
    assert a_case(expected=TODAY + timedelta(5)).urgency(TODAY) is Urgency.DISCHARGE_EXPECTED
    assert a_case(ready=TODAY + timedelta(1)).urgency(TODAY) is Urgency.DISCHARGE_EXPECTED
    assert a_case().urgency(TODAY) is Urgency.UNDATED


def test_waiting_days_count_from_opening() -> None:
    assert a_case(opened=TODAY - timedelta(30)).waiting_days(TODAY) == 30


def test_ready_case_and_unit_free_now_saves_the_whole_horizon() -> None:
    case, unit = a_case(ready=TODAY - timedelta(10)), unit_from(None)

    assert COSTS.unmatched_days(case) == 90  # the 10 days already run cannot be saved
    assert COSTS.matched_days(case, unit) == 0
    assert COSTS.saved_days(case, unit) == 90
    assert COSTS.money(COSTS.saved_days(case, unit)) == Decimal("517050")
    assert COSTS.move_in(case, unit) == TODAY


def test_ready_case_pays_until_a_later_unit_is_free() -> None:
    case, unit = a_case(ready=TODAY), unit_from(12)

    assert COSTS.matched_days(case, unit) == 12
    assert COSTS.saved_days(case, unit) == 78
    assert COSTS.move_in(case, unit) == TODAY + timedelta(12)


def test_expected_case_moves_in_at_discharge_and_saves_from_then() -> None:
    case, unit = a_case(expected=TODAY + timedelta(30)), unit_from(None)

    assert COSTS.move_in(case, unit) == TODAY + timedelta(30)
    assert COSTS.unmatched_days(case) == 60
    assert COSTS.saved_days(case, unit) == 60


def test_cases_beyond_the_horizon_or_undated_save_nothing() -> None:
    unit = unit_from(None)

    assert COSTS.saved_days(a_case(expected=TODAY + timedelta(120)), unit) == 0
    assert COSTS.saved_days(a_case(), unit) == 0
    assert COSTS.move_in(a_case(), unit_from(3)) == TODAY + timedelta(3)


def test_units_free_after_the_horizon_or_not_free_are_not_offered() -> None:
    assert COSTS.offers(unit_from(89))
    assert not COSTS.offers(unit_from(90))
    assert not COSTS.offers(Unit("U2", SITE, status=UnitStatus.OCCUPIED))
