from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest

from housing_match.domain import (
    HousingCase,
    HousingKind,
    InformationSharing,
    MatchPolicy,
    Needs,
    Site,
    SolveStatus,
    Stock,
    Unit,
    assignment_is_feasible,
    match,
)
from housing_match.domain import solver as solver_module

MONDAY = date(2024, 4, 8)
FRIDAY = date(2024, 4, 12)
EXACT = MatchPolicy(candidates_per_case=None, candidates_per_place=None)
TEMPORARY = Site.of_kind("S1", "Akuttbolig Fjell", HousingKind.TEMPORARY, "Fjell")
ELSEWHERE = Site.of_kind("S2", "Akuttbolig Tangen", HousingKind.TEMPORARY, "Tangen")


def case(
    case_id: str,
    *,
    ready: date | None = None,
    expected: date | None = None,
    opened: date = MONDAY,
    wish: str | None = None,
    consent: bool = True,
) -> HousingCase:
    needs = Needs(
        frozenset({HousingKind.TEMPORARY}), age=40, wished_district=wish, consent_to_share=consent
    )
    return HousingCase(case_id, f"stay-{case_id}", needs, opened, opened, expected, ready)


def winner(cases: list[HousingCase], units: list[Unit], today: date = MONDAY) -> dict[str, str]:
    return {p.case_id: p.unit_id for p in match(cases, Stock(units), today, EXACT).proposals}


def test_a_discharge_ready_case_outranks_a_not_yet_ready_one_for_a_contested_unit() -> None:
    # The expected case has waited far longer: urgency (money) must still win.
    ready = case("C-ready", ready=MONDAY, opened=MONDAY - timedelta(days=2))
    expected = case("C-later", expected=MONDAY + timedelta(days=20), opened=MONDAY - timedelta(300))

    assert winner([expected, ready], [Unit("U1", TEMPORARY)]) == {"C-ready": "U1"}


def test_an_expected_case_outranks_an_undated_one() -> None:
    expected = case("C-expected", expected=MONDAY + timedelta(days=30))
    undated = case("C-undated", opened=MONDAY - timedelta(days=300))

    assert winner([undated, expected], [Unit("U1", TEMPORARY)]) == {"C-expected": "U1"}


def test_with_money_equal_the_longer_waiting_case_wins() -> None:
    short = case("C-short", ready=MONDAY, opened=MONDAY - timedelta(days=5))
    long = case("C-long", ready=MONDAY, opened=MONDAY - timedelta(days=50))

    assert winner([short, long], [Unit("U1", TEMPORARY)]) == {"C-long": "U1"}


def test_with_money_equal_the_longer_waiting_case_gets_the_earlier_unit() -> None:
    short = case("C-short", ready=MONDAY, opened=MONDAY - timedelta(days=5))
    long = case("C-long", ready=MONDAY, opened=MONDAY - timedelta(days=50))
    now, later = Unit("U-now", TEMPORARY), Unit("U-later", ELSEWHERE, available_from=FRIDAY)
    # Which one gets which does not change the money: one of them waits four days either way.

    assert winner([short, long], [now, later]) == {"C-long": "U-now", "C-short": "U-later"}


def test_with_money_and_waiting_equal_the_wished_district_wins() -> None:
    plain = case("C-plain", ready=MONDAY)
    wishing = case("C-wish", ready=MONDAY, wish="Tangen")

    assert winner([plain, wishing], [Unit("U1", ELSEWHERE)]) == {"C-wish": "U1"}


def test_a_wish_never_outweighs_a_clock_day() -> None:
    wishing = case("C-wish", ready=MONDAY, wish="Tangen")
    here, there = (
        Unit("U-here", TEMPORARY),
        Unit("U-there", ELSEWHERE, available_from=MONDAY + timedelta(1)),
    )

    assert winner([wishing], [here, there]) == {"C-wish": "U-here"}


def test_all_tie_breakers_together_never_outweigh_a_clock_day() -> None:
    # C-tied has every tie-breaker (longest wait, wish) but its clock starts a day later.
    tied = case(
        "C-tied", expected=MONDAY + timedelta(1), wish="Fjell", opened=MONDAY - timedelta(99)
    )
    money = case("C-money", ready=MONDAY)

    assert winner([tied, money], [Unit("U1", TEMPORARY)]) == {"C-money": "U1"}


def test_friday_move_in_is_flagged_and_explained() -> None:
    result = match(
        [case("C1", ready=MONDAY)],
        Stock([Unit("U1", TEMPORARY, available_from=FRIDAY)]),
        MONDAY,
        EXACT,
    )
    (proposal,) = result.proposals

    assert proposal.move_in == FRIDAY
    assert proposal.friday_move_in
    assert "fredag" in proposal.explanation


def test_monday_move_in_is_not_flagged() -> None:
    (proposal,) = match(
        [case("C1", ready=MONDAY)], Stock([Unit("U1", TEMPORARY)]), MONDAY, EXACT
    ).proposals

    assert proposal.move_in == MONDAY and not proposal.friday_move_in


