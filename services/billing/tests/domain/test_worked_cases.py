"""Every worked case of PAYMENT-RULES.md, with exact days and amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from billing_scenarios import day, packaged_rates, stay_facts

from billing.domain import NATIONAL, assess
from hub_shared.testing.worked_cases import CASES


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"case-{c['number']}")
def test_worked_case(case: dict) -> None:
    expected = case["expected"]

    result = assess(stay_facts(case["stay"], case["events"]), packaged_rates(), NATIONAL)

    assert result.payable is expected["payable"]
    assert result.total_days == expected["days"]
    assert result.total_amount == Decimal(expected["amount"])
    assert sorted(result.reasons) == sorted(expected["reasons"])
    periods = [
        {
            "start": str(p.start),
            "end": str(p.end),
            "end_reason": str(p.end_reason),
            "days": p.days,
            "amount": str(p.amount),
        }
        for p in result.periods
    ]
    assert periods == [{**p, "amount": str(Decimal(p["amount"]))} for p in expected["periods"]], (
        "\n".join(step for p in result.periods for step in p.steps)
    )


def test_worked_cases_cover_the_table() -> None:
    assert [c["number"] for c in CASES] == [1, 2, 3, 4, 6, 9, 12, 14, 17, 18, 20, 22]


def test_case_20_prices_each_day_at_its_own_year() -> None:
    case = next(c for c in CASES if c["number"] == 20)
    result = assess(stay_facts(case["stay"], case["events"]), packaged_rates())

    pieces = [(p.year, p.days, p.rate, p.amount) for p in result.periods[0].pieces]
    assert pieces == [(y, d, Decimal(r), Decimal(a)) for y, d, r, a in case["expected"]["pieces"]]
    assert result.periods[0].pieces[0].start == day("2023-12-29")
