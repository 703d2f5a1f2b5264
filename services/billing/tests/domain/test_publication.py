"""What subscribers are told about a clock: only changes, in order, with rising revisions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from billing.domain.publication import (
    PERIOD_GONE,
    Announcement,
    ClockState,
    PublishedClock,
    changes,
)

RUNNING = PublishedClock(
    period_key="rdy-1",
    state=ClockState.RUNNING,
    started_on=date(2024, 4, 8),
    notice_msg_id="rdy-1",
    hospital_her="90998",
    municipality="3428",
    daily_rate=Decimal(5745),
)
STOPPED = replace(
    RUNNING,
    state=ClockState.STOPPED,
    stops_on=date(2024, 4, 12),
    end_reason="place_ready",
    days=4,
    amount=Decimal(22980),
)


def _said(found) -> list[tuple[str, int, ClockState]]:
    return [(c.announcement.value, c.clock.revision, c.clock.state) for c in found]


def test_a_new_running_clock_is_announced_started() -> None:
    assert _said(changes({}, {"rdy-1": RUNNING})) == [("started", 1, ClockState.RUNNING)]


def test_a_clock_first_seen_stopped_is_announced_started_then_stopped() -> None:
    found = changes({}, {"rdy-1": STOPPED})

    assert _said(found) == [("started", 1, ClockState.RUNNING), ("stopped", 2, ClockState.STOPPED)]
    assert found[0].clock.stops_on is None and found[0].clock.days == 0
    assert found[1].clock.days == 4


def test_the_same_clock_again_says_nothing() -> None:
    published = {"rdy-1": replace(STOPPED, revision=2)}

    assert changes(published, {"rdy-1": STOPPED}) == []
    assert changes({"rdy-1": replace(RUNNING, revision=1)}, {"rdy-1": RUNNING}) == []


def test_a_stop_and_a_moved_stop_are_announced_with_the_next_revision() -> None:
    stopped = changes({"rdy-1": replace(RUNNING, revision=1)}, {"rdy-1": STOPPED})
    moved = changes(
        {"rdy-1": replace(STOPPED, revision=2)},
        {"rdy-1": replace(STOPPED, stops_on=date(2024, 4, 11), days=3, amount=Decimal(17235))},
    )

    assert _said(stopped) == [("stopped", 2, ClockState.STOPPED)]
    assert _said(moved) == [("stopped", 3, ClockState.STOPPED)]


def test_a_stop_corrected_away_starts_the_clock_again() -> None:
    found = changes({"rdy-1": replace(STOPPED, revision=2)}, {"rdy-1": RUNNING})

    assert _said(found) == [("started", 3, ClockState.RUNNING)]


def test_a_period_that_is_no_longer_payable_is_voided_with_its_reasons() -> None:
    published = {"rdy-1": replace(STOPPED, revision=2)}

    voided = changes(published, {}, reasons={"rdy-1": ["no_admission_notice"]})
    gone = changes(published, {})

    assert _said(voided) == [("voided", 3, ClockState.VOID)]
    assert voided[0].clock.reasons == ("no_admission_notice",)
    assert gone[0].clock.reasons == (PERIOD_GONE,)
    assert changes({"rdy-1": voided[0].clock}, {}) == []
    assert _said(changes({"rdy-1": voided[0].clock}, {"rdy-1": RUNNING})) == [
        ("started", 4, ClockState.RUNNING)
    ]


def test_a_period_without_a_payable_day_is_announced_only_if_it_was_announced_running() -> None:
    zero = replace(STOPPED, stops_on=date(2024, 4, 8), days=0, amount=Decimal(0))

    assert changes({}, {"rdy-1": zero}) == []
    found = changes({"rdy-1": replace(RUNNING, revision=1)}, {"rdy-1": zero})
    assert [(c.announcement, c.clock.days) for c in found] == [(Announcement.STOPPED, 0)]


def test_periods_are_announced_in_key_order() -> None:
    second = replace(RUNNING, period_key="rdy-2", notice_msg_id="rdy-2")

    found = changes({}, {"rdy-2": second, "rdy-1": RUNNING})

    assert [c.clock.period_key for c in found] == ["rdy-1", "rdy-2"]
