"""The matching instance as arrays, and the candidate pairs the solver may choose from.

Free places at one site that can be moved into on the same day are interchangeable: every rule
but capacity looks at the site, and the cost looks at the day. They are grouped into one *offer*
with as many places, which removes the symmetry between identical flats (the solver otherwise
spends most of its time proving that swapping two of them changes nothing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from housing_match.domain.cases import HousingCase, Needs
from housing_match.domain.costs import CostModel
from housing_match.domain.rules import Placement, passes
from housing_match.domain.stock import ResidentMix, Site, SiteRules, Stock, Unit, UnitStatus

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

NO_LIMIT = 1 << 30


@dataclass(frozen=True, slots=True)
class Offer:
    """Interchangeable free places: same site, same move-in day. A unit with two free places
    appears twice in `places`."""

    site: Site
    available_on: date
    places: tuple[Unit, ...]


@dataclass(frozen=True, slots=True)
class TieBreak:
    """Weights of the tie-breakers, each in [0, 1], summing to at most 1."""

    waiting: float
    wish: float
    housed: float


@dataclass(frozen=True, slots=True)
class _SiteClass:
    """Sites that every pair-level rule treats alike: same rules, same residents."""

    site: Site
    mix: ResidentMix
    site_indices: tuple[int, ...]
    offers: IntArray


@dataclass(frozen=True)
class Instance:
    """Cases, offers and sites as arrays for the vectorised cost and the solver."""

    cases: list[HousingCase]
    offers: list[Offer]
    site_offers: list[IntArray]
    classes: list[_SiteClass]
    offer_site: IntArray
    offer_places: IntArray
    offer_units: IntArray
    offer_avail: FloatArray
    offer_district: IntArray
    site_heavy_room: IntArray
    site_no_mixing: BoolArray
    case_clock: FloatArray
    case_wait: FloatArray
    case_wish: IntArray
    case_heavy: BoolArray
    case_active: BoolArray
    case_recovery: BoolArray
    horizon: int
    eps: float
    weights: TieBreak

    @classmethod
    def build(
        cls, cases: list[HousingCase], stock: Stock, costs: CostModel, weights: TieBreak
    ) -> Instance:
        offers = _offers(stock, costs)
        site_ids = sorted({o.site.id for o in offers})
        site_index = {s: i for i, s in enumerate(site_ids)}
        districts = {d: i for i, d in enumerate(sorted({o.site.district for o in offers}))}
        offer_site = np.array([site_index[o.site.id] for o in offers], dtype=np.int64)
        site_offers = [np.flatnonzero(offer_site == i) for i in range(len(site_ids))]
        sites = [stock.sites[s] for s in site_ids]
        mixes = [stock.site_mix(s) for s in site_ids]
        waits = np.array([c.waiting_days(costs.today) for c in cases], dtype=np.float64)
        return cls(
            cases=cases,
            offers=offers,
            site_offers=site_offers,
            classes=_site_classes(sites, mixes, site_offers),
            offer_site=offer_site,
            offer_places=np.array([len(o.places) for o in offers], dtype=np.int64),
            offer_units=np.array([len(set(o.places)) for o in offers], dtype=np.int64),
            offer_avail=np.array(
                [(o.available_on - costs.today).days for o in offers], dtype=np.float64
            ),
            offer_district=np.array([districts[o.site.district] for o in offers], dtype=np.int64),
            site_heavy_room=np.array(
                [_heavy_room(s, m) for s, m in zip(sites, mixes, strict=True)], dtype=np.int64
            ),
            site_no_mixing=np.array([s.rules.no_mixing_use_and_recovery for s in sites], bool),
            case_clock=np.array([_clock_offset(c, costs) for c in cases], dtype=np.float64),
            case_wait=_normalised(waits),
            case_wish=np.array(
                [districts.get(c.needs.wished_district or "", -1) for c in cases], dtype=np.int64
            ),
            case_heavy=np.array([c.needs.heavy_needs for c in cases], dtype=bool),
            case_active=np.array([c.needs.active_use for c in cases], dtype=bool),
            case_recovery=np.array([c.needs.in_recovery for c in cases], dtype=bool),
            horizon=costs.horizon_days,
            # All tie-breakers together stay under a quarter of a clock day.
            eps=0.25 / max(1, len(cases)),
            weights=weights,
        )

    def saved_days(self, c: IntArray, o: IntArray) -> FloatArray:
        """Vectorised CostModel.saved_days: horizon days from move-in on (0 if no clock)."""
        return np.clip(self.horizon - np.maximum(self.case_clock[c], self.offer_avail[o]), 0, None)

    def coefficient(self, c: IntArray, o: IntArray) -> FloatArray:
        """Objective coefficient of x_co: minus days saved, minus the tie-breaker."""
        soon = 1.0 - self.offer_avail[o] / self.horizon
        wished = (self.case_wish[c] == self.offer_district[o]) & (self.case_wish[c] >= 0)
        tie = (
            self.weights.waiting * self.case_wait[c] * soon
            + self.weights.wish * wished
            + self.weights.housed
        )
        return -self.saved_days(c, o) - self.eps * tie

    def rank_offers(self, c: IntArray, o: IntArray) -> FloatArray:
        """A case's order of its offers: the coefficient, then a hash far below any tie-breaker
        (so that equally good offers are spread over the cases)."""
        return self.coefficient(c, o) + self.eps * 1e-6 * _hash01(c, o)

    def rank_cases(self, c: IntArray, o: IntArray) -> FloatArray:
        """An offer's order of its cases: days saved, then a hash under one day. Tie-breakers
        are left out on purpose: all offers of a kind would otherwise pick the same few
        longest-waiting cases, and the union of their lists would hold little choice."""
        return -self.saved_days(c, o) + 0.5 * _hash01(c, o)


def _offers(stock: Stock, costs: CostModel) -> list[Offer]:
    grouped: dict[tuple[str, date], list[Unit]] = {}
    for unit in sorted(stock.units, key=lambda u: u.id):
        if costs.offers(unit):
            key = (unit.site.id, costs.available_on(unit))
            grouped.setdefault(key, []).extend([unit] * unit.free_places)
    return [
        Offer(site=stock.sites[site_id], available_on=day, places=tuple(places))
        for (site_id, day), places in sorted(grouped.items())
    ]


def _normalised(values: FloatArray) -> FloatArray:
    top = values.max() if len(values) else 0.0
    return values / top if top > 0 else np.zeros_like(values)


def _clock_offset(case: HousingCase, costs: CostModel) -> float:
    start = case.clock_start()
    return np.inf if start is None else max(0, (start - costs.today).days)


def _heavy_room(site: Site, mix: ResidentMix) -> int:
    limit = site.rules.max_heavy_needs
    return NO_LIMIT if limit is None else max(0, limit - mix.heavy_needs)


def _site_classes(
    sites: list[Site], mixes: list[ResidentMix], site_offers: list[IntArray]
) -> list[_SiteClass]:
    grouped: dict[tuple[SiteRules, ResidentMix], list[int]] = {}
    for i, (site, mix) in enumerate(zip(sites, mixes, strict=True)):
        grouped.setdefault((site.rules, mix), []).append(i)
    return [
        _SiteClass(
            site=sites[members[0]],
            mix=mix,
            site_indices=tuple(members),
            offers=np.concatenate([site_offers[i] for i in members]),
        )
        for (_, mix), members in grouped.items()
    ]


def _hash01(c: IntArray, o: IntArray) -> FloatArray:
    """A deterministic pseudo-random number in [0, 1) per pair (splitmix64 finaliser)."""
    x = (np.asarray(c, dtype=np.uint64) << np.uint64(32)) ^ np.asarray(o, dtype=np.uint64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True, slots=True)
class Candidates:
    """The (case, offer) pairs the solver may choose, with their objective coefficients."""

    case: IntArray
    offer: IntArray
    coefficient: FloatArray
    feasible_pairs: int
    """Rule-feasible (case, unit) pairs before grouping and pruning."""
    pruned: bool


def candidates(instance: Instance, per_case: int | None, per_offer_place: int | None) -> Candidates:
    """Rule-feasible pairs, pruned to each case's `per_case` best offers and each offer's
    `per_offer_place` x places best cases (the union). Either limit None: every feasible pair."""
    if per_case is None or per_offer_place is None:
        per_case = per_offer_place = None
    feasible = _feasible_classes(instance)
    by_case, n_feasible = _best_offers_per_case(instance, feasible, per_case)
    by_offer = _best_cases_per_offer(instance, feasible, per_offer_place)
    keys = np.unique(np.concatenate([by_case, by_offer]))
    n_offers = max(1, len(instance.offers))
    case, offer = keys // n_offers, keys % n_offers
    return Candidates(
        case=case,
        offer=offer,
        coefficient=instance.coefficient(case, offer),
        feasible_pairs=n_feasible,
        pruned=len(keys) < _pairs_before_pruning(feasible, instance),
    )


def _pairs_before_pruning(feasible: list[list[int]], instance: Instance) -> int:
    return sum(len(instance.classes[k].offers) for classes in feasible for k in classes)


def _feasible_classes(instance: Instance) -> list[list[int]]:
    """For each case, the site classes where every pair-level rule passes."""
    verdicts: dict[tuple[Needs, int], bool] = {}
    feasible: list[list[int]] = []
    for case in instance.cases:
        # District and consent decide no rule, so they are left out of the cache key and people
        # with the same needs share verdicts.
        key = dataclasses.replace(case.needs, wished_district=None, consent_to_share=False)
        row = []
        for k, site_class in enumerate(instance.classes):
            if site_class.site.kind not in key.acceptable_kinds:
                continue  # kind_acceptable, up front as it rules out most classes; passes() rechecks
            verdict = verdicts.get((key, k))
            if verdict is None:
                verdict = verdicts[(key, k)] = passes(_lone_placement(key, site_class))
            if verdict:
                row.append(k)
        feasible.append(row)
    return feasible


def _lone_placement(needs: Needs, site_class: _SiteClass) -> Placement:
    """A placement in a free place at a site of the class, with no one else new there."""
    return Placement(
        needs=needs,
        site=site_class.site,
        unit_status=UnitStatus.FREE,
        unit_free_places=1,
        site_residents=site_class.mix,
    )


def _best_offers_per_case(
    instance: Instance, feasible: list[list[int]], limit: int | None
) -> tuple[IntArray, int]:
    keys: list[IntArray] = []
    n_feasible = 0
    n_offers = len(instance.offers)
    for c, classes in enumerate(feasible):
        if not classes:
            continue
        o = np.concatenate([instance.classes[k].offers for k in classes])
        n_feasible += int(instance.offer_units[o].sum())
        if limit is not None and len(o) > limit:
            ranks = instance.rank_offers(np.full(len(o), c, dtype=np.int64), o)
            o = o[np.argpartition(ranks, limit - 1)[:limit]]
        keys.append(c * n_offers + o)
    return _concat(keys), n_feasible


def _best_cases_per_offer(
    instance: Instance, feasible: list[list[int]], limit: int | None
) -> IntArray:
    if limit is None:
        return np.empty(0, dtype=np.int64)  # not pruning: the per-case pass kept every pair
    members: list[list[int]] = [[] for _ in instance.classes]
    for c, classes in enumerate(feasible):
        for k in classes:
            members[k].append(c)
    keys: list[IntArray] = []
    n_offers = len(instance.offers)
    for site_class, cases in zip(instance.classes, members, strict=True):
        if not cases:
            continue
        c = np.array(cases, dtype=np.int64)
        for s in site_class.site_indices:
            o = instance.site_offers[s]
            order = np.argsort(instance.rank_cases(c[:, None], o[None, :]), axis=0)
            for col, offer in enumerate(o):
                best = c[order[: limit * int(instance.offer_places[offer]), col]]
                keys.append(best * n_offers + offer)
    return _concat(keys)


def _concat(arrays: list[IntArray]) -> IntArray:
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=np.int64)
