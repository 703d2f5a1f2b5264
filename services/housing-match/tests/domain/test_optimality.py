"""The solver against brute force on instances small enough to enumerate, and every proposal
against every hard rule on random instances.

The brute force knows nothing of the solver's formulation: it tries every assignment, keeps those
the rule functions accept, and prices them with the cost model.
"""

import random
from datetime import date, timedelta
from decimal import Decimal
from itertools import product

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from housing_match.domain import (
    CostModel,
    HousingCase,
    HousingKind,
    MatchPolicy,
    MatchResult,
    Needs,
    ResidentProfile,
    Site,
    Stock,
    Unit,
    UnitStatus,
    assignment_is_feasible,
    check,
    check_assignment,
    match,
    placement,
)
from housing_match.domain.candidates import Instance, TieBreak

TODAY = date(2024, 4, 8)
HORIZON = 20
RATE = Decimal("5745")
EXACT = MatchPolicy(
    daily_rate=RATE, horizon_days=HORIZON, candidates_per_case=None, candidates_per_place=None
)
DISTRICTS = ("Fjell", "Tangen", "Strømsø")
KINDS = tuple(HousingKind)


def brute_force_days(cases: list[HousingCase], stock: Stock, costs: CostModel) -> int:
    """The fewest clock days over every assignment the hard rules allow."""
    offered = [u for u in stock.units if costs.offers(u)]
    # A pair that fails alone fails in any company, so only pairs passing alone are tried.
    options = [
        [None, *(u for u in offered if all(r.passed for r in check(placement(c, u, stock))))]
        for c in cases
    ]
    by_id = {c.id: c for c in cases}
    best = sum(costs.unmatched_days(c) for c in cases)  # nobody placed is always allowed
    for choice in product(*options):
        assignment = {c.id: u.id for c, u in zip(cases, choice, strict=True) if u is not None}
        days = sum(
            costs.unmatched_days(c) if u is None else costs.matched_days(c, u)
            for c, u in zip(cases, choice, strict=True)
        )
        if days < best and assignment_is_feasible(assignment, by_id, stock):
            best = days
    return best


def assert_every_proposal_keeps_every_rule(
    result: MatchResult, cases: list[HousingCase], stock: Stock
) -> None:
    assignment = {p.case_id: p.unit_id for p in result.proposals}
    assert len(assignment) == len(result.proposals)  # no case twice
    for p in result.proposals:
        assert all(r.passed for r in p.rules_checked), p.rules_checked
    verdicts = check_assignment(assignment, {c.id: c for c in cases}, stock)
    assert all(r.passed for results in verdicts.values() for r in results)


# --- seeded instances: 6 cases x 5 units, built to make the shared constraints bite -------------


def random_instance(seed: int) -> tuple[list[HousingCase], Stock]:
    rng = random.Random(seed)
    sites = [
        Site.of_kind("S-tmp", "Akuttbolig", HousingKind.TEMPORARY, "Fjell", max_heavy_needs=1),
        Site.of_kind(
            "S-hf", "Housing First", HousingKind.HOUSING_FIRST, "Tangen", max_heavy_needs=1
        ),
        Site.of_kind("S-x", "Annet", rng.choice(KINDS), rng.choice(DISTRICTS)),
    ]
    units = [
        random_unit(rng, f"U{i}", sites[min(i, 2) if i < 3 else rng.randrange(3)]) for i in range(5)
    ]
    cases = [random_case(rng, f"C{i}") for i in range(6)]
    return cases, Stock(units)


def random_unit(rng: random.Random, unit_id: str, site: Site) -> Unit:
    capacity = 2 if site.kind is HousingKind.TEMPORARY and rng.random() < 0.4 else 1
    later = TODAY + timedelta(days=rng.randint(1, HORIZON + 5)) if rng.random() < 0.4 else None
    if rng.random() < 0.2:
        resident = ResidentProfile(rng.random() < 0.5, False, rng.random() < 0.5)
        return Unit(unit_id, site, status=UnitStatus.OCCUPIED, residents=(resident,))
    return Unit(unit_id, site, capacity, available_from=later)


def random_case(rng: random.Random, case_id: str) -> HousingCase:
    use = rng.choice(["active", "recovery", "none"])
    kinds = frozenset(k for k in KINDS if rng.random() < 0.6) or frozenset({HousingKind.TEMPORARY})
    needs = Needs(
        acceptable_kinds=kinds,
        age=rng.choice([17, 19, 25, 40]),
        needs_staffing=rng.random() < 0.2,
        requires_drug_free=rng.random() < 0.15,
        active_use=use == "active",
        in_recovery=use == "recovery",
        individual_plan=rng.random() < 0.7,
        crisis_plan=rng.random() < 0.7,
        day_activity=rng.random() < 0.6,
        wished_district=rng.choice([None, *DISTRICTS]),
        heavy_needs=rng.random() < 0.5,
        long_treatment=rng.random() < 0.6,
        known_user=rng.random() < 0.7,
    )
    opened = TODAY - timedelta(days=rng.randint(0, 60))
    draw = rng.random()
    ready = TODAY - timedelta(days=rng.randint(0, 5)) if draw < 0.5 else None
    expected = TODAY + timedelta(days=rng.randint(0, HORIZON + 5)) if 0.5 <= draw < 0.85 else None
    return HousingCase(case_id, f"stay-{case_id}", needs, opened, opened, expected, ready)


