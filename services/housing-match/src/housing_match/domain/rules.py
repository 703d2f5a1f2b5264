"""Hard rules (absolutte krav): named functions of a placement that pass or fail with a reason.

A rule that does not apply at the site passes and says so, so that a proposal lists every rule.
Rules look at the site's existing residents and, for a whole solution, at the other people placed
at the same site and unit; matching a single pair leaves `co_placed_*` empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from housing_match.domain.cases import HousingCase, Needs
from housing_match.domain.stock import ResidentMix, Site, Stock, Unit, UnitStatus


class RuleResult(NamedTuple):
    rule: str
    passed: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Placement:
    """One person moving into one unit, with what the rules need to know around it."""

    needs: Needs
    site: Site
    unit_status: UnitStatus
    unit_free_places: int
    site_residents: ResidentMix
    co_placed_at_site: tuple[Needs, ...] = ()
    """Other people placed at the same site in the same solution (this unit included)."""
    co_placed_in_unit: int = 0
    """How many of `co_placed_at_site` take a place in this very unit."""


Rule = Callable[[Placement], RuleResult]


def _ok(rule: str, reason: str) -> RuleResult:
    return RuleResult(rule, True, reason)


def _fail(rule: str, reason: str) -> RuleResult:
    return RuleResult(rule, False, reason)


def unit_is_free(p: Placement) -> RuleResult:
    if p.unit_status is UnitStatus.FREE:
        return _ok("unit_is_free", "the unit is free (now or from its availability date)")
    return _fail("unit_is_free", f"the unit is {p.unit_status.value}")


def kind_acceptable(p: Placement) -> RuleResult:
    kind = p.site.kind.value
    if p.site.kind in p.needs.acceptable_kinds:
        return _ok("kind_acceptable", f"{kind} is a kind of housing the case accepts")
    return _fail("kind_acceptable", f"the case does not accept {kind}")


def staffing_need_met(p: Placement) -> RuleResult:
    if not p.needs.needs_staffing:
        return _ok("staffing_need_met", "the case does not need staffing")
    if p.site.rules.staffed_24_7:
        return _ok("staffing_need_met", "the site is staffed 24/7 as the case needs")
    return _fail("staffing_need_met", "the case needs staffing 24/7 and the site has none")


def drug_free_need_met(p: Placement) -> RuleResult:
    if not p.needs.requires_drug_free:
        return _ok("drug_free_need_met", "the case does not require a drug-free environment")
    if p.site.rules.drug_free:
        return _ok("drug_free_need_met", "the site is drug-free as the case requires")
    return _fail("drug_free_need_met", "the case requires a drug-free site and this one is not")


def min_age_met(p: Placement) -> RuleResult:
    limit, age = p.site.rules.min_age, p.needs.age
    if age >= limit:
        return _ok("min_age_met", f"age {age} meets the site's minimum age {limit}")
    return _fail("min_age_met", f"age {age} is below the site's minimum age {limit}")


def individual_plan_in_place(p: Placement) -> RuleResult:
    return _requirement(
        "individual_plan_in_place",
        p.site.rules.requires_individual_plan,
        p.needs.individual_plan,
        "an individual plan (IP)",
    )


def crisis_plan_in_place(p: Placement) -> RuleResult:
    return _requirement(
        "crisis_plan_in_place",
        p.site.rules.requires_crisis_plan,
        p.needs.crisis_plan,
        "a crisis plan",
    )


def day_activity_in_place(p: Placement) -> RuleResult:
    return _requirement(
        "day_activity_in_place",
        p.site.rules.requires_day_activity,
        p.needs.day_activity,
        "a day activity (work or school)",
    )


def long_treatment_completed(p: Placement) -> RuleResult:
    return _requirement(
        "long_treatment_completed",
        p.site.rules.requires_long_treatment,
        p.needs.long_treatment,
        "treatment of at least 6 months",
    )


def _requirement(rule: str, required: bool, present: bool, what: str) -> RuleResult:
    if not required:
        return _ok(rule, f"the site does not require {what}")
    if present:
        return _ok(rule, f"{what} is in place as the site requires")
    return _fail(rule, f"the site requires {what} before moving in; it is not in place")


def no_active_use_at_drug_free_site(p: Placement) -> RuleResult:
    rule = "no_active_use_at_drug_free_site"
    if not p.site.rules.drug_free:
        return _ok(rule, "the site is not drug-free")
    if p.needs.active_use:
        return _fail(rule, "the site is drug-free and the person is in active use")
    return _ok(rule, "the person is not in active use, as the drug-free site requires")


def no_active_use_where_excluded(p: Placement) -> RuleResult:
    rule = "no_active_use_where_excluded"
    kind = p.site.kind.value
    if not p.site.rules.excludes_active_use:
        return _ok(rule, f"this {kind} site admits people in active use")
    if p.needs.active_use:
        return _fail(rule, f"this {kind} site is not for people in active drug use")
    return _ok(rule, f"the person is not in active use, as this {kind} site requires")


def known_user_for_crisis_bed(p: Placement) -> RuleResult:
    rule = "known_user_for_crisis_bed"
    if not p.site.rules.known_users_only:
        return _ok(rule, "the site is open to people not yet known to municipal services")
    if p.needs.known_user:
        return _ok(rule, "the person is a known user of municipal services")
    return _fail(rule, "the site is only for known users of municipal services")


def no_mixing_use_and_recovery(p: Placement) -> RuleResult:
    rule = "no_mixing_use_and_recovery"
    if not p.site.rules.no_mixing_use_and_recovery:
        return _ok(rule, "the site has no mixing rule")
    active = p.site_residents.active_use + sum(n.active_use for n in p.co_placed_at_site)
    recovering = p.site_residents.in_recovery + sum(n.in_recovery for n in p.co_placed_at_site)
    if p.needs.in_recovery and active:
        return _fail(rule, f"in recovery; {active} resident(s) in active use at the site")
    if p.needs.active_use and recovering:
        return _fail(rule, f"in active use; {recovering} resident(s) in recovery at the site")
    return _ok(rule, "no one in recovery would live with anyone in active use at the site")


def heavy_needs_limit(p: Placement) -> RuleResult:
    rule = "heavy_needs_limit"
    limit = p.site.rules.max_heavy_needs
    if not p.needs.heavy_needs:
        return _ok(rule, "the person has no heavy needs")
    if limit is None:
        return _ok(rule, "the site has no limit on residents with heavy needs")
    heavy = p.site_residents.heavy_needs + sum(n.heavy_needs for n in p.co_placed_at_site) + 1
    if heavy <= limit:
        return _ok(rule, f"{heavy} resident(s) with heavy needs, within the site limit {limit}")
    return _fail(rule, f"{heavy} resident(s) with heavy needs would exceed the site limit {limit}")


def capacity(p: Placement) -> RuleResult:
    left = p.unit_free_places - p.co_placed_in_unit
    if left >= 1:
        return _ok("capacity", f"{left} free place(s) in the unit")
    return _fail("capacity", "the unit has no free place left")


HARD_RULES: tuple[Rule, ...] = (
    unit_is_free,
    kind_acceptable,
    staffing_need_met,
    drug_free_need_met,
    min_age_met,
    individual_plan_in_place,
    crisis_plan_in_place,
    day_activity_in_place,
    long_treatment_completed,
    no_active_use_at_drug_free_site,
    no_active_use_where_excluded,
    known_user_for_crisis_bed,
    no_mixing_use_and_recovery,
    heavy_needs_limit,
    capacity,
)
"""Every hard rule, in the order a proposal lists them. Rules read only the placement."""


def check(p: Placement) -> tuple[RuleResult, ...]:
    """Every hard rule's verdict on the placement."""
    return tuple(rule(p) for rule in HARD_RULES)


