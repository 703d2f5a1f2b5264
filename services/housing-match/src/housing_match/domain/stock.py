"""The municipal housing stock: sites, units, the five kinds and their rules.

A site's rules start from the typical rules of its kind (HOUSING.md, "The stock") and may only be
tightened: a transitional house that admitted people in active use would no longer be one.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class HousingKind(StrEnum):
    """The five kinds of municipal housing a case may be matched to."""

    HOUSING_FIRST = "housing_first"
    """Ordinary lease, voluntary follow-up, no time limit (Housing First-bolig)."""
    TRANSITIONAL = "transitional"
    """After long-term addiction treatment, strictly drug-free (overgangsbolig)."""
    STAFFED = "staffed"
    """Staff base on site 24/7 (bemannet botiltak)."""
    TEMPORARY = "temporary"
    """Short stay while a permanent home is found (midlertidig bolig / akuttbolig)."""
    CRISIS_BED = "crisis_bed"
    """Short stay in an existing institution when illness worsens (trygghetsplass)."""


class LooserThanKindError(ValueError):
    """A site tried to relax a rule that its kind imposes."""


@dataclass(frozen=True, slots=True)
class SiteRules:
    """The hard rules a site imposes on whoever moves in.

    Booleans are requirements (True is stricter); `min_age` is stricter when higher; the limits
    (`max_heavy_needs`, `max_units`) are stricter when lower, and None means "no limit".
    """

    kind: HousingKind
    staffed_24_7: bool = False
    drug_free: bool = False
    excludes_active_use: bool = False
    min_age: int = 0
    requires_individual_plan: bool = False
    requires_crisis_plan: bool = False
    requires_day_activity: bool = False
    requires_long_treatment: bool = False
    no_mixing_use_and_recovery: bool = False
    known_users_only: bool = False
    max_heavy_needs: int | None = None
    max_units: int | None = None

    @classmethod
    def for_kind(cls, kind: HousingKind) -> SiteRules:
        """The typical rules of `kind` (HOUSING.md), the floor every site of that kind keeps."""
        return _KIND_DEFAULTS[kind]

    def tightened(self, **changes: object) -> SiteRules:
        """These rules with `changes` applied; raises LooserThanKindError if any change relaxes."""
        tighter = dataclasses.replace(self, **changes)  # type: ignore[arg-type]
        tighter.check_at_least(self)
        return tighter

    def check_at_least(self, floor: SiteRules) -> None:
        """Raise LooserThanKindError unless every rule here is as strict as in `floor`."""
        loosened = self.loosened_against(floor)
        if loosened:
            raise LooserThanKindError(
                f"{self.kind.value} site may only tighten its rules; relaxed: {', '.join(loosened)}"
            )

    def loosened_against(self, floor: SiteRules) -> list[str]:
        """Names of the rules that are looser here than in `floor`."""
        if self.kind is not floor.kind:
            return ["kind"]
        loosened = [
            f.name
            for f in dataclasses.fields(self)
            if getattr(floor, f.name) is True and getattr(self, f.name) is False
        ]
        if self.min_age < floor.min_age:
            loosened.append("min_age")
        for name in ("max_heavy_needs", "max_units"):
            if _looser_limit(getattr(self, name), getattr(floor, name)):
                loosened.append(name)
        return loosened


def _looser_limit(limit: int | None, floor: int | None) -> bool:
    return floor is not None and (limit is None or limit > floor)


# Defaults per kind; each line cites the HOUSING.md row it comes from. Where the spec gives a range
# or an example ("8-10 units", "e.g. 6 residents") the upper bound or nothing is the default, so a
# site tightens rather than the code guessing.
_KIND_DEFAULTS: Mapping[HousingKind, SiteRules] = {
    # "avoid clustering residents with heavy needs in one area": a Housing First site is an address
    # or small cluster of flats; 2 residents with heavy needs per site is our assumed default.
    HousingKind.HOUSING_FIRST: SiteRules(kind=HousingKind.HOUSING_FIRST, max_heavy_needs=2),
    # "18 or older; IP and crisis plan; day activity; strictly drug-free; no more than 8-10 units",
    # and "after long-term addiction treatment (at least 6 months)".
    HousingKind.TRANSITIONAL: SiteRules(
        kind=HousingKind.TRANSITIONAL,
        drug_free=True,
        excludes_active_use=True,
        min_age=18,
        requires_individual_plan=True,
        requires_crisis_plan=True,
        requires_day_activity=True,
        requires_long_treatment=True,
        max_units=10,
    ),
    # "staff base on site 24/7; not for people in active drug use".
    HousingKind.STAFFED: SiteRules(
        kind=HousingKind.STAFFED, staffed_24_7=True, excludes_active_use=True
    ),
    # "people in recovery must not be placed with people in active use".
    HousingKind.TEMPORARY: SiteRules(kind=HousingKind.TEMPORARY, no_mixing_use_and_recovery=True),
    # "known users of municipal services"; the institution is staffed around the clock.
    HousingKind.CRISIS_BED: SiteRules(
        kind=HousingKind.CRISIS_BED, staffed_24_7=True, known_users_only=True
    ),
}


@dataclass(frozen=True, slots=True)
class Site:
    """A house, address or institution holding units of one kind (botilbud)."""

    id: str
    name: str
    district: str
    rules: SiteRules

    def __post_init__(self) -> None:
        self.rules.check_at_least(SiteRules.for_kind(self.rules.kind))

    @classmethod
    def of_kind(
        cls, id: str, name: str, kind: HousingKind, district: str, **tighten: object
    ) -> Site:
        """A site with the typical rules of `kind`, tightened by `tighten` (e.g. min_age=23)."""
        return cls(id, name, district, SiteRules.for_kind(kind).tightened(**tighten))

    @property
    def kind(self) -> HousingKind:
        return self.rules.kind


class UnitStatus(StrEnum):
    FREE = "free"
    OCCUPIED = "occupied"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class ResidentProfile:
    """What site-level rules need to know about someone living at a site, and nothing more."""

    active_use: bool = False
    in_recovery: bool = False
    heavy_needs: bool = False


@dataclass(frozen=True, slots=True)
class ResidentMix:
    """Counts of residents at a site by the profiles the site-level rules look at."""

    total: int = 0
    active_use: int = 0
    in_recovery: int = 0
    heavy_needs: int = 0

    @classmethod
    def of(cls, residents: Iterable[ResidentProfile]) -> ResidentMix:
        listed = list(residents)
        return cls(
            total=len(listed),
            active_use=sum(r.active_use for r in listed),
            in_recovery=sum(r.in_recovery for r in listed),
            heavy_needs=sum(r.heavy_needs for r in listed),
        )


@dataclass(frozen=True, slots=True)
class Unit:
    """A flat, bedsit, room or bed (boenhet) at a site.

    `residents` are the people who will still live in this unit when a new resident moves in: for
    a single flat that becomes free on `available_from` the leaving tenant is not listed; for an
    occupied flat the tenant is, so that site-level rules (heavy needs, mixing) see them.
    `available_from` None means free now.
    """

    id: str
    site: Site
    capacity: int = 1
    status: UnitStatus = UnitStatus.FREE
    available_from: date | None = None
    residents: tuple[ResidentProfile, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"unit {self.id}: capacity must be at least 1")
        if len(self.residents) > self.capacity:
            raise ValueError(f"unit {self.id}: more residents than capacity")

    @property
    def kind(self) -> HousingKind:
        return self.site.kind

    @property
    def free_places(self) -> int:
        """Places a new resident can take: none unless the unit is free."""
        if self.status is not UnitStatus.FREE:
            return 0
        return self.capacity - len(self.residents)


class Stock:
    """The units the matcher may propose, with what their sites already hold (boligmassen)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units: tuple[Unit, ...] = tuple(units)
        self._units_by_id = {u.id: u for u in self.units}
        if len(self._units_by_id) != len(self.units):
            raise ValueError("unit ids must be unique")
        self.sites: dict[str, Site] = {}
        for unit in self.units:
            self._add_site(unit.site)
        self._check_max_units()
        residents: dict[str, list[ResidentProfile]] = {site_id: [] for site_id in self.sites}
        for unit in self.units:
            residents[unit.site.id].extend(unit.residents)
        self._mix = {site_id: ResidentMix.of(listed) for site_id, listed in residents.items()}

    def _add_site(self, site: Site) -> None:
        known = self.sites.setdefault(site.id, site)
        if known != site:
            raise ValueError(f"site {site.id} is described in two different ways")

    def _check_max_units(self) -> None:
        # Retired units no longer count towards a house's size.
        counts = Counter(u.site.id for u in self.units if u.status is not UnitStatus.RETIRED)
        for site_id, count in counts.items():
            limit = self.sites[site_id].rules.max_units
            if limit is not None and count > limit:
                raise ValueError(f"site {site_id} has {count} units, more than its {limit}")

    def unit(self, unit_id: str) -> Unit:
        return self._units_by_id[unit_id]

    def site_mix(self, site_id: str) -> ResidentMix:
        """The residents living at the site (all its units) before anyone new moves in."""
        return self._mix[site_id]

    def offerable_units(self) -> tuple[Unit, ...]:
        return tuple(u for u in self.units if u.free_places > 0)
