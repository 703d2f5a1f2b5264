"""The facts of one stay, as linked by the intake services.

Every fact carries the id of the message (or event) it rests on, so that an invoice line can be
traced to the XML behind it. Instants are timezone-aware and normalised to UTC; calendar dates are
plain `date`s. Corrections arrive as facts of their own: a change (Forsendelsesstatus M) is a fact
of the same kind whose `replaces` names an earlier message id, a cancellation (Forsendelsesstatus C)
is a `Cancellation` naming the message it cancels. `billing.domain.corrections` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from functools import cache

from billing.domain.days import as_utc

REGULATION_START = date(2012, 1, 1)
"""Forskrift om kommunal betaling for utskrivningsklare pasienter took effect on this day."""

OPPHOLDSKOMMUNE_FROM = date(2019, 1, 1)
"""From 2019 the municipality where the patient stays pays; before, the one of registration.
The same day psykisk helsevern and TSB came under the regulation."""


class Sector(StrEnum):
    SOMATIC = "somatic"
    PSYCHIATRIC = "psychiatric"  # psykisk helsevern
    TSB = "tsb"  # tverrfaglig spesialisert rusbehandling


def _normalise_instants(fact: object) -> None:
    """Store every instant in UTC so that equal facts compare equal whatever zone they came in."""
    for name in _field_names(type(fact)):
        value = getattr(fact, name)
        if isinstance(value, datetime):
            object.__setattr__(fact, name, as_utc(value))


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))


@dataclass(frozen=True, kw_only=True)
class Message:
    """What every hospital or municipal message contributes: its id, GenDate and receive time."""

    message_id: str
    sent_at: datetime
    """MsgHead/MsgInfo/GenDate: when the sender sent it. The computation uses this time."""
    received_at: datetime | None = None
    """When the hub received it; only used to flag clock skew."""
    replaces: str | None = None
    """Set on a change (Forsendelsesstatus M): the id of the message whose content this replaces."""

    def __post_init__(self) -> None:
        _normalise_instants(self)


@dataclass(frozen=True, kw_only=True)
class AdmissionNotice(Message):
    """Melding om innlagt pasient (`LOG_INNLAGT`), the notice of § 8."""


@dataclass(frozen=True, kw_only=True)
class DischargeReadyNotice(Message):
    """Melding om utskrivningsklar pasient (`LOG_UTSKRIVNINGSKLAR`), the notice of § 10."""

    ready: date | datetime
    """TidsfestetHendelse code 3: when the patient is (or will be) ready for discharge."""
    decided_by: str | None = None
    """The doctor who judged the patient ready (§ 9)."""


@dataclass(frozen=True, kw_only=True)
class ReadinessWithdrawn(Message):
    """Avmelding av utskrivningsklar pasient (`LOG_AVMELDING`): new illness, transfer, ..."""

    withdrawn_at: datetime | None = None
    """TidsfestetHendelse code 4; the message's GenDate when absent."""

    @property
    def at(self) -> datetime:
        return self.withdrawn_at or self.sent_at


@dataclass(frozen=True, kw_only=True)
class MunicipalityAnswer(Message):
    """Tilbakemelding på mottak av utskrivningsklar pasient (Dialogmelding, TemaKodet 7)."""

    can_receive: bool
    day: date | None = None
    """With `can_receive`: the day a place is ready from (the answer day when absent).
    Without: the expected day, an estimate that does not stop the clock."""


@dataclass(frozen=True, kw_only=True)
class Discharged(Message):
    """Melding om utskrevet pasient (`LOG_UTSKREVET`)."""

    discharged_at: datetime | None = None
    """TidsfestetHendelse code 2; the message's GenDate when absent."""
    died: bool = False
    """`Uttilstand` 2 (død)."""
    destination: str | None = None

    @property
    def at(self) -> datetime:
        return self.discharged_at or self.sent_at


@dataclass(frozen=True, kw_only=True)
class Died(Message):
    """The patient died (død, TidsfestetHendelse code 13)."""

    died_at: datetime | None = None

    @property
    def at(self) -> datetime:
        return self.died_at or self.sent_at


@dataclass(frozen=True, kw_only=True)
class CooperationMeetingCalled(Message):
    """The hospital called a cooperation meeting (samarbeidsmøte) for psykisk helsevern or TSB."""

    called_at: datetime | None = None
    """When it was called; the message's GenDate when absent."""
    planned_for: date | datetime | None = None
    """When the meeting is to take place; it may be after the notice."""

    @property
    def at(self) -> datetime:
        return self.called_at or self.sent_at


@dataclass(frozen=True, kw_only=True)
class Cancellation(Message):
    """Forsendelsesstatus C: the message `cancels` (and every change of it) no longer exists."""

    cancels: str


@dataclass(frozen=True, kw_only=True)
class HousingAssigned:
    """A housing officer accepted an assignment (tildeling): the municipality's explicit
    "a place is ready" from the move-in day."""

    message_id: str
    """The id of the housing event."""
    assignment_id: str
    decided_at: datetime
    move_in: date

    def __post_init__(self) -> None:
        _normalise_instants(self)


@dataclass(frozen=True, kw_only=True)
class HousingAssignmentCancelled:
    """The assignment was cancelled: from this instant there is no place."""

    message_id: str
    assignment_id: str
    cancelled_at: datetime

    def __post_init__(self) -> None:
        _normalise_instants(self)


Fact = (
    AdmissionNotice
    | DischargeReadyNotice
    | ReadinessWithdrawn
    | MunicipalityAnswer
    | Discharged
    | Died
    | CooperationMeetingCalled
    | Cancellation
    | HousingAssigned
    | HousingAssignmentCancelled
)


@dataclass(frozen=True, kw_only=True)
class StayFacts:
    """One hospital stay (opphold) and every fact about it, in arrival order."""

    stay_id: str
    """Pseudonymous stay reference: never the fødselsnummer."""
    sector: Sector
    hospital_her: str
    """HER-id of the hospital unit."""
    hospital_trust: str
    """HER-id of the hospital trust (helseforetak) that invoices."""
    admitted_at: datetime
    """TidsfestetHendelse code 1 (Pasient innlagt)."""
    municipality_her: str | None = None
    residence_municipality: str | None = None
    """Oppholdskommune (municipality number): the payer from 2019."""
    registered_municipality: str | None = None
    """Folkeregistrert kommune (municipality number): the payer 2012-2018."""
    documentation_at_discharge: bool | None = None
    """Epikrise or equivalent at discharge; `None` when not known."""
    facts: tuple[Fact, ...] = field(default=())

    def __post_init__(self) -> None:
        _normalise_instants(self)
        object.__setattr__(self, "facts", tuple(self.facts))

    def payer_for(self, day: date) -> str | None:
        """The paying municipality for a day; `None` (unknown) rather than a guess."""
        if day >= OPPHOLDSKOMMUNE_FROM:
            return self.residence_municipality
        return self.registered_municipality
