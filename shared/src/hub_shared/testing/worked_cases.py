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
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

Case = dict[str, Any]

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

ADMITTED_2024_04_02 = [
    {"kind": "admission_notice", "id": "adm-1", "sent": "2024-04-02T15:00"},
]

READY_MON_2024_04_08 = [
    {
        "kind": "ready_notice",
        "id": "rdy-1",
        "sent": "2024-04-08T09:00",
        "ready": "2024-04-08",
        "decided_by": "Lege Testesen",
    },
]

CANNOT_2024_04_08 = [
    {"kind": "answer", "id": "ans-1", "sent": "2024-04-08T11:00", "can_receive": False},
]


def _stay(**changes: Any) -> dict[str, Any]:
    return {**deepcopy(SOMATIC_STAY), **changes}


def _period(start: str, end: str, end_reason: str, days: int, amount: str) -> dict[str, Any]:
    return {"start": start, "end": end, "end_reason": end_reason, "days": days, "amount": amount}


CASES: list[Case] = [
    {
        "number": 1,
        "title": "2012: ready and notice Mon 03-05, cannot; place ready Thu 03-08",
        "stay": _stay(stay_id="stay-c01", admitted="2012-03-01T10:00"),
        "events": [
            {"kind": "admission_notice", "id": "c01-adm", "sent": "2012-03-01T11:00"},
            {
                "kind": "ready_notice",
                "id": "c01-rdy",
                "sent": "2012-03-05T09:00",
                "ready": "2012-03-05",
                "decided_by": "Lege Testesen",
            },
            {"kind": "answer", "id": "c01-no", "sent": "2012-03-05T11:00", "can_receive": False},
            {
                "kind": "answer",
                "id": "c01-yes",
                "sent": "2012-03-08T08:00",
                "can_receive": True,
                "day": "2012-03-08",
            },
        ],
        "expected": {
            "payable": True,
            "days": 3,
            "amount": "12000",
            "reasons": [],
            "periods": [_period("2012-03-05", "2012-03-08", "place_ready", 3, "12000")],
        },
    },
    {
        "number": 2,
        "title": "Somatic 2024: notice Mon 04-08, cannot; ready Fri 04-12; discharged 04-12",
        "stay": _stay(stay_id="stay-c02"),
        "events": [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            {
                "kind": "answer",
                "id": "ans-2",
                "sent": "2024-04-12T08:00",
                "can_receive": True,
                "day": "2024-04-12",
            },
            {"kind": "discharge", "id": "dis-1", "sent": "2024-04-12T14:00"},
        ],
        "expected": {
            "payable": True,
            "days": 4,
            "amount": "22980",
            "reasons": [],
            "periods": [_period("2024-04-08", "2024-04-12", "place_ready", 4, "22980")],
        },
    },
    {
        "number": 3,
        "title": "As 2, the municipality never answers; discharged Wed 04-10",
        "stay": _stay(stay_id="stay-c03"),
        "events": [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            {"kind": "discharge", "id": "dis-1", "sent": "2024-04-10T13:00"},
        ],
        "expected": {
            "payable": True,
            "days": 2,
            "amount": "11490",
            "reasons": [],
            "periods": [_period("2024-04-08", "2024-04-10", "discharged", 2, "11490")],
        },
    },
    {
        "number": 4,
        "title": "Answer 'can receive today' on the notice day 04-08; patient leaves 04-08",
        "stay": _stay(stay_id="stay-c04"),
        "events": [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            {
                "kind": "answer",
                "id": "ans-1",
                "sent": "2024-04-08T10:00",
                "can_receive": True,
                "day": "2024-04-08",
            },
            {"kind": "discharge", "id": "dis-1", "sent": "2024-04-08T15:00"},
        ],
        "expected": {
            "payable": False,
            "days": 0,
            "amount": "0",
            "reasons": ["municipality_could_receive"],
            "periods": [_period("2024-04-08", "2024-04-08", "place_ready", 0, "0")],
        },
    },
    {
        "number": 6,
        "title": "Notice Fri 04-12 16:30, cannot; ready Mon 04-15",
        "stay": _stay(stay_id="stay-c06", admitted="2024-04-10T10:00"),
        "events": [
            {"kind": "admission_notice", "id": "adm-1", "sent": "2024-04-10T12:00"},
            {
                "kind": "ready_notice",
                "id": "rdy-1",
                "sent": "2024-04-12T16:30",
                "ready": "2024-04-12",
                "decided_by": "Lege Testesen",
            },
            {"kind": "answer", "id": "ans-1", "sent": "2024-04-12T17:00", "can_receive": False},
            {
                "kind": "answer",
                "id": "ans-2",
                "sent": "2024-04-15T08:30",
                "can_receive": True,
                "day": "2024-04-15",
            },
        ],
        "expected": {
            "payable": True,
            "days": 3,
            "amount": "17235",
            "reasons": [],
            "periods": [_period("2024-04-12", "2024-04-15", "place_ready", 3, "17235")],
        },
    },
    {
        "number": 9,
        "title": "No admission notice ever sent; otherwise as 2",
        "stay": _stay(stay_id="stay-c09"),
        "events": [
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            {
                "kind": "answer",
                "id": "ans-2",
                "sent": "2024-04-12T08:00",
                "can_receive": True,
                "day": "2024-04-12",
            },
            {"kind": "discharge", "id": "dis-1", "sent": "2024-04-12T14:00"},
        ],
        "expected": {
            "payable": False,
            "days": 0,
            "amount": "0",
            "reasons": ["no_admission_notice"],
            # The clock is shown for the evidence, but the period is not payable.
            "periods": [_period("2024-04-08", "2024-04-12", "place_ready", 4, "0")],
        },
    },
    {
        "number": 12,
        "title": "Cannot; withdrawn Wed 04-10; new notice Mon 04-15, cannot; ready Thu 04-18",
        "stay": _stay(stay_id="stay-c12"),
        "events": [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            {"kind": "withdrawal", "id": "wdr-1", "sent": "2024-04-10T10:00"},
            {
                "kind": "ready_notice",
                "id": "rdy-2",
                "sent": "2024-04-15T09:00",
                "ready": "2024-04-15",
                "decided_by": "Lege Testesen",
            },
            {"kind": "answer", "id": "ans-3", "sent": "2024-04-15T11:00", "can_receive": False},
            {
                "kind": "answer",
                "id": "ans-4",
                "sent": "2024-04-18T08:00",
                "can_receive": True,
                "day": "2024-04-18",
            },
        ],
        "expected": {
            "payable": True,
            "days": 5,
            "amount": "28725",
            "reasons": [],
            "periods": [
                _period("2024-04-08", "2024-04-10", "withdrawn", 2, "11490"),
                _period("2024-04-15", "2024-04-18", "place_ready", 3, "17235"),
            ],
        },
    },
    {
        "number": 14,
        "title": "Notice Mon 04-08, cannot; the patient dies Thu 04-11",
        "stay": _stay(stay_id="stay-c14"),
        "events": [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            {"kind": "death", "id": "dea-1", "sent": "2024-04-11T07:00", "at": "2024-04-11T05:40"},
        ],
        "expected": {
            "payable": True,
            "days": 3,
            "amount": "17235",
            "reasons": [],
            "periods": [_period("2024-04-08", "2024-04-11", "died", 3, "17235")],
        },
    },
    {
        "number": 17,
        "title": "04-08 'cannot, expected ready 04-11'; explicit ready only Fri 04-12",
        "stay": _stay(stay_id="stay-c17"),
        "events": [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            {
                "kind": "answer",
                "id": "ans-1",
                "sent": "2024-04-08T11:00",
                "can_receive": False,
                "day": "2024-04-11",
            },
            {
                "kind": "answer",
                "id": "ans-2",
                "sent": "2024-04-12T08:00",
                "can_receive": True,
                "day": "2024-04-12",
            },
        ],
        "expected": {
            "payable": True,
            "days": 4,
            "amount": "22980",
            "reasons": [],
            "periods": [_period("2024-04-08", "2024-04-12", "place_ready", 4, "22980")],
        },
    },
    {
        "number": 18,
        "title": "Ready Wed 04-10; the hospital keeps the patient until Fri 04-12",
        "stay": _stay(stay_id="stay-c18"),
        "events": [
            *ADMITTED_2024_04_02,
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            {
                "kind": "answer",
                "id": "ans-2",
                "sent": "2024-04-10T08:00",
                "can_receive": True,
                "day": "2024-04-10",
            },
            {"kind": "discharge", "id": "dis-1", "sent": "2024-04-12T12:00"},
        ],
        "expected": {
            "payable": True,
            "days": 2,
            "amount": "11490",
            "reasons": [],
            "periods": [_period("2024-04-08", "2024-04-10", "place_ready", 2, "11490")],
        },
    },
    {
        "number": 20,
        "title": "Notice Fri 2023-12-29, cannot; ready Wed 2024-01-03",
        "stay": _stay(stay_id="stay-c20", admitted="2023-12-20T10:00"),
        "events": [
            {"kind": "admission_notice", "id": "adm-1", "sent": "2023-12-20T13:00"},
            {
                "kind": "ready_notice",
                "id": "rdy-1",
                "sent": "2023-12-29T10:00",
                "ready": "2023-12-29",
                "decided_by": "Lege Testesen",
            },
            {"kind": "answer", "id": "ans-1", "sent": "2023-12-29T12:00", "can_receive": False},
            {
                "kind": "answer",
                "id": "ans-2",
                "sent": "2024-01-03T08:00",
                "can_receive": True,
                "day": "2024-01-03",
            },
        ],
        "expected": {
            "payable": True,
            "days": 5,
            "amount": "28014",
            "reasons": [],
            "periods": [_period("2023-12-29", "2024-01-03", "place_ready", 5, "28014")],
            "pieces": [(2023, 3, "5508", "16524"), (2024, 2, "5745", "11490")],
        },
    },
    {
        "number": 22,
        "title": "Psykisk helsevern 2024: meeting called Fri 04-05 for Wed 04-10; notice Mon 04-08",
        "stay": _stay(stay_id="stay-c22", sector="psychiatric", hospital_her="800101"),
        "events": [
            *ADMITTED_2024_04_02,
            {
                "kind": "meeting_called",
                "id": "mtg-1",
                "sent": "2024-04-05T13:00",
                "planned_for": "2024-04-10T10:00",
            },
            *READY_MON_2024_04_08,
            *CANNOT_2024_04_08,
            {
                "kind": "answer",
                "id": "ans-2",
                "sent": "2024-04-12T08:00",
                "can_receive": True,
                "day": "2024-04-12",
            },
        ],
        "expected": {
            "payable": True,
            "days": 4,
            "amount": "22980",
            "reasons": [],
            "periods": [_period("2024-04-08", "2024-04-12", "place_ready", 4, "22980")],
        },
    },
]
