"""The readiness timeline (tidslinje) of one stay: notices, withdrawals, answers, discharge, meetings.

Pure rules. A timeline is the set of entries received for a stay; everything else is computed
from that set, never from the order the entries arrived in:

- A change (Forsendelsesstatus M, or A) joins the chain of the message it names; in each chain
  the version with the latest GenDate is in force (a change wins a tie), the others are
  superseded. A meeting correction always supersedes the registration it replaces.
- A cancellation (C) voids the whole chain of the message it names (same kind only).
- Answers (Dialogmelding) have no changes or cancellations: each answer stands.

So a change that arrives before its original, or a late original of a cancelled message, ends in
the same state as when they come in order; ``Timeline.apply`` says which events to publish.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum


class Kind(StrEnum):
    READY_NOTICE = "ready_notice"  # LOG_UTSKRIVNINGSKLAR, Melding om utskrivningsklar pasient
    WITHDRAWAL = "withdrawal"  # LOG_AVMELDING, Avmelding av utskrivningsklar pasient
    ANSWER = "answer"  # Dialogmelding TemaKodet 7, Tilbakemelding på mottak av utskrivningsklar
    DISCHARGE = "discharge"  # LOG_UTSKREVET, Melding om utskrevet pasient
    COOPERATION_MEETING = "cooperation_meeting"  # samarbeidsmøte called (psykisk helsevern, TSB)


class Dispatch(StrEnum):
    """Forsendelsesstatus (list 7309). A (Tillegg) counts as a change, H (Historikk) as new."""

    NEW = "N"
    CHANGE = "M"
    ADDITION = "A"
    CANCELLATION = "C"
    HISTORY = "H"

    @property
    def is_change(self) -> bool:
        return self in (Dispatch.CHANGE, Dispatch.ADDITION)

    @property
    def is_cancellation(self) -> bool:
        return self is Dispatch.CANCELLATION


class Readiness(StrEnum):
    NOT_READY = "not_ready"
    READY = "ready"
    WITHDRAWN = "withdrawn"
    DISCHARGED = "discharged"
    DIED = "died"


# --- what each kind of entry says -------------------------------------------------------------
@dataclass(frozen=True)
class ReadyDetails:
    """TidsfestetHendelse code 3: the day (and time, when given) the patient is ready."""

    ready_on: date
    ready_at: datetime | None
    estimated: bool
    decided_by_hpr: str | None


@dataclass(frozen=True)
class WithdrawalDetails:
    withdrawn_at: datetime  # code 4, else GenDate


@dataclass(frozen=True)
class AnswerDetails:
    can_receive: bool
    ready_from: date | None
    expected_on: date | None
    structured: bool  # False: not in the agreed form; never counts as "can receive"


@dataclass(frozen=True)
class DischargeDetails:
    discharged_at: datetime  # code 2 (or 13), else GenDate
    died: bool  # Uttilstand 2 "som død", or code 13
    destination_code: str | None  # UtTil, list 8408
    destination_text: str | None


@dataclass(frozen=True)
class MeetingDetails:
    called_at: datetime
    planned_for: datetime | None


Details = ReadyDetails | WithdrawalDetails | AnswerDetails | DischargeDetails | MeetingDetails


@dataclass(frozen=True)
class Organisation:
    """A party as a message names it: organisation (level 1) and service (level 2) HER-ids."""

    her_id: str
    name: str | None = None
    unit_her_id: str | None = None
    unit_name: str | None = None


@dataclass(frozen=True)
class Entry:
    """One message (or meeting registration) on the timeline.

    ``sent_at`` is the message's GenDate (a meeting: when it was called); ``received_at`` when
    the hub got it. ``refs`` are ConversationRef (parent, then conversation) or, for a meeting,
    the registration it replaces. ``target`` is resolved by ``Timeline.apply``: the entry that
    this one changes, cancels or (an answer) answers. ``details`` is None for a cancellation.
    """

    entry_id: str
    kind: Kind
    status: Dispatch
    sent_at: datetime
    received_at: datetime
    details: Details | None
    refs: tuple[str, ...] = ()
    target: str | None = None
    hospital: Organisation | None = None
    municipality: Organisation | None = None
    msg_type: str | None = None
    version: str | None = None

    @property
    def replaces(self) -> str | None:
        """The entry whose content this one replaces (a change, or a meeting correction)."""
        if self.status.is_change or (self.kind is Kind.COOPERATION_MEETING and self.refs):
            return self.target
        return None


@dataclass(frozen=True)
class EntryState:
    in_force: bool
    superseded_by: str | None = None
    cancelled_by: str | None = None


@dataclass(frozen=True)
class Publication:
    """An entry that now has to be told on discharge.v1, with what it replaces or cancels."""

    entry: Entry
    replaces: str | None = None
    cancels: str | None = None


@dataclass(frozen=True)
class Applied:
    timeline: Timeline
    entry: Entry
    publications: tuple[Publication, ...]


def _version_key(entry: Entry) -> tuple:
    # A meeting correction is a later registration by definition; a message's version is its
    # GenDate (billing uses the same rule, so both sides agree which version is in force).
    if entry.kind is Kind.COOPERATION_MEETING:
        return (entry.received_at, entry.entry_id)
    return (entry.sent_at, entry.status.is_change, entry.entry_id)


@dataclass(frozen=True)
class Timeline:
    entries: tuple[Entry, ...] = ()

    def get(self, entry_id: str | None) -> Entry | None:
        return next((e for e in self.entries if e.entry_id == entry_id), None)

    def ordered(self) -> list[Entry]:
        return sorted(self.entries, key=lambda e: (e.sent_at, e.received_at, e.entry_id))

    # --- state, computed from the set of entries -------------------------------------------
    def root_of(self, entry: Entry) -> str:
        """The first version of an entry's chain (its conversation); may be an unseen message."""
        seen = {entry.entry_id}
        current = entry
        while current.replaces is not None and current.replaces not in seen:
            seen.add(current.replaces)
            earlier = self.get(current.replaces)
            if earlier is None:
                return current.replaces
            current = earlier
        return current.entry_id

    def states(self) -> dict[str, EntryState]:
        chains: dict[str, list[Entry]] = {}
        for entry in self.entries:
            if not entry.status.is_cancellation:
                chains.setdefault(self.root_of(entry), []).append(entry)
        states = {e.entry_id: EntryState(in_force=False) for e in self.entries}
        for root, versions in chains.items():
            canceller = self._canceller(root, versions)
            if canceller is not None:
                for version in versions:
                    states[version.entry_id] = EntryState(False, cancelled_by=canceller)
                continue
            current = max(versions, key=_version_key).entry_id
            for version in versions:
                superseded = None if version.entry_id == current else current
                states[version.entry_id] = EntryState(superseded is None, superseded)
        return states

    def _canceller(self, root: str, versions: list[Entry]) -> str | None:
        ids = {root} | {v.entry_id for v in versions}
        kind = versions[0].kind
        cancellations = (e for e in self.entries if e.status.is_cancellation and e.kind is kind)
        for cancellation in sorted(cancellations, key=lambda e: (e.sent_at, e.entry_id)):
            if ids & {*cancellation.refs, cancellation.target}:
                return cancellation.entry_id
        return None

    def in_force(self, *kinds: Kind) -> list[Entry]:
        states = self.states()
        return [e for e in self.ordered() if e.kind in kinds and states[e.entry_id].in_force]

    def readiness(self) -> tuple[Readiness, Entry | None]:
        """Where the stay stands, and the notice that is running (when it is ready)."""
        discharges = self.in_force(Kind.DISCHARGE)
        if discharges:
            died = any(
                isinstance(d.details, DischargeDetails) and d.details.died for d in discharges
            )
            return (Readiness.DIED if died else Readiness.DISCHARGED), None
        latest = self.in_force(Kind.READY_NOTICE, Kind.WITHDRAWAL)
        if not latest:
            return Readiness.NOT_READY, None
        last = latest[-1]
        if last.kind is Kind.WITHDRAWAL:
            return Readiness.WITHDRAWN, None
        return Readiness.READY, last

    # --- adding an entry --------------------------------------------------------------------
    def resolve(self, entry: Entry) -> Entry:
        """The entry with its target: what it changes, cancels or answers, as far as known."""
        if entry.kind is Kind.ANSWER:
            return replace(entry, target=self._answered(entry))
        if entry.kind is Kind.COOPERATION_MEETING:
            return replace(entry, target=entry.refs[0] if entry.refs else None)
        if entry.status.is_change or entry.status.is_cancellation:
            return replace(entry, target=self._changed(entry))
        return replace(entry, target=None)

    def _changed(self, entry: Entry) -> str | None:
        known = next((r for r in entry.refs if self.get(r) is not None), None)
        if known is not None or entry.refs:
            return known or entry.refs[0]
        # No ConversationRef: the change or cancellation is of the same kind's current message.
        current = self.in_force(entry.kind)
        return current[-1].entry_id if current else None

    def _answered(self, answer: Entry) -> str | None:
        for ref in answer.refs:
            found = self.get(ref)
            if found is not None and found.kind is Kind.READY_NOTICE:
                return ref
            if found is not None and found.kind is Kind.ANSWER and found.target:
                return found.target  # a reply to an earlier answer answers the same notice
        _, running = self.readiness()
        if running is not None:
            return running.entry_id
        return answer.refs[-1] if answer.refs else None

    def apply(self, entry: Entry) -> Applied:
        """The timeline with the entry added, and what to publish about it.

        An entry is published when it is in force once added; a cancellation is always
        published (it names what it voids). An entry that arrives already superseded or
        cancelled is kept on the timeline and published nowhere: its content never applied.
        """
        existing = self.get(entry.entry_id)
        if existing is not None:
            return Applied(self, existing, ())
        resolved = self.resolve(entry)
        after = Timeline((*self.entries, resolved))
        if resolved.status.is_cancellation:
            cancels = resolved.target
            pubs = (Publication(resolved, cancels=cancels),) if cancels else ()
            return Applied(after, resolved, pubs)
        if not after.states()[resolved.entry_id].in_force:
            return Applied(after, resolved, ())
        return Applied(after, resolved, (Publication(resolved, replaces=resolved.replaces),))

    def without(self, entry_ids: Iterable[str]) -> Timeline:
        gone = set(entry_ids)
        return Timeline(tuple(e for e in self.entries if e.entry_id not in gone))
