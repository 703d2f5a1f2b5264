"""The matcher (matching av boligsaker mot ledige boenheter): open cases to free places.

Steps:
1. Group the free places into offers (same site, same move-in day: interchangeable).
2. Keep the rule-feasible (case, offer) pairs: every pair-level hard rule is checked with the rule
   functions themselves, once per kind of needs and kind of site.
3. Prune them (see `MatchPolicy.candidates_per_case`) and solve the programme in solver.py: minimal
   clock cost, then the tie-breakers, under capacity, heavy-needs and mixing constraints.
4. Hand each chosen case a unit of its offer, check the whole solution against every hard rule
   once more, and explain each proposal.

The objective coefficient of a pair is minus the clock days it saves (costs.py), minus a
tie-breaker in (0, eps] with eps = 0.25 / number of cases, so that all tie-breakers together weigh
less than one clock day and never overrule money. The tie-breaker, by weight: longer waiting time
(scaled by how soon the offer is free, so that the longest-waiting case gets the earliest place),
the wished district, and a small bonus for housing someone at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from time import perf_counter

from housing_match.domain.candidates import Candidates, Instance, TieBreak, candidates
from housing_match.domain.cases import HousingCase
from housing_match.domain.costs import DAILY_RATE_2024, CostModel
from housing_match.domain.proposals import Proposal, propose
from housing_match.domain.rules import RuleResult, check_assignment
from housing_match.domain.solver import Solution, SolveStatus, solve
from housing_match.domain.stock import Stock


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    daily_rate: Decimal = DAILY_RATE_2024
    horizon_days: int = 90
    candidates_per_case: int | None = 25
    """Pruning: each case keeps this many of its best offers (groups of interchangeable places).
    None here or in `candidates_per_place`: no pruning, every feasible pair goes to the solver."""
    candidates_per_place: int | None = 25
    """Pruning: each offer keeps this many cases per place, most clock days saved first."""
    time_limit_seconds: float = 60.0
    waiting_weight: float = 0.5
    wish_weight: float = 0.3
    housed_weight: float = 0.2
    exclude_without_consent: bool = False
    """False: match cases without consent to share, but their proposals say only minimal
    information may flow. True: leave them out (MatchResult.excluded)."""

    def __post_init__(self) -> None:
        weights = (self.waiting_weight, self.wish_weight, self.housed_weight)
        if min(weights) < 0 or sum(weights) > 1:
            raise ValueError("tie-breaker weights must be non-negative and sum to at most 1")
        for limit in (self.candidates_per_case, self.candidates_per_place):
            if limit is not None and limit < 1:
                raise ValueError("candidate limits must be at least 1 (or None for no pruning)")


@dataclass(frozen=True, slots=True)
class MatchStats:
    cases: int
    units_offered: int
    offers: int
    feasible_pairs: int
    """Rule-feasible (case, unit) pairs, before grouping and pruning."""
    candidate_pairs: int
    """(case, offer) pairs given to the solver."""
    components: int
    solver_components: int
    largest_component_pairs: int
    build_seconds: float
    solve_seconds: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    proposals: tuple[Proposal, ...]
    unmatched: tuple[str, ...]
    excluded: tuple[str, ...]
    status: SolveStatus
    pruned: bool
    """True when pruning dropped feasible pairs: the optimum is then over the candidates only."""
    cost_if_unmatched: Decimal
    """NOK on the clock within the horizon if no case got a place."""
    total_cost: Decimal
    """NOK on the clock within the horizon with every proposal accepted."""
    stats: MatchStats
    notes: tuple[str, ...] = field(default=())

    @property
    def cost_saved(self) -> Decimal:
        return self.cost_if_unmatched - self.total_cost


class MatchingError(RuntimeError):
    """The solution broke a hard rule: a bug, never shown to an officer as a proposal."""


def match(
    cases: Sequence[HousingCase],
    stock: Stock,
    today: date,
    policy: MatchPolicy | None = None,
) -> MatchResult:
    """Proposals for open cases: every hard rule holds and the clock cost is minimal."""
    policy = policy or MatchPolicy()
    started = perf_counter()
    costs = CostModel(today, policy.daily_rate, policy.horizon_days)
    eligible, excluded = _eligible(cases, policy)
    weights = TieBreak(policy.waiting_weight, policy.wish_weight, policy.housed_weight)
    instance = Instance.build(eligible, stock, costs, weights)
    pairs = candidates(instance, policy.candidates_per_case, policy.candidates_per_place)
    built = perf_counter()
    solution = solve(instance, pairs, started + policy.time_limit_seconds)
    solved = perf_counter()
    proposals = _proposals(_assignment(instance, pairs, solution), eligible, stock, costs)
    stats = MatchStats(
        cases=len(eligible),
        units_offered=len({u.id for o in instance.offers for u in o.places}),
        offers=len(instance.offers),
        feasible_pairs=pairs.feasible_pairs,
        candidate_pairs=len(pairs.case),
        components=solution.components,
        solver_components=solution.solver_components,
        largest_component_pairs=solution.largest_component_pairs,
        build_seconds=built - started,
        solve_seconds=solved - built,
    )
    return _result(cases, proposals, excluded, costs, stock, pairs.pruned, solution, stats)


def _eligible(
    cases: Sequence[HousingCase], policy: MatchPolicy
) -> tuple[list[HousingCase], tuple[str, ...]]:
    if len({c.id for c in cases}) != len(cases):
        raise ValueError("case ids must be unique")
    ordered = sorted(cases, key=lambda c: c.id)
    if not policy.exclude_without_consent:
        return ordered, ()
    eligible = [c for c in ordered if c.needs.consent_to_share]
    return eligible, tuple(c.id for c in ordered if not c.needs.consent_to_share)


def _assignment(instance: Instance, pairs: Candidates, solution: Solution) -> dict[str, str]:
    """Case id -> unit id: the chosen cases of an offer take its places in order."""
    taken: dict[int, int] = {}
    assignment: dict[str, str] = {}
    for j in sorted(solution.chosen.tolist()):
        c, o = int(pairs.case[j]), int(pairs.offer[j])
        place = taken.get(o, 0)
        taken[o] = place + 1
        assignment[instance.cases[c].id] = instance.offers[o].places[place].id
    return assignment


def _proposals(
    assignment: dict[str, str], cases: list[HousingCase], stock: Stock, costs: CostModel
) -> tuple[Proposal, ...]:
    by_id = {c.id: c for c in cases}
    verdicts = check_assignment(assignment, by_id, stock)
    _ensure_feasible(verdicts)
    return tuple(
        propose(by_id[case_id], stock.unit(unit_id), costs, verdicts[case_id])
        for case_id, unit_id in sorted(assignment.items())
    )


def _ensure_feasible(verdicts: dict[str, tuple[RuleResult, ...]]) -> None:
    broken = [
        f"{case_id}: {r.rule} ({r.reason})"
        for case_id, results in verdicts.items()
        for r in results
        if not r.passed
    ]
    if broken:
        raise MatchingError("the solution breaks hard rules: " + "; ".join(broken))


def _result(
    cases: Sequence[HousingCase],
    proposals: tuple[Proposal, ...],
    excluded: tuple[str, ...],
    costs: CostModel,
    stock: Stock,
    pruned: bool,
    solution: Solution,
    stats: MatchStats,
) -> MatchResult:
    placed = {p.case_id: stock.unit(p.unit_id) for p in proposals}
    baseline = sum(costs.unmatched_days(c) for c in cases)
    remaining = sum(
        costs.matched_days(c, placed[c.id]) if c.id in placed else costs.unmatched_days(c)
        for c in cases
    )
    notes = list(solution.notes)
    if pruned:
        notes.append(
            f"pruned to {stats.candidate_pairs} candidate (case, offer) pairs out of "
            f"{stats.feasible_pairs} feasible (case, unit) pairs: optimal over the candidates"
        )
    return MatchResult(
        proposals=proposals,
        unmatched=tuple(sorted(c.id for c in cases if c.id not in placed and c.id not in excluded)),
        excluded=excluded,
        status=solution.status,
        pruned=pruned,
        cost_if_unmatched=costs.money(baseline),
        total_cost=costs.money(remaining),
        stats=stats,
        notes=tuple(notes),
    )
