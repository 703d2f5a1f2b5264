"""Benchmark of the housing matcher: 5 000 open cases against 2 000 units with realistic mixes.

Run from the repository root: `.venv/bin/python benchmarks/matching.py [--seed N] [--exact]`.
Prints the figures and writes them to benchmarks/results/matching.json. The match runs twice: once
for time and peak resident memory, once under tracemalloc for the peak of traced allocations
(tracing slows Python down, so its time is not the one reported). With --exact it runs a third
time without pruning, to show what pruning costs.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import time
import tracemalloc
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy
import scipy
from rich.console import Console
from rich.table import Table

from housing_match.domain import (
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
    match,
)

TODAY = date(2024, 4, 8)
DISTRICTS = (
    "Bragernes",
    "Strømsø",
    "Åssiden",
    "Konnerud",
    "Fjell",
    "Gulskogen",
    "Åskollen",
    "Tangen",
    "Svelvik",
    "Mjøndalen",
)
# Units per kind (2 000 in all) and how many units a site of that kind holds.
STOCK_MIX = {
    HousingKind.HOUSING_FIRST: (900, (1, 8)),
    HousingKind.TRANSITIONAL: (200, (8, 10)),
    HousingKind.STAFFED: (300, (4, 8)),
    HousingKind.TEMPORARY: (500, (10, 30)),
    HousingKind.CRISIS_BED: (100, (5, 15)),
}
RESULTS = Path(__file__).resolve().parent / "results" / "matching.json"


def make_stock(rng: random.Random) -> Stock:
    units: list[Unit] = []
    for kind, (count, (smallest, largest)) in STOCK_MIX.items():
        made = 0
        while made < count:
            size = min(rng.randint(smallest, largest), count - made)
            site = make_site(rng, kind, f"{kind.value}-{len(units):04d}")
            units.extend(make_unit(rng, site, f"{site.id}-{i}") for i in range(size))
            made += size
    return Stock(units)


def make_site(rng: random.Random, kind: HousingKind, site_id: str) -> Site:
    tighten: dict[str, object] = {}
    if kind is HousingKind.HOUSING_FIRST and rng.random() < 0.3:
        tighten["max_heavy_needs"] = 1
    if kind is HousingKind.STAFFED and rng.random() < 0.3:
        tighten["requires_individual_plan"] = True
    if kind is HousingKind.STAFFED:
        tighten["max_heavy_needs"] = rng.choice([3, 4])
    if kind is HousingKind.TEMPORARY and rng.random() < 0.2:
        tighten["drug_free"] = True
    if kind is HousingKind.CRISIS_BED and rng.random() < 0.3:
        tighten["min_age"] = 23
    district = rng.choice(DISTRICTS)
    return Site.of_kind(site_id, f"{kind.value} {district}", kind, district, **tighten)


def make_unit(rng: random.Random, site: Site, unit_id: str) -> Unit:
    capacity = 2 if site.kind is HousingKind.TEMPORARY and rng.random() < 0.2 else 1
    draw = rng.random()
    if draw < 0.08:
        residents = tuple(resident(rng, site) for _ in range(capacity))
        return Unit(unit_id, site, capacity, UnitStatus.OCCUPIED, residents=residents)
    if draw < 0.10:
        return Unit(unit_id, site, capacity, UnitStatus.RETIRED)
    later = TODAY + timedelta(days=rng.randint(1, 150)) if draw < 0.25 else None
    sharing = capacity == 2 and rng.random() < 0.4
    residents = (resident(rng, site),) if sharing else ()
    return Unit(unit_id, site, capacity, available_from=later, residents=residents)


def resident(rng: random.Random, site: Site) -> ResidentProfile:
    use_allowed = not (site.rules.drug_free or site.rules.excludes_active_use)
    draw = rng.random()
    return ResidentProfile(
        active_use=use_allowed and draw < 0.4,
        in_recovery=0.4 <= draw < 0.75,
        heavy_needs=rng.random() < 0.25,
    )


def make_cases(rng: random.Random, count: int) -> list[HousingCase]:
    return [make_case(rng, f"case-{i:05d}") for i in range(count)]


def make_case(rng: random.Random, case_id: str) -> HousingCase:
    needs = make_needs(rng)
    admitted = TODAY - timedelta(days=rng.randint(0, 400))
    opened = admitted + timedelta(days=rng.randint(0, 5))
    opened = min(opened, TODAY)
    draw = rng.random()
    ready = expected = None
    if draw < 0.30:
        ready = max(admitted, TODAY - timedelta(days=rng.randint(0, 30)))
    elif draw < 0.75:
        expected = TODAY + timedelta(days=rng.randint(0, 180))
    return HousingCase(case_id, f"stay-{case_id}", needs, opened, admitted, expected, ready)


def make_needs(rng: random.Random) -> Needs:
    draw = rng.random()
    active, recovery = draw < 0.35, 0.35 <= draw < 0.70
    long_treatment = rng.random() < (0.6 if recovery else 0.15)
    heavy = rng.random() < 0.25
    staffing = rng.random() < (0.4 if heavy else 0.08)
    known = rng.random() < 0.6
    return Needs(
        acceptable_kinds=acceptable_kinds(rng, active, recovery, long_treatment, heavy, known),
        age=min(85, max(16, int(rng.triangular(16, 80, 35)))),
        needs_staffing=staffing,
        requires_drug_free=recovery and rng.random() < 0.4,
        active_use=active,
        in_recovery=recovery,
        individual_plan=rng.random() < (0.7 if long_treatment else 0.4),
        crisis_plan=rng.random() < (0.6 if long_treatment else 0.3),
        day_activity=rng.random() < (0.5 if long_treatment else 0.15),
        wished_district=rng.choice(DISTRICTS) if rng.random() < 0.6 else None,
        consent_to_share=rng.random() < 0.85,
        heavy_needs=heavy,
        long_treatment=long_treatment,
        known_user=known,
    )


def acceptable_kinds(
    rng: random.Random, active: bool, recovery: bool, long: bool, heavy: bool, known: bool
) -> frozenset[HousingKind]:
    kinds = set()
    if rng.random() < 0.7:
        kinds.add(HousingKind.HOUSING_FIRST)
    if rng.random() < 0.6:
        kinds.add(HousingKind.TEMPORARY)
    if recovery and long and rng.random() < 0.8:
        kinds.add(HousingKind.TRANSITIONAL)
    if not active and rng.random() < (0.7 if heavy else 0.1):
        kinds.add(HousingKind.STAFFED)
    if known and rng.random() < 0.2:
        kinds.add(HousingKind.CRISIS_BED)
    return frozenset(kinds or {HousingKind.TEMPORARY})


def peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(seed: int, n_cases: int, policy: MatchPolicy, exact: bool) -> dict[str, object]:
    rng = random.Random(seed)
    stock = make_stock(rng)
    cases = make_cases(rng, n_cases)
    rss_before = peak_rss_mib()
    started = time.perf_counter()
    result = match(cases, stock, TODAY, policy)
    seconds = time.perf_counter() - started
    rss_after = peak_rss_mib()
    tracemalloc.start()
    traced = match(cases, stock, TODAY, policy)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    by_id = {c.id: c for c in cases}
    feasible = assignment_is_feasible(
        {p.case_id: p.unit_id for p in result.proposals}, by_id, stock
    )
    report = figures(seed, stock, cases, policy, result, seconds, rss_before, rss_after) | {
        "traced_peak_mib": round(traced_peak / 2**20, 1),
        "same_result_when_traced": traced.proposals == result.proposals,
        "all_proposals_pass_all_rules": feasible,
    }
    return report | (compare_exact(cases, stock, policy, result) if exact else {})


def compare_exact(
    cases: list[HousingCase], stock: Stock, policy: MatchPolicy, pruned: MatchResult
) -> dict[str, object]:
    """The same match without pruning: what the candidate lists cost in money."""
    unpruned = replace(policy, candidates_per_case=None, candidates_per_place=None)
    started = time.perf_counter()
    exact = match(cases, stock, TODAY, unpruned)
    return {
        "exact_status": exact.status.value,
        "exact_candidate_pairs": exact.stats.candidate_pairs,
        "exact_seconds_total": round(time.perf_counter() - started, 2),
        "exact_clock_days_saved": sum(p.clock_days_saved for p in exact.proposals),
        "exact_cost_saved_nok": str(exact.cost_saved),
        "pruning_loss_nok": str(exact.cost_saved - pruned.cost_saved),
        "peak_rss_after_exact_mib": round(peak_rss_mib(), 1),
    }


def figures(
    seed: int,
    stock: Stock,
    cases: list[HousingCase],
    policy: MatchPolicy,
    result: MatchResult,
    seconds: float,
    rss_before: float,
    rss_after: float,
) -> dict[str, object]:
    kinds = Counter(stock.unit(p.unit_id).kind.value for p in result.proposals)
    stats = result.stats
    return {
        "seed": seed,
        "today": TODAY.isoformat(),
        "cases": len(cases),
        "units": len(stock.units),
        "units_offered": stats.units_offered,
        "offers": stats.offers,
        "feasible_pairs": stats.feasible_pairs,
        "candidate_pairs": stats.candidate_pairs,
        "components": stats.components,
        "solver_components": stats.solver_components,
        "largest_component_pairs": stats.largest_component_pairs,
        "status": result.status.value,
        "pruned": result.pruned,
        "proposals": len(result.proposals),
        "clock_days_saved": sum(p.clock_days_saved for p in result.proposals),
        "proposals_by_kind": dict(sorted(kinds.items())),
        "friday_move_ins": sum(p.friday_move_in for p in result.proposals),
        "minimal_information": sum(p.information_sharing == "minimal" for p in result.proposals),
        "unmatched": len(result.unmatched),
        "cost_if_unmatched_nok": str(result.cost_if_unmatched),
        "total_cost_nok": str(result.total_cost),
        "cost_saved_nok": str(result.cost_saved),
        "seconds_total": round(seconds, 2),
        "seconds_build": round(stats.build_seconds, 2),
        "seconds_solve": round(stats.solve_seconds, 2),
        "peak_rss_mib": round(rss_after, 1),
        "peak_rss_before_match_mib": round(rss_before, 1),
        "notes": list(result.notes),
        "policy": {
            "daily_rate_nok": str(policy.daily_rate),
            "horizon_days": policy.horizon_days,
            "candidates_per_case": policy.candidates_per_case,
            "candidates_per_place": policy.candidates_per_place,
            "time_limit_seconds": policy.time_limit_seconds,
        },
        "environment": {
            "python": platform.python_version(),
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "machine": platform.machine(),
        },
    }


def show(report: dict[str, object]) -> None:
    table = Table(
        title=f"Housing match benchmark ({report['cases']} cases x {report['units']} units)"
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in report.items():
        if key not in ("policy", "environment", "notes"):
            table.add_row(key, str(value))
    console = Console()
    console.print(table)
    for note in report["notes"]:  # type: ignore[attr-defined]
        console.print(f"note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--per-case", type=int, default=25)
    parser.add_argument("--per-place", type=int, default=25)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--exact", action="store_true", help="also match without pruning")
    args = parser.parse_args()
    policy = MatchPolicy(
        daily_rate=Decimal("5745"),
        candidates_per_case=args.per_case,
        candidates_per_place=args.per_place,
        time_limit_seconds=args.time_limit,
    )
    report = run(args.seed, args.cases, policy, args.exact)
    show(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    Console().print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
