"""One test per hard rule: a case and unit breaking it (and only it) are never proposed, while the
same scenario with the rule kept is proposed (so that the test cannot pass by matching nothing)."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import pytest

from housing_match.domain import (
    HARD_RULES,
    HousingCase,
    HousingKind,
    MatchPolicy,
    Needs,
    ResidentProfile,
    Site,
    Stock,
    Unit,
    UnitStatus,
    check,
    check_assignment,
    match,
    placement,
)

TODAY = date(2024, 4, 8)
EXACT = MatchPolicy(candidates_per_case=None, candidates_per_place=None)
K = HousingKind


def needs(**changes: object) -> Needs:
    """Needs that every kind of site accepts unless `changes` say otherwise."""
    fields: dict[str, object] = {
        "acceptable_kinds": frozenset(HousingKind),
        "age": 30,
        "individual_plan": True,
        "crisis_plan": True,
        "day_activity": True,
        "long_treatment": True,
        "known_user": True,
        "consent_to_share": True,
    }
    return Needs(**{**fields, **changes})  # type: ignore[arg-type]


def case(case_id: str = "C1", **changes: object) -> HousingCase:
    return HousingCase(case_id, f"stay-{case_id}", needs(**changes), TODAY, TODAY, None, TODAY)


def site(kind: HousingKind, **tighten: object) -> Site:
    return Site.of_kind("S1", f"{kind.value} site", kind, "Bragernes", **tighten)


def proposed(cases: list[HousingCase], units: list[Unit]) -> set[tuple[str, str]]:
    return {(p.case_id, p.unit_id) for p in match(cases, Stock(units), TODAY, EXACT).proposals}


@dataclass(frozen=True)
class Scenario:
    """`broken` breaks exactly the rules `fails`; `kept` is the same with the rule kept."""

    fails: frozenset[str]
    broken: tuple[HousingCase, list[Unit]]
    kept: tuple[HousingCase, list[Unit]]


def on(
    kind: HousingKind,
    fails: str,
    bad: dict[str, object],
    good: dict[str, object],
    **tighten: object,
) -> Scenario:
    units = [Unit("U1", site(kind, **tighten))]
    return Scenario(frozenset({fails}), (case(**bad), units), (case(**good), units))


def with_residents(
    kind: HousingKind,
    fails: str,
    the_case: HousingCase,
    bad: ResidentProfile,
    good: ResidentProfile,
) -> Scenario:
    def units(resident: ResidentProfile) -> list[Unit]:
        s = site(kind)
        occupied = Unit("U2", s, status=UnitStatus.OCCUPIED, residents=(resident,))
        return [Unit("U1", s), occupied, replace(occupied, id="U3")]

    return Scenario(frozenset({fails}), (the_case, units(bad)), (the_case, units(good)))


def unit_scenario(
    fails: set[str], bad: Callable[[Site], Unit], good: Callable[[Site], Unit]
) -> Scenario:
    s = site(K.TEMPORARY)
    return Scenario(frozenset(fails), (case(), [bad(s)]), (case(), [good(s)]))


HEAVY = ResidentProfile(heavy_needs=True)
SCENARIOS = {
    "unit_is_free (occupied)": unit_scenario(
        {"unit_is_free", "capacity"},
        lambda s: Unit("U1", s, status=UnitStatus.OCCUPIED),
        lambda s: Unit("U1", s),
    ),
    "unit_is_free (retired)": unit_scenario(
        {"unit_is_free", "capacity"},
        lambda s: Unit("U1", s, status=UnitStatus.RETIRED),
        lambda s: Unit("U1", s),
    ),
    "kind_acceptable": on(
        K.HOUSING_FIRST,
        "kind_acceptable",
        {"acceptable_kinds": frozenset({K.TEMPORARY})},
        {"acceptable_kinds": frozenset({K.HOUSING_FIRST})},
    ),
    "staffing_need_met": on(K.HOUSING_FIRST, "staffing_need_met", {"needs_staffing": True}, {}),
    "drug_free_need_met": on(K.TEMPORARY, "drug_free_need_met", {"requires_drug_free": True}, {}),
    "min_age_met (transitional)": on(K.TRANSITIONAL, "min_age_met", {"age": 17}, {"age": 18}),
    "min_age_met (site's own)": on(
        K.CRISIS_BED, "min_age_met", {"age": 22}, {"age": 23}, min_age=23
    ),
    "individual_plan_in_place": on(
        K.TRANSITIONAL, "individual_plan_in_place", {"individual_plan": False}, {}
    ),
    "individual_plan_in_place (tightened staffed)": on(
        K.STAFFED,
        "individual_plan_in_place",
        {"individual_plan": False},
        {},
        requires_individual_plan=True,
    ),
    "crisis_plan_in_place": on(K.TRANSITIONAL, "crisis_plan_in_place", {"crisis_plan": False}, {}),
    "day_activity_in_place": on(
        K.TRANSITIONAL, "day_activity_in_place", {"day_activity": False}, {}
    ),
    "long_treatment_completed": on(
        K.TRANSITIONAL, "long_treatment_completed", {"long_treatment": False}, {}
    ),
    "no_active_use_at_drug_free_site": on(
        K.TEMPORARY, "no_active_use_at_drug_free_site", {"active_use": True}, {}, drug_free=True
    ),
    "no_active_use_where_excluded (staffed)": on(
        K.STAFFED, "no_active_use_where_excluded", {"active_use": True}, {}
    ),
    "known_user_for_crisis_bed": on(
        K.CRISIS_BED, "known_user_for_crisis_bed", {"known_user": False}, {}
    ),
    "no_mixing_use_and_recovery (recovery among users)": with_residents(
        K.TEMPORARY,
        "no_mixing_use_and_recovery",
        case(in_recovery=True),
        bad=ResidentProfile(active_use=True),
        good=ResidentProfile(),
    ),
    "no_mixing_use_and_recovery (user among recovery)": with_residents(
        K.TEMPORARY,
        "no_mixing_use_and_recovery",
        case(active_use=True),
        bad=ResidentProfile(in_recovery=True),
        good=ResidentProfile(active_use=True),
    ),
    "heavy_needs_limit (existing residents)": with_residents(
        K.HOUSING_FIRST,
        "heavy_needs_limit",
        case(heavy_needs=True),
        bad=HEAVY,
        good=ResidentProfile(),
    ),
    "capacity": unit_scenario(
        {"capacity"},
        lambda s: Unit("U1", s, capacity=2, residents=(ResidentProfile(), ResidentProfile())),
        lambda s: Unit("U1", s, capacity=2, residents=(ResidentProfile(),)),
    ),
}


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_a_pair_breaking_a_rule_fails_it_with_a_reason_and_is_never_proposed(
    scenario: Scenario,
) -> None:
    (bad_case, bad_units), (good_case, good_units) = scenario.broken, scenario.kept
    target = bad_units[0]

    verdicts = check(placement(bad_case, target, Stock(bad_units)))
    assert {r.rule for r in verdicts if not r.passed} == scenario.fails
    assert all(r.reason for r in verdicts)
    assert (bad_case.id, target.id) not in proposed([bad_case], bad_units)
    assert all(r.passed for r in check(placement(good_case, good_units[0], Stock(good_units))))
    assert (good_case.id, good_units[0].id) in proposed([good_case], good_units)


def test_every_hard_rule_has_a_scenario() -> None:
    covered = {rule for s in SCENARIOS.values() for rule in s.fails}

    assert covered == {rule.__name__ for rule in HARD_RULES}


def test_a_person_in_active_use_is_never_proposed_to_a_transitional_house() -> None:
    units = [Unit("U1", site(K.TRANSITIONAL))]
    user = case(active_use=True)

    failed = {r.rule for r in check(placement(user, units[0], Stock(units))) if not r.passed}
    assert failed == {"no_active_use_at_drug_free_site", "no_active_use_where_excluded"}
    assert proposed([user], units) == set()


# --- rules that depend on the other people placed in the same solution -------------------------


def two_units(kind: HousingKind, **tighten: object) -> list[Unit]:
    s = site(kind, **tighten)
    return [Unit("U1", s), Unit("U2", s)]


def test_new_people_in_recovery_and_in_active_use_are_not_placed_at_one_temporary_site() -> None:
    user, recovering = case("C1", active_use=True), case("C2", in_recovery=True)
    units = two_units(K.TEMPORARY)
    both = {"C1": "U1", "C2": "U2"}

    verdicts = check_assignment(both, {"C1": user, "C2": recovering}, Stock(units))
    assert {r.rule for v in verdicts.values() for r in v if not r.passed} == {
        "no_mixing_use_and_recovery"
    }
    assert len(proposed([user, recovering], units)) == 1
    assert len(proposed([user, recovering], two_units(K.HOUSING_FIRST))) == 2


def test_people_neither_using_nor_in_recovery_may_live_with_either() -> None:
    units = [*two_units(K.TEMPORARY), Unit("U3", site(K.TEMPORARY))]
    people = [case("C1", active_use=True), case("C2"), case("C3", active_use=True)]

    assert len(proposed(people, units)) == 3


def test_new_residents_with_heavy_needs_respect_the_site_limit() -> None:
    heavy = [case("C1", heavy_needs=True), case("C2", heavy_needs=True)]

    assert len(proposed(heavy, two_units(K.HOUSING_FIRST, max_heavy_needs=1))) == 1
    assert len(proposed(heavy, two_units(K.HOUSING_FIRST))) == 2  # the default limit is 2


def test_new_residents_respect_unit_capacity() -> None:
    people = [case("C1"), case("C2"), case("C3")]
    s = site(K.TEMPORARY)

    assert len(proposed(people, [Unit("U1", s)])) == 1
    shared = proposed(people, [Unit("U1", s, capacity=2)])
    assert len(shared) == 2 and {unit for _, unit in shared} == {"U1"}
