"""Agreement profiles: each local rule, working days and Norwegian public holidays."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from billing_scenarios import (
    SOMATIC_STAY_FOR_TESTS,
    admission,
    answer,
    death,
    discharge,
    notice,
    packaged_rates,
    stay_facts,
)

from billing.domain import (
    NATIONAL,
    Agreement,
    AgreementBook,
    AgreementProfile,
    Flag,
    Reason,
    StayAssessment,
    assess,
    choose_profile,
    easter_sunday,
    is_working_day,
    next_working_day,
    public_holidays,
)

DELAY_24H = AgreementProfile(id="delay", name="24 h", start_delay=timedelta(hours=24))
NOON = AgreementProfile(id="noon", name="after 12:00", notice_cutoff=time(12, 0))
NOON_AND_WEEKENDS = AgreementProfile(
    id="noon-wd",
    name="12:00 and weekends",
    notice_cutoff=time(12),
    non_working_day_notices_roll=True,
)
EPIKRISE = AgreementProfile(id="epi", name="epikrise", requires_discharge_documentation=True)


def run(*events: dict[str, Any], profile: AgreementProfile, **stay: Any) -> StayAssessment:
    facts = stay_facts(
        {**SOMATIC_STAY_FOR_TESTS, "admitted": "2024-03-01T10:00", **stay},
        [admission("adm-1", "2024-03-01T11:00"), *events],
    )
    return assess(facts, packaged_rates(), profile)


# --- "payment starts only 24 hours after the notice" -------------------------------------------


@pytest.mark.parametrize(
    ("stop", "days"),
    [
        ("2024-04-09T08:00", 0),  # received within 24 h: nothing
        ("2024-04-09T10:00", 0),  # received on the day the 24 h run out: nothing
        ("2024-04-11T10:00", 2),  # still there: from the day 24 h after the notice
    ],
)
def test_start_delay_of_24_hours(stop: str, days: int) -> None:
    events = (notice("rdy-1", "2024-04-08T09:00"), discharge("dis-1", stop))

    delayed = run(*events, profile=DELAY_24H)
    national = run(*events, profile=NATIONAL)

    assert delayed.total_days == days
    assert national.total_days == days + 1
    assert delayed.profile_id == "delay"


def test_start_delay_counts_real_hours_across_dst() -> None:
    # 2024-03-30 23:30 + 24 h is 2024-04-01 00:30 Oslo (the night has 23 hours).
    result = run(
        notice("rdy-1", "2024-03-30T23:30"),
        discharge("dis-1", "2024-04-03T10:00"),
        profile=DELAY_24H,
    )

    assert result.periods[0].start == date(2024, 4, 1)


def test_start_delay_does_not_move_a_later_ready_day() -> None:
    result = run(
        notice("rdy-1", "2024-04-05T09:00", ready="2024-04-10"),
        discharge("dis-1", "2024-04-12T10:00"),
        profile=DELAY_24H,
    )

    assert result.periods[0].start == date(2024, 4, 10)


# --- "notices after 12:00 count from the next working day" -----------------------------------


@pytest.mark.parametrize(
    ("sent", "start"),
    [
        ("2024-04-12T12:00:00", "2024-04-12"),  # Friday at 12:00 sharp: that day
        ("2024-04-12T12:00:01", "2024-04-15"),  # Friday after 12:00: Monday
        ("2024-04-13T10:00", "2024-04-13"),  # Saturday morning: this rule alone keeps it
        ("2024-03-27T13:00", "2024-04-02"),  # Wednesday before Easter: Tuesday after
        ("2024-05-16T15:00", "2024-05-21"),  # 17 May, weekend and Whit Monday in between
    ],
)
def test_noon_cutoff(sent: str, start: str) -> None:
    result = run(notice("rdy-1", sent), discharge("dis-1", "2024-06-01T10:00"), profile=NOON)

    assert result.periods[0].start == date.fromisoformat(start)


@pytest.mark.parametrize(
    ("sent", "start"),
    [
        ("2024-04-13T10:00", "2024-04-15"),  # Saturday morning: Monday
        ("2024-05-17T09:00", "2024-05-21"),  # Constitution Day (Friday): Tuesday after Whitsun
        ("2024-12-24T09:00", "2024-12-24"),  # Christmas Eve is a working day
        ("2024-04-15T11:59", "2024-04-15"),
    ],
)
def test_non_working_day_notices_roll(sent: str, start: str) -> None:
    result = run(
        notice("rdy-1", sent), discharge("dis-1", "2025-01-10T10:00"), profile=NOON_AND_WEEKENDS
    )

    assert result.periods[0].start == date.fromisoformat(start)


def test_national_rule_has_no_cutoff_and_no_working_day_rule() -> None:
    result = run(
        notice("rdy-1", "2024-05-17T23:40"),
        discharge("dis-1", "2024-05-21T10:00"),
        profile=NATIONAL,
    )

    assert result.periods[0].start == date(2024, 5, 17)
    assert result.total_days == 4


# --- "nothing payable for a patient discharged without an epikrise" ---------------------------


@pytest.mark.parametrize(
    ("documentation", "payable", "flags"),
    [
        (True, True, set()),
        (False, False, set()),
        (None, True, {Flag.DOCUMENTATION_UNKNOWN, Flag.CONTESTABLE}),
    ],
)
def test_discharge_documentation_rule(
    documentation: bool | None, payable: bool, flags: set[Flag]
) -> None:
    result = run(
        notice("rdy-1", "2024-04-08T09:00"),
        answer("ans-1", "2024-04-10T09:00", True),
        discharge("dis-1", "2024-04-11T10:00"),
        profile=EPIKRISE,
        documentation_at_discharge=documentation,
    )

    assert result.payable is payable
    assert (Reason.NO_DISCHARGE_DOCUMENTATION in result.reasons) is not payable
    assert flags <= set(result.flags)
    assert result.total_days == (2 if payable else 0)


def test_documentation_rule_does_not_apply_to_a_death_or_under_the_national_rule() -> None:
    events = (notice("rdy-1", "2024-04-08T09:00"), death("dea-1", "2024-04-10T09:00"))
    discharged = (notice("rdy-1", "2024-04-08T09:00"), discharge("dis-1", "2024-04-10T10:00"))

    died = run(*events, profile=EPIKRISE, documentation_at_discharge=False)
    national = run(*discharged, profile=NATIONAL, documentation_at_discharge=False)

    assert died.payable and died.total_days == 2
    assert national.payable and national.total_days == 2


def test_helse_more_og_romsdal_profile_expresses_both_upheld_rules() -> None:
    hmr = AgreementProfile(
        id="hmr",
        name="Helse Møre og Romsdal",
        start_delay=timedelta(hours=24),
        requires_discharge_documentation=True,
    )
    events = (notice("rdy-1", "2024-04-08T09:00"), discharge("dis-1", "2024-04-11T10:00"))

    with_epikrise = run(*events, profile=hmr, documentation_at_discharge=True)
    without = run(*events, profile=hmr, documentation_at_discharge=False)

    assert with_epikrise.total_days == 2  # 04-09 and 04-10
    assert without.total_days == 0


# --- choosing the profile ---------------------------------------------------------------------


def test_agreement_book_picks_the_profile_in_force() -> None:
    book = AgreementBook(
        profiles={"delay": DELAY_24H, "noon": NOON},
        agreements=(
            Agreement("800200", "5501", "delay", date(2016, 1, 1), date(2020, 12, 31)),
            Agreement("800200", "5501", "noon", date(2021, 1, 1)),
        ),
    )

    assert book.profile_for("800200", "5501", date(2016, 1, 1)) is DELAY_24H
    assert book.profile_for("800200", "5501", date(2020, 12, 31)) is DELAY_24H
    assert book.profile_for("800200", "5501", date(2030, 1, 1)) is NOON
    assert book.profile_for("800200", "5501", date(2015, 12, 31)) is NATIONAL
    assert book.profile_for("800200", "3428", date(2024, 1, 1)) is NATIONAL
    assert book.profile_for("800200", None, date(2024, 1, 1)) is NATIONAL


def test_agreement_book_refuses_overlaps_and_unknown_profiles() -> None:
    with pytest.raises(ValueError, match="overlap"):
        AgreementBook(
            profiles={"noon": NOON},
            agreements=(
                Agreement("1", "5501", "noon", date(2020, 1, 1)),
                Agreement("1", "5501", "noon", date(2021, 1, 1)),
            ),
        )
    with pytest.raises(ValueError, match="unknown profile"):
        AgreementBook(agreements=(Agreement("1", "5501", "nope", date(2020, 1, 1)),))


# --- working days -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [(2000, "2000-04-23"), (2019, "2019-04-21"), (2024, "2024-03-31"), (2025, "2025-04-20")],
)
def test_easter_sunday(year: int, easter: str) -> None:
    assert easter_sunday(year) == date.fromisoformat(easter)


def test_public_holidays_2024() -> None:
    expected = [
        "2024-01-01",
        "2024-03-28",  # skjærtorsdag
        "2024-03-29",  # langfredag
        "2024-03-31",  # 1. påskedag
        "2024-04-01",  # 2. påskedag
        "2024-05-01",
        "2024-05-09",  # Kristi himmelfartsdag
        "2024-05-17",
        "2024-05-19",  # 1. pinsedag
        "2024-05-20",  # 2. pinsedag
        "2024-12-25",
        "2024-12-26",
    ]
    assert sorted(public_holidays(2024)) == [date.fromisoformat(d) for d in expected]


def test_working_days() -> None:
    assert is_working_day(date(2024, 4, 15))
    assert not is_working_day(date(2024, 4, 13))
    assert not is_working_day(date(2024, 5, 1))
    assert next_working_day(date(2024, 12, 24)) == date(2024, 12, 27)


def test_choose_profile_uses_the_payer_and_day_of_the_first_notice() -> None:
    book = AgreementBook(
        profiles={"delay": DELAY_24H},
        agreements=(Agreement("59", "5001", "delay", date(2024, 4, 1)),),
    )

    def stay(sent: str) -> Any:
        return stay_facts(SOMATIC_STAY_FOR_TESTS, [notice("rdy-1", sent)])

    assert choose_profile(stay("2024-04-08T09:00"), book) is DELAY_24H
    assert choose_profile(stay("2024-03-31T23:59"), book) is NATIONAL
    assert choose_profile(stay_facts(SOMATIC_STAY_FOR_TESTS, []), book) is NATIONAL