@pytest.mark.parametrize("seed", range(12))
def test_solver_cost_equals_the_brute_force_optimum(seed: int) -> None:
    cases, stock = random_instance(seed)
    costs = CostModel(TODAY, RATE, HORIZON)

    result = match(cases, stock, TODAY, EXACT)

    assert result.total_cost == RATE * brute_force_days(cases, stock, costs)
    assert_every_proposal_keeps_every_rule(result, cases, stock)


def test_the_seeded_instances_make_the_shared_constraints_bite() -> None:
    """Guard against a generator that only ever produces easy instances."""
    contested = 0
    for seed in range(12):
        cases, stock = random_instance(seed)
        result = match(cases, stock, TODAY, EXACT)
        contested += len(result.unmatched) > 0 and len(result.proposals) > 0
    assert contested >= 6


# --- hypothesis: random small instances ---------------------------------------------------------


@st.composite
def sites(draw: st.DrawFn, site_id: str) -> Site:
    kind = draw(st.sampled_from(KINDS))
    tighten = {}
    if draw(st.booleans()):
        tighten["max_heavy_needs"] = draw(st.integers(0, 1))
    if draw(st.booleans()):
        tighten["drug_free"] = True
    return Site.of_kind(site_id, site_id, kind, draw(st.sampled_from(DISTRICTS)), **tighten)


@st.composite
def units(draw: st.DrawFn, unit_id: str, site: Site) -> Unit:
    status = draw(st.sampled_from([UnitStatus.FREE, UnitStatus.FREE, UnitStatus.OCCUPIED]))
    capacity = draw(st.integers(1, 2))
    residents = draw(
        st.lists(
            st.builds(ResidentProfile, st.booleans(), st.just(False), st.booleans()),
            max_size=capacity if status is UnitStatus.OCCUPIED else capacity - 1,
        )
    )
    if any(r.active_use for r in residents) and site.rules.drug_free:
        residents = []
    days = draw(st.none() | st.integers(0, HORIZON + 3))
    later = None if days is None else TODAY + timedelta(days=days)
    return Unit(unit_id, site, capacity, status, later, tuple(residents))


@st.composite
def needs(draw: st.DrawFn) -> Needs:
    use = draw(st.sampled_from(["active", "recovery", "none"]))
    return Needs(
        acceptable_kinds=draw(st.frozensets(st.sampled_from(KINDS), min_size=1)),
        age=draw(st.sampled_from([16, 18, 30])),
        needs_staffing=draw(st.booleans()),
        requires_drug_free=draw(st.booleans()),
        active_use=use == "active",
        in_recovery=use == "recovery",
        individual_plan=draw(st.booleans()),
        crisis_plan=draw(st.booleans()),
        day_activity=draw(st.booleans()),
        wished_district=draw(st.none() | st.sampled_from(DISTRICTS)),
        consent_to_share=draw(st.booleans()),
        heavy_needs=draw(st.booleans()),
        long_treatment=draw(st.booleans()),
        known_user=draw(st.booleans()),
    )


@st.composite
def housing_cases(draw: st.DrawFn, case_id: str) -> HousingCase:
    opened = TODAY - timedelta(days=draw(st.integers(0, 100)))
    ready = draw(st.none() | st.integers(-5, 3).map(lambda d: TODAY + timedelta(days=d)))
    expected = draw(
        st.none() | st.integers(0, HORIZON + 5).map(lambda d: TODAY + timedelta(days=d))
    )
    return HousingCase(case_id, f"stay-{case_id}", draw(needs()), opened, opened, expected, ready)


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[HousingCase], Stock]:
    site_list = [draw(sites(f"S{i}")) for i in range(draw(st.integers(1, 3)))]
    n_units = draw(st.integers(1, 4))
    unit_list = [draw(units(f"U{i}", draw(st.sampled_from(site_list)))) for i in range(n_units)]
    case_list = [draw(housing_cases(f"C{i}")) for i in range(draw(st.integers(1, 4)))]
    return case_list, Stock(unit_list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_proposal_keeps_every_rule_and_the_cost_is_optimal(
    instance: tuple[list[HousingCase], Stock],
) -> None:
    cases, stock = instance
    costs = CostModel(TODAY, RATE, HORIZON)

    result = match(cases, stock, TODAY, EXACT)

    assert_every_proposal_keeps_every_rule(result, cases, stock)
    assert result.total_cost == RATE * brute_force_days(cases, stock, costs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_solver_prices_pairs_as_the_cost_model_does(
    instance: tuple[list[HousingCase], Stock],
) -> None:
    cases, stock = instance
    costs = CostModel(TODAY, RATE, HORIZON)
    arrays = Instance.build(
        sorted(cases, key=lambda c: c.id), stock, costs, TieBreak(0.5, 0.3, 0.2)
    )

    for c, case in enumerate(arrays.cases):
        for o, offer in enumerate(arrays.offers):
            for unit in offer.places:
                expected = costs.saved_days(case, unit)
                assert arrays.saved_days(np.array([c]), np.array([o]))[0] == expected
                assert costs.move_in(case, unit) >= offer.available_on


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(1, 2), st.integers(1, 2))
def test_pruned_matching_also_keeps_every_rule(
    instance: tuple[list[HousingCase], Stock], per_case: int, per_place: int
) -> None:
    cases, stock = instance
    policy = MatchPolicy(
        horizon_days=HORIZON, candidates_per_case=per_case, candidates_per_place=per_place
    )

    assert_every_proposal_keeps_every_rule(match(cases, stock, TODAY, policy), cases, stock)
