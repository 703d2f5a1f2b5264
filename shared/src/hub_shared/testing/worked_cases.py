"""The worked cases of PAYMENT-RULES.md as plain data, for unit and end-to-end tests alike.

Standard library only, no billing imports: an end-to-end test can turn the same scenarios into
ELIN messages. Times are Oslo wall-clock times without offset ("YYYY-MM-DDTHH:MM"), the form the
messages carry; dates are "YYYY-MM-DD"; amounts are NOK decimal strings.

A case: {"number", "title", "stay", "events", "expected"}.

stay: stay_id, sector (somatic | psychiatric | tsb), hospital_her (unit), hospital_trust,
  municipality_her, residence_municipality, registered_municipality, admitted,
  documentation_at_discharge (optional).

events, in arrival order; every event has "kind" and "id" (its MsgId or event id); hospital and
municipal messages have "sent" (GenDate), optionally "received" and "replaces" (a change, M):
  admission_notice                                           LOG_INNLAGT
  ready_notice: ready (date or time, code 3), decided_by     LOG_UTSKRIVNINGSKLAR
  withdrawal: at (code 4, optional)                          LOG_AVMELDING
  answer: can_receive, day (ready from / expected, optional) the municipality's answer
  discharge: at (code 2, optional), died, destination        LOG_UTSKREVET
  death: at (code 13, optional)
  meeting_called: called (optional), planned_for              samarbeidsmøte called
  cancel: cancels (a message id)                             Forsendelsesstatus C
  housing_assigned: assignment, decided, move_in             housing.v1
  housing_cancelled: assignment, cancelled                   housing.v1

expected: payable, days, amount, reasons (the exact set), periods (start, end, end_reason, days,
  amount), optionally pieces ((year, days, rate, amount), ...) over all periods.

The cases are written with the small builders below (`_case`, `_event`, `_ready`, `_can`,
`_payable`, ...), so that each case states only what sets it apart from the others; what they
build is still the plain data above.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

Case = dict[str, Any]
Event = dict[str, Any]
Expected = dict[str, Any]
Period = dict[str, Any]

_DECIDED_BY = "Lege Testesen"
"""Who decides every ready notice of the cases: the name plays no part in the rules."""

SOMATIC_STAY: dict[str, Any] = {
    "stay_id": "stay-0001",
    "sector": "somatic",
    "hospital_her": "90998",
    "hospital_trust": "59",
    "municipality_her": "99387",
    "residence_municipality": "5001",
    "registered_municipality": "5001",
    "admitted": "2024-04-02T10:00",
}


# --- builders -----------------------------------------------------------------------------------
def _day(sent: str) -> str:
    """The calendar day of a wall-clock time ("YYYY-MM-DDTHH:MM")."""
    return sent[:10]


def _event(kind: str, event_id: str, sent: str, **fields: Any) -> Event:
    """One event; the keys come in the order the cases have always listed them."""
    return {"kind": kind, "id": event_id, "sent": sent, **fields}


def _admission(event_id: str, sent: str) -> Event:
    return _event("admission_notice", event_id, sent)


def _ready(event_id: str, sent: str) -> Event:
    """A ready notice sent on the day the patient is ready, as in every worked case."""
    return _event("ready_notice", event_id, sent, ready=_day(sent), decided_by=_DECIDED_BY)


def _can(event_id: str, sent: str) -> Event:
    """'Can receive' from the day of the answer itself: the place is ready when it is said."""
    return _event("answer", event_id, sent, can_receive=True, day=_day(sent))


def _cannot(event_id: str, sent: str, expected: str | None = None) -> Event:
    """'Cannot receive yet', with the day the municipality expects to be ready if it says one."""
    event = _event("answer", event_id, sent, can_receive=False)
    if expected is not None:
        event["day"] = expected
    return event


def _stay(**changes: Any) -> dict[str, Any]:
    return {**deepcopy(SOMATIC_STAY), **changes}


def _period(start: str, end: str, end_reason: str, days: int, amount: str) -> Period:
    return {"start": start, "end": end, "end_reason": end_reason, "days": days, "amount": amount}


def _payable(
    days: int, amount: str, *periods: Period, pieces: list[tuple[int, int, str, str]] | None = None
) -> Expected:
    """A payable result: totals and periods, and `pieces` where the rate changes on the way."""
    expected: Expected = {
        "payable": True,
        "days": days,
        "amount": amount,
        "reasons": [],
        "periods": [*periods],
    }
    if pieces is not None:
        expected["pieces"] = pieces
    return expected


def _not_payable(reason: str, *periods: Period) -> Expected:
    """Nothing to pay, for one reason; the periods still show the clock as evidence."""
    return {"payable": False, "days": 0, "amount": "0", "reasons": [reason], "periods": [*periods]}


def _case(number: int, title: str, events: list[Event], expected: Expected, **stay: Any) -> Case:
    """A case on the somatic stay, its stay id from the case number; `stay` holds what differs."""
    return {
        "number": number,
        "title": title,
        "stay": _stay(stay_id=f"stay-c{number:02d}", **stay),
        "events": events,
        "expected": expected,
    }


# --- the common start of the 2024 cases: admitted Tue 04-02, ready and notice Mon 04-08 ----------
ADMITTED_2024_04_02 = [_admission("adm-1", "2024-04-02T15:00")]
READY_MON_2024_04_08 = [_ready("rdy-1", "2024-04-08T09:00")]
CANNOT_2024_04_08 = [_cannot("ans-1", "2024-04-08T11:00")]


CASES: list[Case] = [
    _case(
        1,
        "2012: ready and notice Mon 03-05, cannot; place ready Thu 03-08",
        [
            _admission("c01-adm", "2012-03-01T11:00"),
            _ready("c01-rdy", "2012-03-05T09:00"),
            _cannot("c01-no", "2012-03-05T11:00"),
            _can("c01-yes", "2012-03-08T08:00"),
        ],
        _payable(3, "12000", _period("2012-03-05", "2012-03-08", "place_ready", 3, "12000")),
        admitted="2012-03-01T10:00",
    ),
    _case(
        2,
        "Somatic 2024: notice Mon 04-08, cannot; ready Fri 04-12; discharged 04-12",
        [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            _can("ans-2", "2024-04-12T08:00"),
            _event("discharge", "dis-1", "2024-04-12T14:00"),
        ],
        _payable(4, "22980", _period("2024-04-08", "2024-04-12", "place_ready", 4, "22980")),
    ),
    _case(
        3,
        "As 2, the municipality never answers; discharged Wed 04-10",
        [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            _event("discharge", "dis-1", "2024-04-10T13:00"),
        ],
        _payable(2, "11490", _period("2024-04-08", "2024-04-10", "discharged", 2, "11490")),
    ),
    _case(
        4,
        "Answer 'can receive today' on the notice day 04-08; patient leaves 04-08",
        [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            _can("ans-1", "2024-04-08T10:00"),
            _event("discharge", "dis-1", "2024-04-08T15:00"),
        ],
        _not_payable(
            "municipality_could_receive",
            _period("2024-04-08", "2024-04-08", "place_ready", 0, "0"),
        ),
    ),
    _case(
        6,
        "Notice Fri 04-12 16:30, cannot; ready Mon 04-15",
        [
            _admission("adm-1", "2024-04-10T12:00"),
            _ready("rdy-1", "2024-04-12T16:30"),
            _cannot("ans-1", "2024-04-12T17:00"),
            _can("ans-2", "2024-04-15T08:30"),
        ],
        _payable(3, "17235", _period("2024-04-12", "2024-04-15", "place_ready", 3, "17235")),
        admitted="2024-04-10T10:00",
    ),
    _case(
        9,
        "No admission notice ever sent; otherwise as 2",
        [
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            _can("ans-2", "2024-04-12T08:00"),
            _event("discharge", "dis-1", "2024-04-12T14:00"),
        ],
        # The clock is shown for the evidence, but the period is not payable.
        _not_payable(
            "no_admission_notice", _period("2024-04-08", "2024-04-12", "place_ready", 4, "0")
        ),
    ),
    _case(
        12,
        "Cannot; withdrawn Wed 04-10; new notice Mon 04-15, cannot; ready Thu 04-18",
        [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            _event("withdrawal", "wdr-1", "2024-04-10T10:00"),
            _ready("rdy-2", "2024-04-15T09:00"),
            _cannot("ans-3", "2024-04-15T11:00"),
            _can("ans-4", "2024-04-18T08:00"),
        ],
        _payable(
            5,
            "28725",
            _period("2024-04-08", "2024-04-10", "withdrawn", 2, "11490"),
            _period("2024-04-15", "2024-04-18", "place_ready", 3, "17235"),
        ),
    ),
    _case(
        14,
        "Notice Mon 04-08, cannot; the patient dies Thu 04-11",
        [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            _event("death", "dea-1", "2024-04-11T07:00", at="2024-04-11T05:40"),
        ],
        _payable(3, "17235", _period("2024-04-08", "2024-04-11", "died", 3, "17235")),
    ),
    _case(
        17,
        "04-08 'cannot, expected ready 04-11'; explicit ready only Fri 04-12",
        [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            _cannot("ans-1", "2024-04-08T11:00", expected="2024-04-11"),
            _can("ans-2", "2024-04-12T08:00"),
        ],
        _payable(4, "22980", _period("2024-04-08", "2024-04-12", "place_ready", 4, "22980")),
    ),
    _case(
        18,
        "Ready Wed 04-10; the hospital keeps the patient until Fri 04-12",
        [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            _can("ans-2", "2024-04-10T08:00"),
            _event("discharge", "dis-1", "2024-04-12T12:00"),
        ],
        _payable(2, "11490", _period("2024-04-08", "2024-04-10", "place_ready", 2, "11490")),
    ),
    _case(
        20,
        "Notice Fri 2023-12-29, cannot; ready Wed 2024-01-03",
        [
            _admission("adm-1", "2023-12-20T13:00"),
            _ready("rdy-1", "2023-12-29T10:00"),
            _cannot("ans-1", "2023-12-29T12:00"),
            _can("ans-2", "2024-01-03T08:00"),
        ],
        _payable(
            5,
            "28014",
            _period("2023-12-29", "2024-01-03", "place_ready", 5, "28014"),
            pieces=[(2023, 3, "5508", "16524"), (2024, 2, "5745", "11490")],
        ),
        admitted="2023-12-20T10:00",
    ),
    _case(
        22,
        "Psykisk helsevern 2024: meeting called Fri 04-05 for Wed 04-10; notice Mon 04-08",
        [
            *ADMITTED_2024_04_02,
            _event("meeting_called", "mtg-1", "2024-04-05T13:00", planned_for="2024-04-10T10:00"),
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            _can("ans-2", "2024-04-12T08:00"),
        ],
        _payable(4, "22980", _period("2024-04-08", "2024-04-12", "place_ready", 4, "22980")),
        sector="psychiatric",
        hospital_her="800101",
    ),
]
