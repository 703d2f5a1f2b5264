"""Turn the plain-data scenarios of `worked_cases` into domain facts, and back to expectations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from billing.adapters.ratefiles import load_rates
from billing.domain import (
    AdmissionNotice,
    Cancellation,
    CooperationMeetingCalled,
    Died,
    Discharged,
    DischargeReadyNotice,
    Fact,
    HousingAssigned,
    HousingAssignmentCancelled,
    MunicipalityAnswer,
    RateTable,
    ReadinessWithdrawn,
    Sector,
    StayFacts,
)
from hub_shared.testing.worked_cases import SOMATIC_STAY

OSLO = ZoneInfo("Europe/Oslo")
SOMATIC_STAY_FOR_TESTS = {**SOMATIC_STAY, "stay_id": "stay-test"}
PACKAGED_RATES = Path(__file__).resolve().parents[2] / "src/billing/data/rates.toml"


@cache
def packaged_rates() -> RateTable:
    return load_rates(PACKAGED_RATES)


def oslo(text: str) -> datetime:
    """An Oslo wall-clock time ("2024-04-08T09:00") as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=OSLO).astimezone(UTC)


def day(text: str) -> date:
    return date.fromisoformat(text)


def date_or_time(text: str) -> date | datetime:
    return oslo(text) if "T" in text else day(text)


def stay_facts(stay: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> StayFacts:
    return StayFacts(
        stay_id=stay["stay_id"],
        sector=Sector(stay["sector"]),
        hospital_her=stay["hospital_her"],
        hospital_trust=stay["hospital_trust"],
        admitted_at=oslo(stay["admitted"]),
        municipality_her=stay.get("municipality_her"),
        residence_municipality=stay.get("residence_municipality"),
        registered_municipality=stay.get("registered_municipality"),
        documentation_at_discharge=stay.get("documentation_at_discharge"),
        facts=tuple(fact(event) for event in events),
    )


def fact(event: Mapping[str, Any]) -> Fact:
    kind = event["kind"]
    if kind == "housing_assigned":
        return HousingAssigned(
            message_id=event["id"],
            assignment_id=event["assignment"],
            decided_at=oslo(event["decided"]),
            move_in=day(event["move_in"]),
        )
    if kind == "housing_cancelled":
        return HousingAssignmentCancelled(
            message_id=event["id"],
            assignment_id=event["assignment"],
            cancelled_at=oslo(event["cancelled"]),
        )
    common: dict[str, Any] = {
        "message_id": event["id"],
        "sent_at": oslo(event["sent"]),
        "received_at": oslo(event["received"]) if "received" in event else None,
        "replaces": event.get("replaces"),
    }
    at = oslo(event["at"]) if "at" in event else None
    match kind:
        case "admission_notice":
            return AdmissionNotice(**common)
        case "ready_notice":
            return DischargeReadyNotice(
                **common, ready=date_or_time(event["ready"]), decided_by=event.get("decided_by")
            )
        case "withdrawal":
            return ReadinessWithdrawn(**common, withdrawn_at=at)
        case "answer":
            answer_day = day(event["day"]) if event.get("day") else None
            return MunicipalityAnswer(**common, can_receive=event["can_receive"], day=answer_day)
        case "discharge":
            return Discharged(
                **common,
                discharged_at=at,
                died=event.get("died", False),
                destination=event.get("destination"),
            )
        case "death":
            return Died(**common, died_at=at)
        case "meeting_called":
            planned = event.get("planned_for")
            return CooperationMeetingCalled(
                **common,
                called_at=oslo(event["called"]) if "called" in event else None,
                planned_for=date_or_time(planned) if planned else None,
            )
        case "cancel":
            return Cancellation(**common, cancels=event["cancels"])
    raise ValueError(f"unknown event kind {kind!r}")


def money(text: str) -> Decimal:
    return Decimal(text)


# --- short constructors for the plain-data events of derived tests -----------------------------


def admission(msg_id: str, sent: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "admission_notice", "id": msg_id, "sent": sent, **extra}


def notice(msg_id: str, sent: str, ready: str | None = None, **extra: Any) -> dict[str, Any]:
    """A § 10 notice; ready defaults to the notice day."""
    extra.setdefault("decided_by", "Lege Testesen")
    return {"kind": "ready_notice", "id": msg_id, "sent": sent, "ready": ready or sent, **extra}


def answer(msg_id: str, sent: str, can_receive: bool, on: str | None = None, **extra: Any) -> dict:
    return {
        "kind": "answer",
        "id": msg_id,
        "sent": sent,
        "can_receive": can_receive,
        "day": on,
        **extra,
    }


def withdrawal(msg_id: str, sent: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "withdrawal", "id": msg_id, "sent": sent, **extra}


def discharge(msg_id: str, sent: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "discharge", "id": msg_id, "sent": sent, **extra}


def death(msg_id: str, sent: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "death", "id": msg_id, "sent": sent, **extra}


def meeting(msg_id: str, sent: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "meeting_called", "id": msg_id, "sent": sent, **extra}


def cancel(msg_id: str, sent: str, cancels: str) -> dict[str, Any]:
    return {"kind": "cancel", "id": msg_id, "sent": sent, "cancels": cancels}


def housing(msg_id: str, assignment: str, decided: str, move_in: str) -> dict[str, Any]:
    return {
        "kind": "housing_assigned",
        "id": msg_id,
        "assignment": assignment,
        "decided": decided,
        "move_in": move_in,
    }


def housing_cancelled(msg_id: str, assignment: str, cancelled: str) -> dict[str, Any]:
    return {
        "kind": "housing_cancelled",
        "id": msg_id,
        "assignment": assignment,
        "cancelled": cancelled,
    }
