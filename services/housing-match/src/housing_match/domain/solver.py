"""The mixed-integer programme over candidate (case, offer) pairs, solved by HiGHS (scipy milp).

    minimise    sum_{(c,o)} x_co * coefficient(c,o)
    subject to  sum_o x_co <= 1                                   each case at most once
                sum_c x_co <= places(o)                           capacity of the offer
                sum_{c heavy, o at s} x_co <= limit(s) - heavy(s) heavy needs per site
                x_co - y_s <= 0      for c in recovery, o at s    no mixing where the site has
                x_co + y_s <= 1      for c in active use, o at s  the rule (y_s = 1: recovery only)
                x, y binary

Rows that cannot bind (fewer candidates than room) are left out, and so is y_s where only one of
the two groups is a candidate. The problem falls apart into connected components (cases, offers
and the sites that couple them), each solved alone, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from time import perf_counter

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from housing_match.domain.candidates import BoolArray, Candidates, FloatArray, Instance, IntArray


class SolveStatus(StrEnum):
    OPTIMAL = "optimal"
    """Proven optimal in money (over the candidate pairs if they were pruned)."""
    TIME_LIMIT_BEST_FOUND = "time_limit_best_found"
    """The time limit struck; the best solution the solver had found is used."""
    GREEDY_FALLBACK = "greedy_fallback"
    """The solver found nothing in time; a greedy solution keeping every constraint is used."""


@dataclass(frozen=True, slots=True)
class Solution:
    chosen: IntArray
    """Indices into the candidate pairs."""
    status: SolveStatus
    components: int
    solver_components: int
    largest_component_pairs: int
    notes: tuple[str, ...]


def solve(instance: Instance, candidates: Candidates, deadline: float) -> Solution:
    """The best set of candidate pairs keeping every constraint; `deadline` is perf_counter()."""
    parts = _components(instance, candidates)
    chosen: list[IntArray] = []
    statuses: list[SolveStatus] = []
    notes: list[str] = []
    solver_components = 0
    for part in sorted(parts, key=len, reverse=True):  # the time limit falls on the big ones
        if len(np.unique(candidates.case[part])) == 1:
            # One case alone: its best pair breaks no shared constraint.
            chosen.append(part[[np.argmin(candidates.coefficient[part])]])
            continue
        solver_components += 1
        picked, status, note = _solve_component(instance, candidates, part, deadline)
        chosen.append(part[picked])
        statuses.append(status)
        notes.extend([note] if note else [])
    return Solution(
        chosen=np.concatenate(chosen) if chosen else np.empty(0, dtype=np.int64),
        status=_worst(statuses),
        components=len(parts),
        solver_components=solver_components,
        largest_component_pairs=max((len(p) for p in parts), default=0),
        notes=tuple(notes),
    )


def _worst(statuses: list[SolveStatus]) -> SolveStatus:
    for status in (SolveStatus.GREEDY_FALLBACK, SolveStatus.TIME_LIMIT_BEST_FOUND):
        if status in statuses:
            return status
    return SolveStatus.OPTIMAL


def _components(instance: Instance, candidates: Candidates) -> list[IntArray]:
    """Pair indices per connected component of cases, offers and sites (a site carries the
    heavy-needs and mixing constraints, so the offers of one site always stay together)."""
    if len(candidates.case) == 0:
        return []
    n_cases, n_offers = len(instance.cases), len(instance.offers)
    offer_nodes = n_cases + candidates.offer
    site_nodes = n_cases + n_offers + instance.offer_site[candidates.offer]
    rows = np.concatenate([candidates.case, offer_nodes])
    cols = np.concatenate([offer_nodes, site_nodes])
    size = n_cases + n_offers + len(instance.site_offers)
    graph = sparse.coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    pair_labels = labels[candidates.case]
    order = np.argsort(pair_labels, kind="stable")
    return list(np.split(order, np.flatnonzero(np.diff(pair_labels[order])) + 1))


def _solve_component(
    instance: Instance, candidates: Candidates, part: IntArray, deadline: float
) -> tuple[BoolArray, SolveStatus, str | None]:
    case, offer = candidates.case[part], candidates.offer[part]
    cost = candidates.coefficient[part]
    seconds_left = deadline - perf_counter()
    if seconds_left <= 0:
        note = f"time limit reached before a component of {len(part)} pairs: greedy used"
        return _greedy(instance, case, offer, cost), SolveStatus.GREEDY_FALLBACK, note
    model = _model(instance, case, offer, cost)
    options = {
        "time_limit": seconds_left,
        "mip_rel_gap": _gap(case, cost),
        "disp": False,
        # HiGHS presolve (probing ~10^5 binaries) cost more than it saved: 5 000 x 2 000 took
        # 34 s with it and 10 s without, same optimum.
        "presolve": False,
    }
    result = milp(
        model.objective,
        integrality=np.ones_like(model.objective),
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(model.matrix, -np.inf, model.upper),
        options=options,
    )
    if result.status == 0:
        return result.x[: len(part)] > 0.5, SolveStatus.OPTIMAL, None
    if result.x is not None:
        note = f"solver stopped ({result.message}) on {len(part)} pairs: best solution found used"
        return result.x[: len(part)] > 0.5, SolveStatus.TIME_LIMIT_BEST_FOUND, note
    note = f"solver found no solution ({result.message}) on {len(part)} pairs: greedy used"
    return _greedy(instance, case, offer, cost), SolveStatus.GREEDY_FALLBACK, note


def _gap(case: IntArray, cost: FloatArray) -> float:
    """A relative gap under which money is optimal. The objective is at most the sum of each
    case's best coefficient in size; a gap of half a day on it means any solution a whole clock
    day worse (at least 0.75 in objective, as tie-breakers sum to under 0.25) is ruled out."""
    order = np.argsort(case, kind="stable")
    starts = np.concatenate([[0], np.flatnonzero(np.diff(case[order])) + 1])
    bound = float(-np.minimum.reduceat(cost[order], starts).sum())
    return min(1e-4, 0.5 / max(1.0, bound))


@dataclass(frozen=True, slots=True)
class _Model:
    objective: FloatArray
    matrix: sparse.csr_matrix
    upper: FloatArray


_Rows = tuple[IntArray, IntArray, FloatArray, IntArray]


def _model(instance: Instance, case: IntArray, offer: IntArray, cost: FloatArray) -> _Model:
    n = len(case)
    everyone = np.ones(n, dtype=bool)
    site = instance.offer_site[offer]
    mixing, n_y = _mixing_rows(instance, case, site)
    blocks = [
        _group_rows(case, np.ones(len(instance.cases), dtype=np.int64), everyone),
        _group_rows(offer, instance.offer_places, everyone),
        _group_rows(site, instance.site_heavy_room, instance.case_heavy[case]),
        mixing,
    ]
    rows, cols, vals, upper, offset = [], [], [], [], 0
    for block_rows, block_cols, block_vals, block_upper in blocks:
        rows.append(block_rows + offset)
        cols.append(block_cols)
        vals.append(block_vals)
        upper.append(block_upper)
        offset += len(block_upper)
    entries = (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols)))
    matrix = sparse.csr_matrix(entries, shape=(offset, n + n_y))
    objective = np.concatenate([cost, np.zeros(n_y)])
    return _Model(objective, matrix, np.concatenate(upper).astype(np.float64))


def _group_rows(group: IntArray, room: IntArray, mask: BoolArray) -> _Rows:
    """Rows `sum of x_j over masked pairs j of group g <= room[g]`, only where they can bind."""
    cols = np.flatnonzero(mask)
    keys, inverse, counts = np.unique(group[cols], return_inverse=True, return_counts=True)
    limits = room[keys]
    binding = counts > limits
    keep = binding[inverse]
    row_of_key = np.cumsum(binding) - 1
    return row_of_key[inverse[keep]], cols[keep], np.ones(int(keep.sum())), limits[binding]


def _mixing_rows(instance: Instance, case: IntArray, site: IntArray) -> tuple[_Rows, int]:
    """x_j - y_s <= 0 for people in recovery and x_j + y_s <= 1 for people in active use, at
    each site with the mixing rule where both groups are candidates."""
    recovery, active = instance.case_recovery[case], instance.case_active[case]
    ruled = instance.site_no_mixing[site]
    contested = np.intersect1d(site[ruled & recovery], site[ruled & active])
    j = np.flatnonzero(np.isin(site, contested) & (recovery | active))
    y = np.searchsorted(contested, site[j])
    rows = np.arange(len(j), dtype=np.int64)
    n = len(case)
    block = (
        np.concatenate([rows, rows]),
        np.concatenate([j, n + y]),
        np.concatenate([np.ones(len(j)), np.where(recovery[j], -1.0, 1.0)]),
        np.where(recovery[j], 0, 1).astype(np.int64),
    )
    return block, len(contested)


def _greedy(instance: Instance, case: IntArray, offer: IntArray, cost: FloatArray) -> BoolArray:
    """Best pairs first, each taken if it still keeps every constraint of the model."""
    chosen = np.zeros(len(case), dtype=bool)
    housed: set[int] = set()
    places = instance.offer_places.copy()
    heavy_room = instance.site_heavy_room.copy()
    groups: dict[int, str] = {}  # the use group already placed at a site with the mixing rule
    for j in np.argsort(cost, kind="stable"):
        c, o = int(case[j]), int(offer[j])
        s = int(instance.offer_site[o])
        heavy = bool(instance.case_heavy[c])
        group = _use_group(instance, c) if instance.site_no_mixing[s] else ""
        if c in housed or places[o] < 1 or (heavy and heavy_room[s] < 1):
            continue
        if group and groups.setdefault(s, group) != group:
            continue
        chosen[j] = True
        housed.add(c)
        places[o] -= 1
        heavy_room[s] -= heavy
    return chosen


def _use_group(instance: Instance, c: int) -> str:
    if instance.case_active[c]:
        return "active"
    return "recovery" if instance.case_recovery[c] else ""
