"""The rate and agreement files: the packaged table, operator edits, refusal of bad data."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from billing_scenarios import PACKAGED_RATES
from hypothesis import given
from hypothesis import strategies as st

from billing.adapters.ratefiles import (
    AGREEMENTS_ENV,
    RATES_ENV,
    RateFileError,
    load_agreements,
    load_rates,
)
from billing.domain import NATIONAL

SPEC_RATES = {
    2012: 4000,
    2014: 4255,
    2015: 4387,
    2016: 4505,
    2017: 4622,
    2018: 4747,
    2019: 4885,
    2020: 5036,
    2021: 5167,
    2022: 5306,
    2023: 5508,
    2024: 5745,
}


def test_packaged_table_is_the_table_of_the_rules() -> None:
    table = load_rates()

    for year, rate in SPEC_RATES.items():
        for day in (date(year, 1, 1), date(year, 7, 1), date(year, 12, 31)):
            found = table.rate_on(day)
            assert found is not None and found.nok_per_day == Decimal(rate)
    assert table.rate_on(date(2013, 6, 1)) is None
    assert table.rate_on(date(2025, 1, 1)) is None
    assert table.rate_on(date(2011, 12, 31)) is None


@given(st.dates(date(2010, 1, 1), date(2027, 12, 31)), st.integers(0, 1200))
def test_segments_split_days_exactly_where_the_year_or_the_rate_changes(
    start: date, length: int
) -> None:
    """What pricing rests on: the segments tile the days, one year and one rate each (a gap in
    the table, 2013 and 2025, is a segment without a rate), and no cut is needless."""
    table = load_rates()
    end = start + timedelta(days=length)

    segments = table.segments(start, end)

    assert [s.start for s in segments[1:]] == [s.end for s in segments[:-1]]
    assert sum(s.days for s in segments) == length
    if segments:
        assert (segments[0].start, segments[-1].end) == (start, end)
    for segment in segments:
        last = segment.end - timedelta(days=1)
        assert segment.days > 0 and segment.start.year == last.year
        for day in (segment.start, last):
            assert segment.rate == next((r for r in table.rates if r.covers(day)), None)
            assert table.rate_on(day) == segment.rate
    for before, after in pairwise(segments):
        assert before.rate != after.rate or before.start.year != after.start.year


def test_operator_adds_2025_by_editing_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = tmp_path / "rates.toml"
    edited.write_text(
        PACKAGED_RATES.read_text(encoding="utf-8")
        + '\n[[rate]]\nvalid_from = 2025-01-01\nvalid_to = 2025-12-31\nnok_per_day = "6000.50"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(RATES_ENV, str(edited))

    rate = load_rates().rate_on(date(2025, 3, 1))

    assert rate is not None and rate.nok_per_day == Decimal("6000.50")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "[[rate]]\nvalid_from = 2025-01-01\nvalid_to = 2025-12-31\nnok_per_day = 6000.5\n",
            "integer",
        ),
        ("[[rate]]\nvalid_from = 2025-01-01\nvalid_to = 2025-12-31\nnok_per_day = 'x'\n", "number"),
        ("[[rate]]\nvalid_from = 2025-01-01\nvalid_to = 2024-12-31\nnok_per_day = 1\n", "before"),
        ("[[rate]]\nvalid_from = '2025'\nvalid_to = 2025-12-31\nnok_per_day = 1\n", "TOML date"),
        (
            "[[rate]]\nvalid_from = 2025-01-01\nvalid_to = 2025-12-31\nnok_per_day = 1\n"
            "[[rate]]\nvalid_from = 2025-06-01\nvalid_to = 2026-12-31\nnok_per_day = 2\n",
            "overlap",
        ),
        ("currency = 'EUR'\n", "NOK"),
        ("[[rate]\n", "rates.toml"),
    ],
)
def test_bad_rate_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "rates.toml"
    path.write_text(body, encoding="utf-8")

    with pytest.raises(RateFileError, match=message):
        load_rates(path)


def test_packaged_agreements_have_the_upheld_profile_and_no_binding() -> None:
    book = load_agreements()

    hmr = book.profiles["helse-more-og-romsdal"]
    assert hmr.start_delay == timedelta(hours=24)
    assert hmr.requires_discharge_documentation
    assert book.profiles["noon-cutoff-working-days"].notice_cutoff == time(12)
    assert book.agreements == ()
    assert book.profile_for("800200", "5501", date(2024, 1, 1)) is NATIONAL


def test_agreements_file_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "agreements.toml"
    path.write_text(
        "[profile.local]\nnotice_cutoff = 12:00:00\nnon_working_day_notices_roll = true\n"
        "[[agreement]]\nhospital_trust = '800200'\nmunicipality = '5501'\nprofile = 'local'\n"
        "valid_from = 2020-01-01\nvalid_to = 2024-12-31\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(AGREEMENTS_ENV, str(path))

    book = load_agreements()

    profile = book.profile_for("800200", "5501", date(2024, 12, 31))
    assert profile.id == "local" and profile.notice_cutoff == time(12)
    assert profile.non_working_day_notices_roll
    assert book.profile_for("800200", "5501", date(2025, 1, 1)) is NATIONAL


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[profile.x]\nstart_delay = 24\n", "unknown keys"),
        ("[profile.x]\nnotice_cutoff = '12:00'\n", "local time"),
        ("[profile.x]\nstart_delay_hours = -1\n", "non-negative"),
        ("[profile.national]\n", "built in"),
        ("[[agreement]]\nhospital_trust = '1'\nmunicipality = '2'\nprofile = 'x'\n", "missing"),
        (
            "[[agreement]]\nhospital_trust = '1'\nmunicipality = '2'\nprofile = 'x'\n"
            "valid_from = 2020-01-01\n",
            "unknown profile",
        ),
    ],
)
def test_bad_agreement_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "agreements.toml"
    path.write_text(body, encoding="utf-8")

    with pytest.raises(RateFileError, match=message):
        load_agreements(path)
