"""Invoice lines per month, corrections by credit and new line, and disputes of a line."""

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
    discharge,
    notice,
    oslo,
    packaged_rates,
    stay_facts,
)

from billing.domain import (
    DisputeReason,
    DisputeStatus,
    EndReason,
    InvoiceLine,
    LineKind,
    StayAssessment,
    accept,
    assess,
    contest,
    month_lines,
    reconcile,
    reject,
    totals,
)
from hub_shared.testing.worked_cases import CASES

TRUST, MUNICIPALITY = "59", "5001"


def assessed(*events: dict[str, Any], **stay: Any) -> StayAssessment:
    facts = stay_facts(
        {**SOMATIC_STAY_FOR_TESTS, "admitted": "2024-03-20T10:00", **stay},
        [admission("adm-1", "2024-03-20T11:00"), *events],
    )
    return assess(facts, packaged_rates(), as_of=oslo("2024-08-01T00:00"))


def lines_of(result: StayAssessment, **kwargs: Any) -> list[InvoiceLine]:
    return month_lines(result, hospital_trust=TRUST, municipality=MUNICIPALITY, **kwargs)


ACROSS_MONTHS = (
    notice("rdy-1", "2024-04-25T09:00"),
    answer("ans-1", "2024-04-25T10:00", False, on="2024-05-02"),
    answer("ans-2", "2024-05-03T08:00", True),
)


def test_a_period_across_months_gives_one_line_per_month() -> None:
    result = assessed(*ACROSS_MONTHS)

    lines = lines_of(result)

    assert [(str(x.month), x.first_day.day, x.end_day.day, x.days, x.amount) for x in lines] == [
        ("2024-04-01", 25, 1, 6, Decimal(6 * 5745)),
        ("2024-05-01", 1, 3, 2, Decimal(2 * 5745)),
    ]
    assert totals(lines) == (result.total_days, result.total_amount)
    first = lines[0]
    assert first.line_id == "stay-test/rdy-1/2024-04"
    assert first.stay_ref == "stay-test" and first.hospital_unit == "90998"
    assert first.admitted_at == oslo("2024-03-20T10:00")
    assert first.admission_notice_at == oslo("2024-03-20T11:00")
    assert first.readiness_notice_at == oslo("2024-04-25T09:00")
    assert first.answer is not None and first.answer.message_id == "ans-2"
    assert first.end_reason is EndReason.PLACE_READY and first.end_date == date(2024, 5, 3)
    assert {"adm-1", "rdy-1", "ans-1", "ans-2"} <= set(first.message_ids)


def test_month_filter_and_pair_filter() -> None:
    result = assessed(*ACROSS_MONTHS)

    assert [x.days for x in lines_of(result, month=date(2024, 5, 20))] == [2]
    assert month_lines(result, hospital_trust="other", municipality=MUNICIPALITY) == []
    assert month_lines(result, hospital_trust=TRUST, municipality="3428") == []


def test_year_change_gives_lines_at_each_years_rate() -> None:
    case = next(c for c in CASES if c["number"] == 20)
    result = assess(stay_facts(case["stay"], case["events"]), packaged_rates())

    lines = lines_of(result)

    assert [(x.month, x.days, x.rate, x.amount) for x in lines] == [
        (date(2023, 12, 1), 3, Decimal(5508), Decimal(16524)),
        (date(2024, 1, 1), 2, Decimal(5745), Decimal(11490)),
    ]


def test_not_payable_stay_gives_no_lines() -> None:
    case = next(c for c in CASES if c["number"] == 9)
    result = assess(stay_facts(case["stay"], case["events"]), packaged_rates())

    assert lines_of(result) == []


def test_unpriced_days_give_lines_without_a_rate_that_are_held_back() -> None:
    result = assess(
        stay_facts(
            {**SOMATIC_STAY_FOR_TESTS, "admitted": "2012-12-20T10:00"},
            [
                admission("adm-1", "2012-12-20T11:00"),
                notice("rdy-1", "2012-12-28T09:00"),
                discharge("dis-1", "2013-01-03T12:00"),
            ],
        ),
        packaged_rates(),
    )

    lines = lines_of(result)
    issued = reconcile([], lines)

    assert [(x.month.year, x.days, x.rate) for x in lines] == [
        (2012, 4, Decimal(4000)),
        (2013, 2, None),
    ]
    assert [x.days for c in issued for x in c.lines] == [4]


