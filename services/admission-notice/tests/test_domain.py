"""The pure rules of admission-notice: what a notice (N/M/C) does to its stay."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from admission_notice.domain import (
    AdmissionNotice,
    Change,
    DispatchStatus,
    StayKey,
    StayStatus,
    apply_notice,
)

T0 = datetime(2024, 4, 2, 8, 0, tzinfo=UTC)
KEY = StayKey("15076500565", "59", T0)


def notice(
    status: DispatchStatus = DispatchStatus.NEW, msg_id: str = "m1", **changes
) -> AdmissionNotice:
    base = AdmissionNotice(
        msg_id=msg_id,
        ref_to_parent=None,
        ref_to_conversation=None,
        status=status,
        key=KEY,
        unit_her="90998",
        municipality_her="99387",
        sector="somatic",
        admitted_estimated=False,
        without_fixed_home=False,
        gen_date=T0,
        received_at=T0,
    )
    return replace(base, **changes)


def test_a_new_notice_opens_an_active_stay_under_the_derived_id() -> None:
    outcome = apply_notice(notice(), None, "stay-1")
    assert outcome.change is Change.NOTIFIED
    assert (outcome.stay.stay_id, outcome.stay.status) == ("stay-1", StayStatus.ACTIVE)
    assert outcome.stay.conversation_id == "m1"


def test_the_same_admission_announced_again_changes_nothing() -> None:
    stay = apply_notice(notice(), None, "stay-1").stay
    again = apply_notice(notice(msg_id="m2"), stay, "stay-1")
    assert again.change is Change.NONE and again.stay == stay


def test_a_change_keeps_the_stay_id_even_when_the_admission_time_moves() -> None:
    stay = apply_notice(notice(), None, "stay-1").stay
    moved = StayKey(KEY.patient_id, KEY.hospital_her, T0.replace(hour=7))
    change = notice(
        DispatchStatus.CHANGED, "m2", ref_to_parent="m1", key=moved, without_fixed_home=True
    )
    outcome = apply_notice(change, stay, "another-derived-id")
    assert outcome.change is Change.CHANGED
    assert outcome.stay.stay_id == "stay-1"
    assert outcome.stay.key == moved and outcome.stay.without_fixed_home
    assert outcome.replaces_msg_id == "m1"


def test_a_cancellation_voids_the_stay_and_names_what_it_cancels() -> None:
    stay = apply_notice(notice(), None, "stay-1").stay
    outcome = apply_notice(notice(DispatchStatus.CANCELLED, "m3"), stay, "stay-1")
    assert outcome.change is Change.CANCELLED
    assert outcome.stay.status is StayStatus.CANCELLED
    assert outcome.replaces_msg_id == "m1"


def test_a_cancellation_that_overtakes_its_original_stands_when_the_original_arrives() -> None:
    later = T0.replace(hour=9)
    cancel = notice(DispatchStatus.CANCELLED, "m3", ref_to_parent="m1", gen_date=later)
    cancelled = apply_notice(cancel, None, "s")
    assert cancelled.stay.status is StayStatus.CANCELLED
    assert cancelled.replaces_msg_id == "m1"
    late = apply_notice(notice(msg_id="m1"), cancelled.stay, "s")
    assert late.change is Change.NONE and late.stay.status is StayStatus.CANCELLED


def test_a_new_announcement_written_after_a_cancellation_reopens_the_stay() -> None:
    cancelled = apply_notice(notice(DispatchStatus.CANCELLED, "m3"), None, "s").stay
    fresh = notice(msg_id="m4", gen_date=T0.replace(hour=12))
    outcome = apply_notice(fresh, cancelled, "s")
    assert outcome.change is Change.NOTIFIED and outcome.stay.status is StayStatus.ACTIVE


@pytest.mark.parametrize("status", [DispatchStatus.CHANGED, DispatchStatus.NEW])
def test_a_change_for_an_unknown_stay_creates_it(status: DispatchStatus) -> None:
    outcome = apply_notice(notice(status, "m9", ref_to_parent="m0"), None, "s")
    expected = Change.CHANGED if status is DispatchStatus.CHANGED else Change.NOTIFIED
    assert outcome.change is expected and outcome.stay.status is StayStatus.ACTIVE
