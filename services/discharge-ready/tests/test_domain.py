"""The readiness timeline and stay linking as pure rules: N/M/C, order of arrival, waiting messages."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from discharge_ready.domain import (
    Admission,
    AnswerDetails,
    DischargeDetails,
    Dispatch,
    Entry,
    Kind,
    MeetingDetails,
    Patient,
    Readiness,
    ReadyDetails,
    Stay,
    Timeline,
    WithdrawalDetails,
    adopt,
    choose_stay,
    take_over,
)

T0 = datetime(2024, 4, 8, 7, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def notice(
    entry_id: str,
    hours: float,
    *,
    status: str = "N",
    refs: tuple[str, ...] = (),
    ready: date = date(2024, 4, 8),
) -> Entry:
    details = None if status == "C" else ReadyDetails(ready, None, False, "9144900")
    return Entry(
        entry_id, Kind.READY_NOTICE, Dispatch(status), at(hours), at(hours), details, refs=refs
    )


def withdrawal(entry_id: str, hours: float) -> Entry:
    return Entry(
        entry_id, Kind.WITHDRAWAL, Dispatch.NEW, at(hours), at(hours), WithdrawalDetails(at(hours))
    )


def answer(entry_id: str, hours: float, refs: tuple[str, ...] = (), can: bool = False) -> Entry:
    details = AnswerDetails(can, date(2024, 4, 12) if can else None, None, True)
    return Entry(entry_id, Kind.ANSWER, Dispatch.NEW, at(hours), at(hours), details, refs=refs)


def discharge(
    entry_id: str,
    hours: float,
    *,
    died: bool = False,
    status: str = "N",
    refs: tuple[str, ...] = (),
) -> Entry:
    details = None if status == "C" else DischargeDetails(at(hours), died, "1", None)
    return Entry(
        entry_id, Kind.DISCHARGE, Dispatch(status), at(hours), at(hours), details, refs=refs
    )


def play(entries: list[Entry]) -> tuple[Timeline, list[tuple[str, str | None, str | None]]]:
    timeline, published = Timeline(), []
    for entry in entries:
        applied = timeline.apply(entry)
        timeline = applied.timeline
        published += [(p.entry.entry_id, p.replaces, p.cancels) for p in applied.publications]
    return timeline, published


def test_a_change_supersedes_its_original_and_names_it():
    timeline, published = play([notice("n", 0), notice("m", 2, status="M", refs=("n", "n"))])
    states = timeline.states()
    assert states["n"].superseded_by == "m" and not states["n"].in_force
    assert states["m"].in_force
    assert published == [("n", None, None), ("m", "n", None)]
    assert timeline.root_of(timeline.get("m")) == "n"


def test_a_cancellation_voids_the_whole_chain():
    timeline, published = play(
        [
            notice("n", 0),
            notice("m", 2, status="M", refs=("n", "n")),
            notice("c", 3, status="C", refs=("m", "n")),
        ]
    )
    states = timeline.states()
    assert states["n"].cancelled_by == states["m"].cancelled_by == "c"
    assert not states["c"].in_force
    assert published[-1] == ("c", None, "m")
    assert timeline.readiness() == (Readiness.NOT_READY, None)


def test_without_conversation_ref_a_change_or_cancellation_is_of_the_current_message():
    timeline, published = play([notice("n", 0), notice("c", 1, status="C")])
    assert published[-1] == ("c", None, "n")
    assert timeline.states()["n"].cancelled_by == "c"
    _, changed = play([notice("n", 0), notice("m", 1, status="M")])
    assert changed[-1] == ("m", "n", None)


def test_a_cancellation_only_voids_its_own_kind():
    timeline, _ = play(
        [notice("n", 0), discharge("d", 5), discharge("dc", 6, status="C", refs=("n", "n"))]
    )
    assert timeline.states()["n"].in_force and timeline.states()["d"].in_force


CHAINS = [
    [
        notice("n", 0),
        notice("m1", 2, status="M", refs=("n", "n")),
        notice("m2", 4, status="M", refs=("m1", "n")),
    ],
    [
        notice("n", 0),
        notice("m", 2, status="M", refs=("n", "n")),
        notice("c", 3, status="C", refs=("n", "n")),
        withdrawal("w", 5),
    ],
    [
        notice("n", 0),
        answer("a", 1, ("n", "n")),
        withdrawal("w", 3),
        notice("n2", 4),
        discharge("d", 8),
    ],
]


@pytest.mark.parametrize("entries", CHAINS, ids=["changes", "cancel", "conversation"])
def test_every_order_of_arrival_ends_in_the_same_state(entries):
    expected, _ = play(entries)
    for order in itertools.permutations(entries):
        timeline, _ = play(list(order))
        assert timeline.states() == expected.states()
        assert timeline.readiness()[0] == expected.readiness()[0]


def test_a_late_original_of_a_change_or_a_cancellation_is_kept_but_not_published():
    _, published = play([notice("m", 2, status="M", refs=("n", "n")), notice("n", 0)])
    assert published == [("m", "n", None)]
    timeline, published = play([notice("c", 3, status="C", refs=("n", "n")), notice("n", 0)])
    assert published == [("c", None, "n")]
    assert timeline.states()["n"].cancelled_by == "c"


def test_the_latest_gendate_is_in_force_whatever_arrives_last():
    timeline, published = play(
        [
            notice("n", 0),
            notice("m2", 4, status="M", refs=("n", "n")),
            notice("m1", 2, status="M", refs=("n", "n")),
        ]
    )
    assert timeline.states()["m2"].in_force and not timeline.states()["m1"].in_force
    assert [p[0] for p in published] == ["n", "m2"]


def test_readiness_follows_notices_withdrawals_and_discharge():
    timeline, _ = play([notice("n", 0)])
    assert timeline.readiness() == (Readiness.READY, timeline.get("n"))
    timeline, _ = play([notice("n", 0), withdrawal("w", 2)])
    assert timeline.readiness() == (Readiness.WITHDRAWN, None)
    timeline, _ = play([notice("n", 0), withdrawal("w", 2), notice("n2", 4)])
    assert timeline.readiness() == (Readiness.READY, timeline.get("n2"))
    timeline, _ = play([notice("n", 0), discharge("d", 9, died=True)])
    assert timeline.readiness()[0] is Readiness.DIED


def test_an_answer_answers_the_notice_it_refers_to_or_else_the_running_one():
    timeline, _ = play([notice("n", 0), answer("a1", 1, ("n", "n")), answer("a2", 2, ("a1", "n"))])
    assert timeline.get("a1").target == timeline.get("a2").target == "n"
    timeline, _ = play([notice("n", 0), answer("a", 1)])
    assert timeline.get("a").target == "n"
    # A later answer is a new answer: both stay in force.
    assert all(timeline.states()[i].in_force for i in ("a", "n"))


def test_a_meeting_correction_supersedes_whatever_its_called_time():
    first = Entry(
        "r1", Kind.COOPERATION_MEETING, Dispatch.NEW, at(0), at(1), MeetingDetails(at(0), None)
    )
    correction = Entry(
        "r2",
        Kind.COOPERATION_MEETING,
        Dispatch.CHANGE,
        at(-24),
        at(2),
        MeetingDetails(at(-24), None),
        refs=("r1",),
    )
    timeline, published = play([first, correction])
    assert timeline.states()["r1"].superseded_by == "r2"
    assert published[-1] == ("r2", "r1", None)


def _stay(stay_id: str, admitted_hours: float | None, entries: list[Entry] = ()) -> Stay:
    timeline, _ = play(list(entries))
    admitted = None if admitted_hours is None else at(admitted_hours)
    return Stay(
        stay_id,
        Patient("15076500565", "FNR"),
        "59",
        "90998",
        "99387",
        "somatic",
        admitted,
        Admission.NOTIFIED,
        timeline,
    )


def test_a_discharge_goes_to_the_latest_open_stay_admitted_before_it():
    old = _stay("old", -200, [notice("n0", -150), discharge("d0", -100)])
    current = _stay("current", -48)
    future = _stay("future", 48)
    assert choose_stay(discharge("d", 10), [old, current, future]).stay_id == "current"
    assert choose_stay(discharge("d", -60), [old, current, future]) is None
    cancelled = replace(current, admission=Admission.CANCELLED)
    assert choose_stay(discharge("d", 10), [cancelled]) is None


def test_an_answer_goes_to_an_open_stay_with_a_running_notice():
    without = _stay("a", -48)
    with_notice = _stay("b", -24, [notice("n", 0)])
    assert choose_stay(answer("x", 2), [without, with_notice]).stay_id == "b"
    assert choose_stay(answer("x", 2), [without]) is None


def test_waiting_messages_join_their_stay_in_order_as_if_they_had_come_in_order():
    waiting = _stay("unlinked", None, [answer("a", 1, ("n", "n")), discharge("d", 9)])
    # Without its notice the answer does not fit; the discharge fits the open stay at once.
    adoption = adopt(_stay("s", -48), waiting)
    assert adoption.moved == ("d",)
    assert [e.entry_id for e in adoption.unlinked.timeline.entries] == ["a"]
    # Once the notice is there, both join, in GenDate order, published as they would have been.
    adoption = adopt(_stay("s", -48, [notice("n", 0)]), waiting)
    assert adoption.moved == ("a", "d")
    assert [(p.entry.entry_id, p.entry.target) for p in adoption.publications] == [
        ("a", "n"),
        ("d", None),
    ]
    assert adoption.unlinked.timeline.entries == ()
    assert adoption.stay.readiness is Readiness.DISCHARGED


def test_the_corrected_stay_takes_over_every_message_of_the_stay_its_new_time_formed():
    # The notice, its change and an answer came before the correction gave the stay their time.
    formed = _stay(
        "formed", -48, [notice("n", 0), notice("n2", 1, status="M", refs=("n",)), answer("a", 2)]
    )
    # A discharge before the notice would not "fit" the corrected stay: it moves all the same.
    formed = replace(formed, timeline=play([*formed.timeline.entries, discharge("d", -1)])[0])
    taken = take_over(_stay("corrected", -48), formed)
    assert set(taken.moved) == {"n", "n2", "a", "d"}
    assert taken.unlinked.timeline.entries == ()
    assert [e.entry_id for e in taken.stay.timeline.ordered()] == [
        e.entry_id for e in formed.timeline.ordered()
    ]
    assert {p.entry.entry_id for p in taken.publications} <= {"n", "n2", "a", "d"}
    assert taken.stay.readiness is formed.readiness