def passes(p: Placement) -> bool:
    """Whether the placement passes every hard rule (stops at the first failure)."""
    return all(rule(p).passed for rule in HARD_RULES)


def placement(
    case: HousingCase, unit: Unit, stock: Stock, co_placed: tuple[tuple[Needs, bool], ...] = ()
) -> Placement:
    """The placement of `case` in `unit`; `co_placed` lists (needs, same unit) of the others."""
    return Placement(
        needs=case.needs,
        site=unit.site,
        unit_status=unit.status,
        unit_free_places=unit.free_places,
        site_residents=stock.site_mix(unit.site.id),
        co_placed_at_site=tuple(needs for needs, _ in co_placed),
        co_placed_in_unit=sum(same_unit for _, same_unit in co_placed),
    )


def check_assignment(
    assignment: Mapping[str, str], cases: Mapping[str, HousingCase], stock: Stock
) -> dict[str, tuple[RuleResult, ...]]:
    """Every rule's verdict for every case in `assignment` (case id -> unit id), taking the other
    cases placed at the same site and unit into account."""
    by_site: dict[str, list[tuple[str, str]]] = {}
    for case_id, unit_id in assignment.items():
        by_site.setdefault(stock.unit(unit_id).site.id, []).append((case_id, unit_id))
    verdicts: dict[str, tuple[RuleResult, ...]] = {}
    for placed in by_site.values():
        for case_id, unit_id in placed:
            others = tuple(
                (cases[other].needs, other_unit == unit_id)
                for other, other_unit in placed
                if other != case_id
            )
            verdicts[case_id] = check(placement(cases[case_id], stock.unit(unit_id), stock, others))
    return verdicts


def assignment_is_feasible(
    assignment: Mapping[str, str], cases: Mapping[str, HousingCase], stock: Stock
) -> bool:
    verdicts = check_assignment(assignment, cases, stock)
    return all(result.passed for results in verdicts.values() for result in results)
