"""Apply changes (M) and cancellations (C) to the facts of a stay.

The result depends only on the set of facts, never on the order they arrived in: the version in
force is the one with the latest GenDate, so that replaying the same messages gives the same days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Generic, TypeVar

from billing.domain.facts import (
    AdmissionNotice,
    Cancellation,
    CooperationMeetingCalled,
    Died,
    Discharged,
    DischargeReadyNotice,
    Fact,
    HousingAssigned,
    HousingAssignmentCancelled,
    Message,
    MunicipalityAnswer,
    ReadinessWithdrawn,
)

M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class Current(Generic[M]):
    """One message after its changes: the content in force and when it was first sent."""

    content: M
    key: str
    """The id of the first version (the conversation): stable across changes."""
    first_sent_at: datetime
    """GenDate of the earliest version: when the recipient was first told."""
    message_ids: tuple[str, ...]
    """Every version, sorted."""


@dataclass(frozen=True)
class Assignment:
    """A housing assignment after its cancellation, if any."""

    content: HousingAssigned
    cancelled_at: datetime | None
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class ResolvedFacts:
    admission_notices: tuple[Current[AdmissionNotice], ...]
    readiness_notices: tuple[Current[DischargeReadyNotice], ...]
    withdrawals: tuple[Current[ReadinessWithdrawn], ...]
    answers: tuple[Current[MunicipalityAnswer], ...]
    discharges: tuple[Current[Discharged], ...]
    deaths: tuple[Current[Died], ...]
    meetings: tuple[Current[CooperationMeetingCalled], ...]
    assignments: tuple[Assignment, ...]
    cancelled: tuple[str, ...]
    """Ids of the messages that cancellations removed, with the cancellations' own ids."""
    messages: tuple[Message, ...]
    """Every distinct message received, cancelled or not (for clock-skew checks and evidence)."""


def resolve(facts: Iterable[Fact]) -> ResolvedFacts:
    """The facts in force: cancelled conversations removed, each change replacing its original."""
    return _resolve(tuple(facts))


@lru_cache(maxsize=64)
def _resolve(facts: tuple[Fact, ...]) -> ResolvedFacts:
    # Facts and the result are immutable, and a stay's facts are resolved several times in a row
    # (the stay's attributes, the profile, the assessment): the same tuple is resolved once.
    messages = _distinct_messages(facts)
    cancellations = [m for m in messages.values() if isinstance(m, Cancellation)]
    cancelled_ids = {c.cancels for c in cancellations}
    chains = _chains({k: m for k, m in messages.items() if not isinstance(m, Cancellation)})
    live: list[Current[Message]] = []
    removed: set[str] = {c.message_id for c in cancellations}
    for root, versions in chains.items():
        ids = {root} | {v.message_id for v in versions}
        if ids & cancelled_ids:
            removed |= {v.message_id for v in versions}
            continue
        live.append(_current(root, versions))
    live.sort(key=lambda c: (c.first_sent_at, c.key))
    return ResolvedFacts(
        admission_notices=_of(live, AdmissionNotice),
        readiness_notices=_of(live, DischargeReadyNotice),
        withdrawals=_of(live, ReadinessWithdrawn),
        answers=_of(live, MunicipalityAnswer),
        discharges=_of(live, Discharged),
        deaths=_of(live, Died),
        meetings=_of(live, CooperationMeetingCalled),
        assignments=_assignments(facts),
        cancelled=tuple(sorted(removed)),
        messages=tuple(sorted(messages.values(), key=lambda m: (m.sent_at, m.message_id))),
    )


def _distinct_messages(facts: Iterable[Fact]) -> dict[str, Message]:
    """One message per id: a redelivered message changes nothing."""
    found: dict[str, Message] = {}
    for fact in facts:
        if isinstance(fact, Message):
            found.setdefault(fact.message_id, fact)
    return found


def _chains(messages: dict[str, Message]) -> dict[str, list[Message]]:
    """Group each message with its changes under the id of the first version.

    A change may point at the original or at an earlier change; the original itself may be
    missing (never received), in which case the id it names still keys the chain.
    """
    chains: dict[str, list[Message]] = defaultdict(list)
    for message in messages.values():
        chains[_root(message, messages)].append(message)
    return chains


def _root(message: Message, messages: dict[str, Message]) -> str:
    seen = {message.message_id}
    current = message
    while current.replaces is not None and current.replaces not in seen:
        seen.add(current.replaces)
        earlier = messages.get(current.replaces)
        if earlier is None:
            return current.replaces
        current = earlier
    return current.message_id


def _current(root: str, versions: list[Message]) -> Current[Message]:
    # Latest GenDate wins; on a tie a change beats the original, then the id decides (arbitrary
    # but stable), so that arrival order never matters.
    content = max(versions, key=lambda v: (v.sent_at, v.replaces is not None, v.message_id))
    return Current(
        content=content,
        key=root,
        first_sent_at=min(v.sent_at for v in versions),
        message_ids=tuple(sorted({v.message_id for v in versions})),
    )


def _of(live: list[Current[Message]], kind: type[M]) -> tuple[Current[M], ...]:
    return tuple(c for c in live if isinstance(c.content, kind))  # type: ignore[misc]


def _assignments(facts: Iterable[Fact]) -> tuple[Assignment, ...]:
    """Housing assignments keyed by assignment id; a re-sent decision replaces the earlier one."""
    decided: dict[str, list[HousingAssigned]] = defaultdict(list)
    cancelled: dict[str, list[HousingAssignmentCancelled]] = defaultdict(list)
    for fact in facts:
        if isinstance(fact, HousingAssigned):
            decided[fact.assignment_id].append(fact)
        elif isinstance(fact, HousingAssignmentCancelled):
            cancelled[fact.assignment_id].append(fact)
    result = []
    for assignment_id, versions in decided.items():
        content = max(versions, key=lambda v: (v.decided_at, v.message_id))
        cancels = cancelled.get(assignment_id, [])
        ids = {v.message_id for v in versions} | {c.message_id for c in cancels}
        result.append(
            Assignment(
                content=content,
                cancelled_at=min((c.cancelled_at for c in cancels), default=None),
                message_ids=tuple(sorted(ids)),
            )
        )
    result.sort(key=lambda a: (a.content.decided_at, a.content.assignment_id))
    return tuple(result)