# --- reconcile: never a silent edit ------------------------------------------------------------


def issue(lines: list[InvoiceLine]) -> list[InvoiceLine]:
    return [line for correction in reconcile([], lines) for line in correction.lines]


def test_first_invoicing_issues_the_lines_and_an_unchanged_recomputation_nothing() -> None:
    lines = lines_of(assessed(*ACROSS_MONTHS))

    issued = issue(lines)

    assert issued == lines
    assert reconcile(issued, lines_of(assessed(*ACROSS_MONTHS))) == []


def test_a_changed_month_is_credited_and_reissued() -> None:
    issued = issue(lines_of(assessed(*ACROSS_MONTHS)))
    # The municipality's "ready" answer is cancelled: the period now runs to discharge on 05-06.
    recomputed = lines_of(
        assessed(
            *ACROSS_MONTHS,
            cancel("ans-c", "2024-05-03T09:00", cancels="ans-2"),
            discharge("dis-1", "2024-05-06T12:00"),
        )
    )

    corrections = reconcile(issued, recomputed)

    assert len(corrections) == 1  # April is unchanged
    (may,) = corrections
    assert [(x.kind, x.days, x.amount, x.credits_line_id) for x in may.credits] == [
        (LineKind.CREDIT, -2, Decimal(-2 * 5745), "stay-test/rdy-1/2024-05")
    ]
    assert [(x.kind, x.days, x.line_id) for x in may.charges] == [
        (LineKind.CHARGE, 5, "stay-test/rdy-1/2024-05~r2")
    ]
    after = [*issued, *may.lines]
    assert totals(after) == totals(recomputed)
    assert reconcile(after, recomputed) == []


def test_a_vanished_period_is_credited() -> None:
    issued = issue(lines_of(assessed(*ACROSS_MONTHS)))
    recomputed = lines_of(
        assessed(*ACROSS_MONTHS, cancel("rdy-c", "2024-05-10T09:00", cancels="rdy-1"))
    )

    corrections = reconcile(issued, recomputed)

    assert recomputed == []
    assert [x.kind for c in corrections for x in c.lines] == [LineKind.CREDIT, LineKind.CREDIT]
    assert totals([*issued, *(x for c in corrections for x in c.lines)]) == (0, Decimal(0))


# --- disputes ---------------------------------------------------------------------------------


def test_contest_then_accept_gives_a_credit_and_settles_the_line() -> None:
    issued = issue(lines_of(assessed(*ACROSS_MONTHS)))
    april = contest(issued[0], DisputeReason.COULD_RECEIVE, "we answered on 04-25")

    accepted, credit = accept(april, "agreed")

    assert accepted.dispute.status is DisputeStatus.ACCEPTED
    assert accepted.dispute.reason is DisputeReason.COULD_RECEIVE
    assert credit.kind is LineKind.CREDIT and credit.amount == -issued[0].amount
    ledger = [accepted, issued[1], credit]
    # A recomputation does not re-charge a month the trust has conceded.
    assert reconcile(ledger, lines_of(assessed(*ACROSS_MONTHS))) == []


def test_reject_needs_a_reason_and_disputes_follow_their_order() -> None:
    line = issue(lines_of(assessed(*ACROSS_MONTHS)))[0]

    with pytest.raises(ValueError, match="expected contested"):
        reject(line, "no")
    contested = contest(line, DisputeReason.NO_EPIKRISE)
    with pytest.raises(ValueError, match="reason"):
        reject(contested, " ")
    with pytest.raises(ValueError, match="note"):
        contest(line, DisputeReason.OTHER)
    rejected = reject(contested, "epikrise sent 04-25 with the notice")
    assert rejected.dispute.status is DisputeStatus.REJECTED
    assert rejected.dispute.resolution == "epikrise sent 04-25 with the notice"
    with pytest.raises(ValueError):
        contest(rejected, DisputeReason.NO_EPIKRISE)