def test_a_proposal_carries_its_saving_its_rules_and_an_explanation() -> None:
    result = match(
        [case("C1", ready=MONDAY - timedelta(days=3), wish="Fjell")],
        Stock([Unit("U1", TEMPORARY, available_from=MONDAY + timedelta(days=2))]),
        MONDAY,
        EXACT,
    )
    (proposal,) = result.proposals

    assert proposal.clock_days_until_move_in == 2
    assert proposal.clock_days_saved == 88
    assert proposal.cost_saved == Decimal("5745") * 88
    assert result.cost_saved == proposal.cost_saved
    assert result.total_cost == Decimal("5745") * 2
    assert proposal.wish_met
    assert len(proposal.rules_checked) == 15 and all(r.passed for r in proposal.rules_checked)
    assert "Utskrivningsklar fra 2024-04-05" in proposal.explanation
    assert "505 560 kr" in proposal.explanation


def test_missing_consent_still_matches_but_only_minimal_information_may_flow() -> None:
    (proposal,) = match(
        [case("C1", ready=MONDAY, consent=False)], Stock([Unit("U1", TEMPORARY)]), MONDAY, EXACT
    ).proposals

    assert proposal.information_sharing is InformationSharing.MINIMAL
    assert "Samtykke" in proposal.explanation


def test_missing_consent_can_be_excluded_by_policy() -> None:
    policy = MatchPolicy(exclude_without_consent=True)
    cases = [case("C1", ready=MONDAY, consent=False), case("C2", ready=MONDAY)]

    result = match(cases, Stock([Unit("U1", TEMPORARY), Unit("U2", TEMPORARY)]), MONDAY, policy)

    assert [p.case_id for p in result.proposals] == ["C2"]
    assert result.excluded == ("C1",) and result.unmatched == ()
    assert result.total_cost == Decimal("5745") * 90  # the excluded case's clock still runs


def busy_instance() -> tuple[list[HousingCase], Stock]:
    cases = [case(f"C{i}", ready=MONDAY - timedelta(days=i % 3)) for i in range(12)]
    units = [Unit(f"U{i}", TEMPORARY if i % 2 else ELSEWHERE) for i in range(8)]
    return cases, Stock(units)


def test_no_time_left_falls_back_to_a_feasible_greedy_solution() -> None:
    cases, stock = busy_instance()

    result = match(cases, stock, MONDAY, MatchPolicy(time_limit_seconds=0))

    assert result.status is SolveStatus.GREEDY_FALLBACK
    assert any("greedy" in note for note in result.notes)
    assert len(result.proposals) == 8
    assert assignment_is_feasible(
        {p.case_id: p.unit_id for p in result.proposals}, {c.id: c for c in cases}, stock
    )


def test_a_solver_stopped_by_its_time_limit_gives_its_best_solution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_milp = solver_module.milp

    def stopped(*args: object, **kwargs: object) -> SimpleNamespace:
        found = real_milp(*args, **kwargs)
        return SimpleNamespace(status=1, x=found.x, message="Time limit reached.")

    monkeypatch.setattr(solver_module, "milp", stopped)
    cases, stock = busy_instance()

    result = match(cases, stock, MONDAY)

    assert result.status is SolveStatus.TIME_LIMIT_BEST_FOUND
    assert any("best solution found" in note for note in result.notes)
    assert len(result.proposals) == 8


def test_a_solver_without_any_solution_falls_back_to_greedy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        solver_module,
        "milp",
        lambda *a, **k: SimpleNamespace(status=1, x=None, message="Time limit reached."),
    )
    cases, stock = busy_instance()

    result = match(cases, stock, MONDAY)

    assert result.status is SolveStatus.GREEDY_FALLBACK
    assert len(result.proposals) == 8


def test_pruning_is_reported() -> None:
    cases, stock = busy_instance()

    pruned = match(cases, stock, MONDAY, MatchPolicy(candidates_per_case=1, candidates_per_place=1))
    exact = match(cases, stock, MONDAY, EXACT)

    assert pruned.pruned and any("pruned" in note for note in pruned.notes)
    assert not exact.pruned and exact.notes == ()
    assert pruned.stats.candidate_pairs < exact.stats.candidate_pairs


def test_interchangeable_units_are_solved_as_one_offer() -> None:
    cases, stock = busy_instance()

    result = match(cases, stock, MONDAY, EXACT)

    assert result.stats.units_offered == 8
    assert result.stats.offers == 2  # two sites, everything free today
    assert len({p.unit_id for p in result.proposals}) == 8


def test_independent_sites_are_solved_as_separate_components() -> None:
    a = Site.of_kind("SA", "A", HousingKind.HOUSING_FIRST, "Fjell")
    b = Site.of_kind("SB", "B", HousingKind.STAFFED, "Fjell")
    needs_a = Needs(frozenset({HousingKind.HOUSING_FIRST}), age=30)
    needs_b = Needs(frozenset({HousingKind.STAFFED}), age=30)
    cases = [
        HousingCase(f"C{i}", "s", needs_a if i < 2 else needs_b, MONDAY, MONDAY, None, MONDAY)
        for i in range(4)
    ]
    result = match(cases, Stock([Unit("UA", a), Unit("UB", b)]), MONDAY, EXACT)

    assert result.stats.components == 2
    assert len(result.proposals) == 2


def test_nothing_to_match() -> None:
    result = match([], Stock([]), MONDAY)

    assert result.proposals == () and result.status is SolveStatus.OPTIMAL
    assert result.total_cost == 0


def test_duplicate_case_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        match([case("C1"), case("C1")], Stock([]), MONDAY)


def test_solution_is_deterministic() -> None:
    cases, stock = busy_instance()

    first = match(cases, stock, MONDAY)
    again = match(list(reversed(cases)), stock, MONDAY)

    assert first.proposals == again.proposals
    assert np.isclose(float(first.total_cost), float(again.total_cost))
