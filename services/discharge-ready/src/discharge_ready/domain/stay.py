"""A stay (opphold) as discharge-ready knows it, and which stay a message belongs to.

A stay is keyed by (patient, hospital organisation HER-id, admission time). discharge-ready
learns stays from admission.v1 and from its own messages that repeat the admission time
(TidsfestetHendelse code 1). A message that names no admission time and fits no known stay is
kept on the patient's *unlinked* stay at that hospital (``admitted_at`` None) until a stay it
fits becomes known; then it moves there (``adopt``) and is published as if it had come in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from discharge_ready.domain.timeline import (
    DischargeDetails,
    Entry,
    Kind,
    Publication,
    Readiness,
    Timeline,
)


class Admission(StrEnum):
    """What admission.v1 said about this stay."""

    UNKNOWN = "unknown"  # no admission notice (Melding om innlagt pasient) seen
    NOTIFIED = "notified"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Patient:
    """The patient's identifier and name. Never shown in repr: logs and traces stay clean."""

    id: str = field(repr=False)
    id_type: str
    family_name: str | None = field(default=None, repr=False)
    given_name: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Stay:
    stay_id: str
    patient: Patient
    hospital_her: str  # the hospital organisation (level 1), part of the key
    unit_her: str | None
    municipality_her: str | None
    sector: str
    admitted_at: datetime | None  # None: an unlinked stay, waiting for its real stay
    admission: Admission = Admission.UNKNOWN
    timeline: Timeline = field(default_factory=Timeline)

    @property
    def linked(self) -> bool:
        return self.admitted_at is not None

    @property
    def admission_known(self) -> bool:
        return self.admission is Admission.NOTIFIED

    @property
    def readiness(self) -> Readiness:
        return self.timeline.readiness()[0]

    @property
    def running_notice(self) -> Entry | None:
        return self.timeline.readiness()[1]

    def is_open_at(self, moment: datetime | None) -> bool:
        """Linked, not discharged, not a void (cancelled, empty) admission, admitted by then."""
        if not self.linked or self.readiness in (Readiness.DISCHARGED, Readiness.DIED):
            return False
        if self.admission is Admission.CANCELLED and not self.timeline.entries:
            return False
        assert self.admitted_at is not None
        return moment is None or self.admitted_at <= moment


def event_time(entry: Entry) -> datetime:
    """When the entry's event happened: the discharge time for a discharge, else GenDate."""
    if isinstance(entry.details, DischargeDetails):
        return entry.details.discharged_at
    return entry.sent_at


def fits(entry: Entry, stay: Stay) -> bool:
    """Whether a message without admission time belongs to this (linked) stay.

    ConversationRef to a message of the stay decides; else a discharge goes to a stay open at
    its time, an answer to an open stay with a running notice, anything else to an open stay.
    """
    if any(stay.timeline.get(ref) is not None for ref in entry.refs):
        return stay.linked
    if entry.kind is Kind.ANSWER:
        return stay.is_open_at(None) and stay.running_notice is not None
    return stay.is_open_at(event_time(entry))


def choose_stay(entry: Entry, stays: Iterable[Stay]) -> Stay | None:
    """The patient's stay at the hospital this entry belongs to: of those it fits, the latest
    admitted. None when it fits none (the entry then waits on the unlinked stay)."""
    candidates = [s for s in stays if s.linked and fits(entry, s)]
    return max(candidates, key=lambda s: s.admitted_at or datetime.min, default=None)


@dataclass(frozen=True)
class Adoption:
    stay: Stay
    unlinked: Stay
    moved: tuple[str, ...]
    publications: tuple[Publication, ...]


def adopt(stay: Stay, unlinked: Stay, belongs: Callable[[Entry, Stay], bool] = fits) -> Adoption:
    """Move the waiting entries that fit ``stay`` onto it, in GenDate order, publishing each as
    ``Timeline.apply`` would have when it arrived. Repeats until nothing more fits (a moved
    notice can make a waiting answer fit)."""
    moved: list[str] = []
    publications: list[Publication] = []
    progress = True
    while progress:
        progress = False
        for entry in unlinked.timeline.ordered():
            if entry.entry_id in moved or not belongs(entry, stay):
                continue
            applied = stay.timeline.apply(entry)
            stay = replace(stay, timeline=applied.timeline)
            moved.append(entry.entry_id)
            publications.extend(applied.publications)
            progress = True
    remaining = replace(unlinked, timeline=unlinked.timeline.without(moved))
    return Adoption(stay, remaining, tuple(moved), tuple(publications))


def take_over(stay: Stay, twin: Stay) -> Adoption:
    """Every entry of ``twin``, a stay that messages formed under ``stay``'s admission time
    before a correction gave ``stay`` that time, moves onto ``stay`` (as `adopt` moves them)."""
    return adopt(stay, twin, belongs=lambda _entry, _stay: True)
