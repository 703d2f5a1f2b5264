"""Agreement profiles: the local cooperation agreements (samarbeidsavtaler) as data.

The national rule is the default profile. A local agreement between a hospital trust and a
municipality may add rules; each rule is a field here, not a code branch, so that a new agreement
is a new entry in `agreements.toml`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from itertools import pairwise
from types import MappingProxyType


@dataclass(frozen=True, kw_only=True)
class AgreementProfile:
    id: str = "national"
    name: str = "National rule (forskrift om kommunal betaling for utskrivningsklare pasienter)"
    start_delay: timedelta = timedelta(0)
    """Payment starts only this long after the § 10 notice: the municipality pays only if it has
    not received the patient by then (Helse Møre og Romsdal: 24 hours)."""
    notice_cutoff: time | None = None
    """Notices sent after this Oslo time count from the next working day (e.g. 12:00)."""
    non_working_day_notices_roll: bool = False
    """Notices sent on a Saturday, Sunday or public holiday count from the next working day."""
    requires_discharge_documentation: bool = False
    """Nothing is payable for a patient discharged without an epikrise or equivalent."""
    source: str = ""
    """Where the rule comes from (agreement, dispute board decision)."""

    def __post_init__(self) -> None:
        if self.start_delay < timedelta(0):
            raise ValueError("start_delay must not be negative")


NATIONAL = AgreementProfile()


@dataclass(frozen=True)
class Agreement:
    """A profile in force between one hospital trust and one municipality for a time."""

    hospital_trust: str
    """HER-id of the hospital trust."""
    municipality: str
    """Municipality number (kommunenummer) of the paying municipality."""
    profile_id: str
    valid_from: date
    valid_to: date | None = None
    """Last day in force (included); open-ended when `None`."""

    def in_force(self, hospital_trust: str, municipality: str, on: date) -> bool:
        return (
            self.hospital_trust == hospital_trust
            and self.municipality == municipality
            and self.valid_from <= on
            and (self.valid_to is None or on <= self.valid_to)
        )


@dataclass(frozen=True)
class AgreementBook:
    """Every profile and agreement; the national profile where no agreement is in force."""

    profiles: Mapping[str, AgreementProfile] = field(default_factory=dict)
    agreements: tuple[Agreement, ...] = ()

    def __post_init__(self) -> None:
        profiles = {NATIONAL.id: NATIONAL, **dict(self.profiles)}
        object.__setattr__(self, "profiles", MappingProxyType(profiles))
        object.__setattr__(self, "agreements", tuple(self.agreements))
        for agreement in self.agreements:
            if agreement.profile_id not in profiles:
                raise ValueError(f"agreement names unknown profile {agreement.profile_id!r}")
        _refuse_overlaps(self.agreements)

    def profile_for(
        self, hospital_trust: str, municipality: str | None, on: date
    ) -> AgreementProfile:
        """The profile in force for the pair on a day (the national rule when none is)."""
        if municipality is None:
            return NATIONAL
        for agreement in self.agreements:
            if agreement.in_force(hospital_trust, municipality, on):
                return self.profiles[agreement.profile_id]
        return NATIONAL


def _refuse_overlaps(agreements: Iterable[Agreement]) -> None:
    """Two agreements for one pair on one day would make the profile a guess."""
    by_pair: dict[tuple[str, str], list[Agreement]] = {}
    for agreement in agreements:
        by_pair.setdefault((agreement.hospital_trust, agreement.municipality), []).append(agreement)
    for pair, items in by_pair.items():
        items.sort(key=lambda a: a.valid_from)
        for earlier, later in pairwise(items):
            if earlier.valid_to is None or later.valid_from <= earlier.valid_to:
                raise ValueError(f"agreements for {pair} overlap from {later.valid_from}")
