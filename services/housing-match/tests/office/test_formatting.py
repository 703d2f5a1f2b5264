"""Norwegian dates and money, the public holidays and the move-in day's concerns (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.domain import days as billing_days
from housing_match.office import formatting as fmt
from housing_match.office.i18n import EN, NB, translator
from hub_shared.holidays import easter_sunday, holiday_name, public_holidays

NBSP = "\u00a0"


def test_money_is_written_the_norwegian_way_with_non_breaking_spaces() -> None:
    assert fmt.money(Decimal("5745")) == f"kr{NBSP}5{NBSP}745"
    assert fmt.money(Decimal("5745.00")) == f"kr{NBSP}5{NBSP}745"
    assert fmt.money(Decimal("1234567")) == f"kr{NBSP}1{NBSP}234{NBSP}567"
    assert fmt.money(Decimal("5745.5")) == f"kr{NBSP}5{NBSP}745,50"
    assert fmt.money(Decimal("-17235")) == f"kr{NBSP}\u221217{NBSP}235"
    assert fmt.money(Decimal("999")) == f"kr{NBSP}999"
    assert fmt.money(None) == "–"
    assert fmt.money(Decimal("5745"), "en") == f"NOK{NBSP}5,745"


@pytest.mark.parametrize("amount", ["0", "5745", "1234567", "5745.50", "-17235", "28014"])
def test_money_reads_back(amount: str) -> None:
    for lang in ("nb", "en"):
        assert fmt.parse_money(fmt.money(Decimal(amount), lang)) == Decimal(amount)


def test_dates_and_times() -> None:
    assert fmt.day(date(2026, 11, 24)) == "24.11.2026"
    assert fmt.day(date(2024, 4, 8), "en") == "8 Apr 2024"
    assert fmt.long_day(date(2024, 4, 12)) == "fredag 12.04.2024"
    assert fmt.long_day(date(2024, 4, 12), "en") == "Friday 12 Apr 2024"
    # Stored instants are UTC (SQLite gives them back naive); pages show Oslo time.
    assert fmt.moment(datetime(2024, 4, 8, 7, 0)) == f"08.04.2024 kl.{NBSP}09:00"
    assert fmt.moment(datetime(2024, 11, 20, 9, 15, tzinfo=UTC)) == f"20.11.2024 kl.{NBSP}10:15"
    assert fmt.moment(datetime(2024, 11, 20, 9, 15, tzinfo=UTC), "en") == "20 Nov 2024, 10:15"
    assert fmt.month_label("2024-04") == "april 2024"
    assert fmt.month_label("2024-04", "en") == "April 2024"
    assert fmt.number(1234) == f"1{NBSP}234"


def test_initials_and_references() -> None:
    assert fmt.initials("Roland", "Gundersen") == "R. G."
    assert fmt.initials("Kari Anne", "Nordmann-Berg") == "K. A. N. B."
    assert fmt.initials(None, None) is None
    assert fmt.short_ref("c3211ad3-fec1-8885-b73f-3f81f46d79c8") == "c3211ad3"


def test_public_holidays_include_the_easter_based_days() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert sorted(public_holidays(2024)) == [
        date(2024, 1, 1),
        date(2024, 3, 28),  # skjærtorsdag
        date(2024, 3, 29),  # langfredag
        date(2024, 3, 31),
        date(2024, 4, 1),  # 2. påskedag
        date(2024, 5, 1),
        date(2024, 5, 9),  # Kristi himmelfartsdag
        date(2024, 5, 17),
        date(2024, 5, 19),
        date(2024, 5, 20),  # 2. pinsedag
        date(2024, 12, 25),
        date(2024, 12, 26),
    ]
    assert holiday_name(date(2024, 5, 17)) == "grunnlovsdag"
    assert holiday_name(date(2024, 5, 17), "en") == "Constitution Day"
    assert holiday_name(date(2024, 12, 24)) is None  # julaften is a working day
    # One definition: billing's working-day rules use the same days.
    assert billing_days.public_holidays is public_holidays


@pytest.mark.parametrize(
    ("day", "concerns"),
    [
        ("2024-04-11", []),  # Thursday
        ("2024-04-12", ["friday"]),
        ("2024-04-13", ["weekend"]),
        ("2024-04-14", ["weekend"]),
        ("2024-05-09", ["holiday"]),  # Ascension Day, a Thursday
        ("2024-05-17", ["holiday", "friday"]),  # Constitution Day on a Friday
        ("2024-03-29", ["holiday", "friday"]),  # Good Friday
        ("2024-12-24", []),  # Christmas Eve (Tuesday) is not a public holiday
        ("2026-04-06", ["holiday"]),  # Easter Monday 2026
    ],
)
def test_move_in_concerns(day: str, concerns: list[str]) -> None:
    assert fmt.move_in_concerns(date.fromisoformat(day)) == concerns


def test_every_text_exists_in_both_languages() -> None:
    assert set(NB) == set(EN)
    for lang in ("nb", "en"):
        t = translator(lang)
        assert t("concern_holiday", day="17.05.2024", name="x", weekday="fredag")
    with pytest.raises(KeyError):
        translator("nb")("no-such-key")
