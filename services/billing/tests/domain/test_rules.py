"""Derived cases: the boundaries of each national rule of PAYMENT-RULES.md."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from billing_scenarios import (
    SOMATIC_STAY_FOR_TESTS,
    admission,
    answer,
    cancel,
    death,
    discharge,
    housing,
    housing_cancelled,
    meeting,
    notice,
    oslo,
    packaged_rates,
    stay_facts,
    withdrawal,
)

from billing.domain import (
    NATIONAL,
    AgreementProfile,
    EndReason,
    Flag,
    Reason,
    StayAssessment,
    assess,
)

ADMITTED = admission("adm-1", "2024-04-02T15:00")


def run(
    *events: dict[str, Any],
    admitted: dict[str, Any] | None = ADMITTED,
    profile: AgreementProfile = NATIONAL,
    as_of: str | None = None,
    **stay: Any,
) -> StayAssessment:
    if "admitted_at" in stay:
        stay["admitted"] = stay.pop("admitted_at")
    facts = stay_facts(
        {**SOMATIC_STAY_FOR_TESTS, **stay}, [*([admitted] if admitted else []), *events]
    )
    return assess(
        facts, packaged_rates(), profile, as_of=oslo(as_of) if as_of is not None else None
    )


def days_of(result: StayAssessment) -> list[tuple[str, str, str, int]]:
    return [(str(p.start), str(p.end), str(p.end_reason), p.days) for p in result.periods]


# --- § 8: admission notice within 24 hours, by GenDate ----------------------------------------


@pytest.mark.parametrize(
    ("sent", "on_time"),
    [
        ("2024-04-03T10:00:00", True),  # exactly 24 h
        ("2024-04-03T10:00:01", False),  # 24 h + 1 s
        ("2024-04-02T09:00", True),  # sent before the admission time
    ],
)
def test_admission_notice_24_hour_boundary(sent: str, on_time: bool) -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
        admitted=admission("adm-1", sent),
    )

    assert result.payable is on_time
    assert (Reason.LATE_ADMISSION_NOTICE in result.reasons) is not on_time
    assert (Flag.CONTESTABLE in result.flags) is not on_time
    assert result.total_days == (2 if on_time else 0)
    assert result.periods[0].days == 2  # the clock is shown either way


def test_admission_notice_rule_counts_real_hours_across_dst() -> None:
    # Spring forward 2024-03-31: 24.5 h on the wall clock are 23.5 real hours: in time.
    spring = run(
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
        admitted=admission("adm-1", "2024-03-31T12:30"),
        admitted_at="2024-03-30T12:00",
    )
    # Fall back 2024-10-27: 23.5 h on the wall clock are 24.5 real hours: late.
    autumn = run(
        notice("rdy-1", "2024-11-04T09:00"),
        discharge("dis-1", "2024-11-06T12:00"),
        admitted=admission("adm-1", "2024-10-27T11:30"),
        admitted_at="2024-10-26T12:00",
    )

    assert spring.payable and spring.total_days == 2
    assert not autumn.payable and Reason.LATE_ADMISSION_NOTICE in autumn.reasons


def test_admission_rule_uses_gendate_not_receive_time() -> None:
    # Sent 5 h after admission but received 30 h after: in time, and flagged for clock skew.
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
        admitted=admission("adm-1", "2024-04-02T15:00", received="2024-04-03T16:00"),
    )

    assert result.payable and result.total_days == 2
    assert Flag.CLOCK_SKEW in result.flags
    assert Reason.LATE_ADMISSION_NOTICE not in result.reasons


def test_missing_admission_notice_is_flagged_and_not_payable() -> None:
    result = run(notice("rdy-1", "2024-04-08T09:00"), admitted=None, as_of="2024-04-20T12:00")

    assert not result.payable
    assert Reason.NO_ADMISSION_NOTICE in result.reasons
    assert Flag.NO_ADMISSION_NOTICE in result.flags
    assert result.total_amount == 0


def test_cancelled_admission_notice_counts_as_missing_and_a_late_resend_as_late() -> None:
    result = run(
        cancel("adm-c", "2024-04-02T16:00", cancels="adm-1"),
        admission("adm-2", "2024-04-04T09:00"),
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
    )

    assert Reason.LATE_ADMISSION_NOTICE in result.reasons
    assert result.admission_notice_at == oslo("2024-04-04T09:00")


def test_a_change_to_the_admission_notice_keeps_the_first_send_time() -> None:
    result = run(
        admission("adm-2", "2024-04-05T09:00", replaces="adm-1"),
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
    )

    assert result.payable and result.admission_notice_at == oslo("2024-04-02T15:00")


@pytest.mark.parametrize(("received", "skew"), [("10:00", False), ("10:00:01", True)])
def test_clock_skew_flag_beyond_one_hour(received: str, skew: bool) -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00", received=f"2024-04-08T{received}"),
        discharge("dis-1", "2024-04-10T12:00"),
    )

    assert (Flag.CLOCK_SKEW in result.flags) is skew
    assert result.total_days == 2  # the computation does not use the receive time


# --- the start of the clock -------------------------------------------------------------------


def test_notice_at_2340_on_a_saturday_makes_that_saturday_payable() -> None:
    result = run(notice("rdy-1", "2024-04-13T23:40"), discharge("dis-1", "2024-04-15T10:00"))

    assert days_of(result) == [("2024-04-13", "2024-04-15", "discharged", 2)]


def test_days_are_oslo_days_not_utc_days() -> None:
    # 00:10 on Sunday in Oslo is still Saturday in UTC.
    result = run(notice("rdy-1", "2024-04-14T00:10"), discharge("dis-1", "2024-04-15T10:00"))

    assert days_of(result) == [("2024-04-14", "2024-04-15", "discharged", 1)]


@pytest.mark.parametrize(
    ("sent", "stop", "start", "days"),
    [
        ("2024-03-30T22:00", "2024-04-01T08:00", "2024-03-30", 2),  # over the 23-hour day
        ("2024-03-31T03:30", "2024-04-01T08:00", "2024-03-31", 1),  # just after the jump
        ("2024-10-27T00:30", "2024-10-28T08:00", "2024-10-27", 1),  # 22:30 UTC the day before
        ("2024-10-27T02:30", "2024-10-29T08:00", "2024-10-27", 2),  # inside the 25-hour day
    ],
)
def test_dst_change_days_count_as_one_day(sent: str, stop: str, start: str, days: int) -> None:
    result = run(
        notice("rdy-1", sent),
        discharge("dis-1", stop),
        admitted=admission("adm-1", "2024-03-30T09:00"),
        admitted_at="2024-03-30T08:00",
    )

    assert result.periods[0].start == date.fromisoformat(start)
    assert result.total_days == days


def test_readiness_later_than_the_notice_starts_the_clock_on_the_ready_day() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00", ready="2024-04-10T14:00"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    assert days_of(result) == [("2024-04-10", "2024-04-12", "discharged", 2)]
    assert result.periods[0].ready_on == date(2024, 4, 10)


def test_readiness_before_the_notice_starts_on_the_notice_day() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00", ready="2024-04-05"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-12", "discharged", 4)]


def test_missing_doctor_is_flagged_but_not_refused() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00", decided_by=None),
        discharge("dis-1", "2024-04-10T12:00"),
    )

    assert Flag.READINESS_DECIDER_UNKNOWN in result.flags
    assert result.total_days == 2


# --- the stop of the clock --------------------------------------------------------------------


def test_answer_sent_on_x_ready_from_y_stops_on_y() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-09T10:00", True, on="2024-04-11"),
        discharge("dis-1", "2024-04-15T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-11", "place_ready", 3)]
    assert result.periods[0].answer is not None
    assert result.periods[0].answer.message_id == "ans-1"


def test_an_answer_cannot_be_backdated() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-10T10:00", True, on="2024-04-09"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-10", "place_ready", 2)]


def test_can_receive_without_a_date_means_from_the_answer_day() -> None:
    result = run(notice("rdy-1", "2024-04-08T09:00"), answer("ans-1", "2024-04-09T16:00", True))

    assert days_of(result) == [("2024-04-08", "2024-04-09", "place_ready", 1)]


def test_an_expected_date_does_not_stop_the_clock() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-08T10:00", False, on="2024-04-09"),
        as_of="2024-04-11T12:00",
    )

    assert days_of(result) == [("2024-04-08", "2024-04-12", "open", 4)]
    assert Flag.OPEN_PERIOD in result.flags


def test_discharge_with_death_ends_as_died() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-11T09:00", at="2024-04-11T03:00", died=True),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-11", "died", 3)]


def test_death_reported_by_code_13_time_not_gendate() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        death("dea-1", "2024-04-12T08:00", at="2024-04-11T23:30"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-11", "died", 3)]


def test_place_ready_and_discharge_on_one_day_report_place_ready() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
        answer("ans-1", "2024-04-10T08:00", True),
    )

    assert result.periods[0].end_reason is EndReason.PLACE_READY


def test_discharged_before_the_notice_gives_no_days() -> None:
    result = run(discharge("dis-1", "2024-04-07T12:00"), notice("rdy-1", "2024-04-08T09:00"))

    assert not result.payable
    assert result.reasons == (Reason.NO_PAYABLE_DAYS,)
    assert result.periods[0].days == 0


# --- withdrawal (avmelding) and new notices ---------------------------------------------------


def test_withdrawal_uses_its_own_time_when_given() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        withdrawal("wdr-1", "2024-04-11T08:00", at="2024-04-10T22:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-10", "withdrawn", 2)]


def test_withdrawal_then_renotice_opens_a_new_period_and_answers_do_not_carry_over() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-09T09:00", True, on="2024-04-20"),
        withdrawal("wdr-1", "2024-04-10T10:00"),
        notice("rdy-2", "2024-04-15T09:00"),
        discharge("dis-1", "2024-04-22T12:00"),
    )

    assert days_of(result) == [
        ("2024-04-08", "2024-04-10", "withdrawn", 2),
        ("2024-04-15", "2024-04-22", "discharged", 7),
    ]
    assert result.total_days == 9
    assert result.total_amount == Decimal(9 * 5745)


def test_withdrawal_without_a_running_period_is_ignored() -> None:
    result = run(
        withdrawal("wdr-0", "2024-04-05T10:00"),
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-10", "discharged", 2)]


def test_a_second_notice_while_running_does_not_restart_the_clock() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        notice("rdy-2", "2024-04-09T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-10", "discharged", 2)]
    assert Flag.REPEATED_NOTICE in result.flags
    assert "rdy-2" in result.periods[0].message_ids


def test_cancelled_withdrawal_lets_the_period_run_on() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        withdrawal("wdr-1", "2024-04-10T10:00"),
        cancel("wdr-c", "2024-04-10T11:00", cancels="wdr-1"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-12", "discharged", 4)]


# --- corrections: cancellation (C) and change (M) ---------------------------------------------


def test_cancelled_readiness_notice_is_not_payable() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        cancel("rdy-c", "2024-04-09T09:00", cancels="rdy-1"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    assert not result.payable
    assert result.reasons == (Reason.NO_READINESS_NOTICE,)
    assert result.periods == ()
    assert {"rdy-1", "rdy-c"} <= set(result.message_ids)


def test_cancelling_a_change_cancels_the_whole_notice() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        notice("rdy-2", "2024-04-08T12:00", ready="2024-04-09", replaces="rdy-1"),
        cancel("rdy-c", "2024-04-09T09:00", cancels="rdy-2"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    assert result.periods == ()


def test_change_of_ready_date_replaces_content_but_keeps_the_notice_time() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00", ready="2024-04-08"),
        notice("rdy-2", "2024-04-09T09:00", ready="2024-04-10", replaces="rdy-1"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    period = result.periods[0]
    assert days_of(result) == [("2024-04-10", "2024-04-12", "discharged", 2)]
    assert period.key == "rdy-1"
    assert period.notice_at == oslo("2024-04-08T09:00")
    assert {"rdy-1", "rdy-2"} <= set(period.message_ids)


def test_a_chain_of_changes_keeps_the_latest() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00", ready="2024-04-08"),
        notice("rdy-2", "2024-04-08T10:00", ready="2024-04-11", replaces="rdy-1"),
        notice("rdy-3", "2024-04-08T11:00", ready="2024-04-09", replaces="rdy-2"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    assert days_of(result) == [("2024-04-09", "2024-04-12", "discharged", 3)]


def test_cancelled_answer_no_longer_stops_the_clock() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-09T09:00", True),
        cancel("ans-c", "2024-04-09T10:00", cancels="ans-1"),
        discharge("dis-1", "2024-04-12T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-12", "discharged", 4)]


def test_changed_answer_from_cannot_to_can() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-08T10:00", False),
        answer("ans-2", "2024-04-10T10:00", True, replaces="ans-1"),
    )

    # The change is the municipality's "ready" on the day it was sent, never earlier.
    assert days_of(result) == [("2024-04-08", "2024-04-10", "place_ready", 2)]


def test_a_redelivered_message_changes_nothing() -> None:
    events = [notice("rdy-1", "2024-04-08T09:00"), discharge("dis-1", "2024-04-10T12:00")]

    assert run(*events) == run(*events, *events)


# --- housing assignments ----------------------------------------------------------------------


def test_housing_assignment_stops_the_clock_on_the_move_in_day() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        housing("hou-1", "asg-1", decided="2024-04-09T13:00", move_in="2024-04-11"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-11", "place_ready", 3)]
    assert result.periods[0].answer is not None and result.periods[0].answer.via_housing


def test_housing_assigned_before_the_notice_leaves_nothing_to_pay() -> None:
    result = run(
        housing("hou-1", "asg-1", decided="2024-04-04T13:00", move_in="2024-04-06"),
        notice("rdy-1", "2024-04-08T09:00"),
    )

    assert not result.payable
    assert result.reasons == (Reason.MUNICIPALITY_COULD_RECEIVE,)


def test_assignment_cancelled_before_move_in_never_stops_the_clock() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        housing("hou-1", "asg-1", decided="2024-04-09T13:00", move_in="2024-04-11"),
        housing_cancelled("hou-2", "asg-1", cancelled="2024-04-10T09:00"),
        discharge("dis-1", "2024-04-15T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-15", "discharged", 7)]


def test_assignment_cancelled_after_move_in_day_still_stopped_the_clock() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        housing("hou-1", "asg-1", decided="2024-04-09T13:00", move_in="2024-04-11"),
        housing_cancelled("hou-2", "asg-1", cancelled="2024-04-12T09:00"),
        discharge("dis-1", "2024-04-15T12:00"),
    )

    assert days_of(result) == [("2024-04-08", "2024-04-11", "place_ready", 3)]


# --- as_of: days so far -----------------------------------------------------------------------


def test_running_period_needs_as_of() -> None:
    with pytest.raises(ValueError, match="as_of"):
        run(notice("rdy-1", "2024-04-08T09:00"))


def test_as_of_counts_the_current_day_and_never_the_future() -> None:
    early = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-08T10:00", True, on="2024-04-20"),
        as_of="2024-04-10T08:00",
    )
    before = run(notice("rdy-1", "2024-04-08T09:00"), as_of="2024-04-07T12:00")

    assert days_of(early) == [("2024-04-08", "2024-04-11", "open", 3)]
    assert days_of(before) == [("2024-04-08", "2024-04-08", "open", 0)]
    assert Reason.NO_PAYABLE_DAYS not in before.reasons


# --- psykisk helsevern and TSB ----------------------------------------------------------------


@pytest.mark.parametrize("sector", ["psychiatric", "tsb"])
def test_psych_tsb_without_a_cooperation_meeting_is_not_payable(sector: str) -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"), discharge("dis-1", "2024-04-12T12:00"), sector=sector
    )

    assert not result.payable
    assert result.reasons == (Reason.NO_COOPERATION_MEETING,)


@pytest.mark.parametrize("sector", ["psychiatric", "tsb"])
def test_meeting_called_after_the_notice_starts_the_clock_on_the_call_day(sector: str) -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        meeting("mtg-1", "2024-04-10T14:00", planned_for="2024-04-16"),
        discharge("dis-1", "2024-04-12T12:00"),
        sector=sector,
    )

    assert days_of(result) == [("2024-04-10", "2024-04-12", "discharged", 2)]
    assert "mtg-1" in result.periods[0].message_ids


def test_meeting_called_only_after_the_period_ended_is_too_late() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-12T12:00"),
        meeting("mtg-1", "2024-04-12T14:00", called="2024-04-12T13:00"),
        sector="psychiatric",
    )

    assert not result.payable
    assert Reason.NO_COOPERATION_MEETING in result.reasons


def test_psychiatric_period_across_2019_pays_only_from_2019() -> None:
    result = run(
        meeting("mtg-1", "2018-12-20T10:00"),
        notice("rdy-1", "2018-12-28T09:00"),
        answer("ans-1", "2019-01-03T09:00", True, on="2019-01-04"),
        admitted=admission("adm-1", "2018-12-10T12:00"),
        admitted_at="2018-12-10T10:00",
        sector="psychiatric",
    )

    assert days_of(result) == [("2019-01-01", "2019-01-04", "place_ready", 3)]
    assert result.total_amount == Decimal(3 * 4885)
    assert Reason.PSYCH_TSB_BEFORE_2019 in result.reasons
    assert result.payable
    assert [p.payer for p in result.periods[0].pieces] == ["5001"]


def test_psychiatric_period_wholly_in_2018_is_not_payable() -> None:
    result = run(
        meeting("mtg-1", "2018-12-20T10:00"),
        notice("rdy-1", "2018-12-21T09:00"),
        discharge("dis-1", "2018-12-28T12:00"),
        admitted=admission("adm-1", "2018-12-10T12:00"),
        admitted_at="2018-12-10T10:00",
        sector="tsb",
    )

    assert not result.payable
    assert Reason.PSYCH_TSB_BEFORE_2019 in result.reasons


def test_psychiatric_2018_period_ended_by_place_ready_blames_only_the_year() -> None:
    result = run(
        meeting("mtg-1", "2018-12-20T10:00"),
        notice("rdy-1", "2018-12-21T09:00"),
        answer("ans-1", "2018-12-27T09:00", True),
        admitted=admission("adm-1", "2018-12-10T12:00"),
        admitted_at="2018-12-10T10:00",
        sector="psychiatric",
    )

    assert result.reasons == (Reason.PSYCH_TSB_BEFORE_2019,)
    assert result.periods[0].days == 0


def test_somatic_2018_is_payable_and_paid_by_the_registration_municipality() -> None:
    result = run(
        notice("rdy-1", "2018-12-28T09:00"),
        discharge("dis-1", "2019-01-03T12:00"),
        admitted=admission("adm-1", "2018-12-10T12:00"),
        admitted_at="2018-12-10T10:00",
        registered_municipality="3428",
        residence_municipality="5001",
    )

    pieces = [(p.year, p.days, p.rate, p.payer) for p in result.periods[0].pieces]
    assert pieces == [(2018, 4, Decimal(4747), "3428"), (2019, 2, Decimal(4885), "5001")]
    assert result.total_amount == Decimal(4 * 4747 + 2 * 4885)


def test_unknown_payer_is_flagged_not_guessed() -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        discharge("dis-1", "2024-04-10T12:00"),
        residence_municipality=None,
    )

    assert Flag.UNKNOWN_PAYER in result.flags
    assert result.periods[0].pieces[0].payer is None


# --- rates and years --------------------------------------------------------------------------


def test_year_change_into_a_year_without_a_rate() -> None:
    result = run(
        notice("rdy-1", "2012-12-28T09:00"),
        discharge("dis-1", "2013-01-03T12:00"),
        admitted=admission("adm-1", "2012-12-20T12:00"),
        admitted_at="2012-12-20T10:00",
    )

    pieces = [(p.year, p.days, p.rate, p.amount) for p in result.periods[0].pieces]
    assert pieces == [(2012, 4, Decimal(4000), Decimal(16000)), (2013, 2, None, Decimal(0))]
    assert result.payable
    assert result.total_days == 6
    assert result.unpriced_days == 2
    assert result.total_amount == Decimal(16000)
    assert Reason.UNPRICED_YEAR in result.reasons
    assert Flag.UNPRICED_DAYS in result.flags


def test_year_change_with_a_rate() -> None:
    result = run(
        notice("rdy-1", "2022-12-30T09:00"),
        discharge("dis-1", "2023-01-02T12:00"),
        admitted=admission("adm-1", "2022-12-20T12:00"),
        admitted_at="2022-12-20T10:00",
    )

    assert result.total_amount == Decimal(2 * 5306 + 1 * 5508)
    assert Flag.UNPRICED_DAYS not in result.flags


def test_days_before_the_regulation_are_not_payable() -> None:
    result = run(
        notice("rdy-1", "2011-12-29T09:00"),
        discharge("dis-1", "2012-01-03T12:00"),
        admitted=admission("adm-1", "2011-12-20T12:00"),
        admitted_at="2011-12-20T10:00",
    )

    assert days_of(result) == [("2012-01-01", "2012-01-03", "discharged", 2)]
    assert Reason.BEFORE_REGULATION in result.reasons
    assert result.total_amount == Decimal(8000)


def test_steps_explain_the_computation() -> None:
    result = run(notice("rdy-1", "2024-04-08T09:00"), discharge("dis-1", "2024-04-10T12:00"))

    text = "\n".join((*result.steps, *result.periods[0].steps))
    assert "§ 8" in text and "§ 10" in text and "2024: 2 days x 5745 = 11490" in text
