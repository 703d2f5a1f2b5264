"""Factories for ELIN test messages (built with the builder, so they validate)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from hub_shared.elin.builder import build_dialog_message, build_plo_message
from hub_shared.elin.models import (
    Address,
    CodedValue,
    Party,
    PatientIdentity,
    ResponsiblePerson,
    TimedEvent,
)

ALL_TYPES = frozenset(
    {
        "LOG_INNLAGT",
        "LOG_UTSKRIVNINGSKLAR",
        "LOG_AVMELDING",
        "LOG_UTSKREVET",
        "LOG_DOD",
        "DIALOG_HELSEFAGLIG",
    }
)
HOSPITAL = Party(
    her_id="59", name="ST OLAVS HOSPITAL HF", service_her_id="90998", service_name="Ortopedi"
)
MUNICIPALITY = Party(
    her_id="99387", name="Alvdal Kommune", service_her_id="5078", service_name="Sykepleietjeneste"
)
PATIENT = PatientIdentity(
    id="15076500565",
    id_type="FNR",
    family_name="Gundersen",
    given_name="Roland",
    birth_date=date(1965, 7, 15),
    sex="1",
    address=Address(street="Flåklypa 31", postal_code="2560", city="Alvdal"),
)
ADMITTED = TimedEvent(code=1, at=datetime(2025, 3, 10, 14, 32), estimated=False)
EVENTS: dict[str, list[TimedEvent]] = {
    "LOG_INNLAGT": [ADMITTED],
    "LOG_UTSKRIVNINGSKLAR": [
        ADMITTED,
        TimedEvent(code=3, at=date(2025, 3, 13), estimated=True, description="Vurdert klar"),
    ],
    "LOG_AVMELDING": [
        ADMITTED,
        TimedEvent(code=3, at=date(2025, 3, 13), estimated=False),
        TimedEvent(code=4, at=datetime(2025, 3, 13, 9, 0), estimated=False, remark="Forverret"),
    ],
    "LOG_UTSKREVET": [TimedEvent(code=2, at=date(2025, 3, 14), estimated=False)],
    "LOG_DOD": [TimedEvent(code=13, at=datetime(2025, 3, 14, 3, 5), estimated=False)],
}
DOCTOR = ResponsiblePerson(hpr="9144900", family_name="Lin", given_name="Rita")


def plo_kwargs(msg_type: str = "LOG_INNLAGT", **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "msg_type": msg_type,
        "version": "1.6",
        "msg_id": str(uuid.uuid4()),
        "gen_date": datetime(2025, 3, 10, 14, 40, 12),
        "sender": HOSPITAL,
        "receiver": MUNICIPALITY,
        "patient": PATIENT,
        "events": EVENTS[msg_type],
        "responsible": DOCTOR,
        "contact_unit": "Ortopedisk sengepost 4",
    }
    if msg_type == "LOG_UTSKREVET":
        kwargs["discharged_to"] = CodedValue(code="1", text="Bosted/arbeidssted")
        kwargs["discharge_condition"] = "1"
    kwargs.update(overrides)
    return kwargs


@pytest.fixture
def make_plo() -> Callable[..., bytes]:
    """``make_plo("LOG_INNLAGT", version="1.5", patient=None)``: a valid message's bytes."""
    return lambda msg_type="LOG_INNLAGT", **kw: build_plo_message(**plo_kwargs(msg_type, **kw))


@pytest.fixture
def make_dialog() -> Callable[..., bytes]:
    def make(**overrides: Any) -> bytes:
        kwargs: dict[str, Any] = {
            "msg_id": str(uuid.uuid4()),
            "gen_date": datetime(2025, 3, 13, 12, 0),
            "sender": MUNICIPALITY,
            "receiver": HOSPITAL,
            "patient": PATIENT,
            "note": "Kommunen kan ta imot pasienten fredag.",
        }
        kwargs.update(overrides)
        return build_dialog_message(**kwargs)

    return make


@pytest.fixture
def data() -> SimpleNamespace:
    """The test values above, for assertions (conftest modules are not importable)."""
    return SimpleNamespace(
        all_types=ALL_TYPES,
        hospital=HOSPITAL,
        municipality=MUNICIPALITY,
        patient=PATIENT,
        events=EVENTS,
        doctor=DOCTOR,
        plo_kwargs=plo_kwargs,
    )
