"""Models: no patient data in repr/str, "uten fast bopel", kith time values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from hub_shared.elin.models import (
    Address,
    DialogContent,
    MsgHeadInfo,
    Party,
    PatientIdentity,
    PloContent,
    TimedEvent,
    format_datetime,
    parse_datetime,
    parse_ts,
)

PATIENT = PatientIdentity(
    id="15076500565",
    id_type="FNR",
    family_name="Gundersen",
    given_name="Roland",
    middle_name="Mellom",
    birth_date=date(1965, 7, 15),
    sex="1",
    address=Address(street="Flåklypa 31", postal_code="2560", city="Alvdal"),
)
SECRETS = ("15076500565", "Gundersen", "Roland", "Mellom", "1965", "Flåklypa", "Alvdal")


@pytest.mark.parametrize("show", [repr, str, lambda m: f"{m}", lambda m: f"{m!r}"])
def test_patient_data_never_shows(show: object) -> None:
    for model in (PATIENT, MsgHeadInfo(msg_id="x", patient=PATIENT)):
        text = show(model)  # type: ignore[operator]
        assert not [secret for secret in SECRETS if secret in text]
        assert "150765*****" in text


def test_free_texts_do_not_show() -> None:
    event = TimedEvent(code=1, at=date(2025, 1, 1), estimated=False, description="Gundersen")
    dialog = DialogContent(theme_code="7", notes=("Gundersen",), subject="Gundersen")
    assert "Gundersen" not in repr(event) and "Gundersen" not in repr(dialog)


def test_elin_message_guarantees() -> None:
    from hub_shared.elin.models import ElinMessage, ResponsiblePerson

    msg = ElinMessage(head=MsgHeadInfo(msg_id="m", gen_date=datetime(2025, 1, 1)))
    assert (msg.msg_id, msg.gen_date, msg.content_version) == ("m", datetime(2025, 1, 1), "1.1")
    with pytest.raises(ValueError, match="MsgId"):
        _ = ElinMessage(head=MsgHeadInfo()).msg_id
    assert "Lin" not in repr(ResponsiblePerson(hpr="9144900", family_name="Lin"))


def test_models_are_frozen() -> None:
    with pytest.raises(ValidationError):
        PATIENT.id = "1"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("address", "without_home"),
    [
        (Address(street="Flåklypa 31", city="Alvdal"), False),
        (Address(street="Uten fast bopel"), True),
        (Address(street="UTEN  FAST BOPEL", city="Oslo"), True),
        (Address(city="ufb"), True),
        (Address(type_text="Uten fast bopel"), True),
        (Address(type_code="UFB"), True),
        (Address(street="Tufbakken 3"), False),
    ],
)
def test_address_without_fixed_home(address: Address, without_home: bool) -> None:
    assert address.without_fixed_home is without_home
    assert PatientIdentity(address=address).without_fixed_home is without_home


def test_no_address_counts_as_without_fixed_home() -> None:
    assert PatientIdentity(id="1").without_fixed_home


def test_party_most_specific_her_id() -> None:
    assert Party(her_id="1", service_her_id="2").most_specific_her_id == "2"
    assert Party(her_id="1").most_specific_her_id == "1"
    assert Party().is_empty and not Party(name="x").is_empty


def test_plo_event_lookup() -> None:
    first = TimedEvent(code=1, at=date(2025, 1, 1), estimated=False)
    plo = PloContent(version="1.6", kind="MeldingInnlagtPasient", status="N", events=(first,))
    assert plo.event(1) is first and plo.event(3) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-10T14:32:00", datetime(2025, 3, 10, 14, 32)),
        ("2025-03-10T14:32:00.5", datetime(2025, 3, 10, 14, 32, 0, 500_000)),
        ("2020-09-16T12:52:17.0009763Z", datetime(2020, 9, 16, 14, 52, 17, 976)),  # CEST
        ("2025-01-10T12:00:00+00:00", datetime(2025, 1, 10, 13, 0)),  # CET
        ("2025-01-10T12:00:00-05:00", datetime(2025, 1, 10, 18, 0)),
        (" 2025-03-10T14:32:00 ", datetime(2025, 3, 10, 14, 32)),
        ("2025-02-30T10:00:00", None),
        ("2025-03-10", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_parse_datetime(text: str | None, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-10T14:32:00", datetime(2025, 3, 10, 14, 32)),
        ("2025-03-10", date(2025, 3, 10)),
        ("2025-03-10+01:00", date(2025, 3, 10)),
        ("2025", "2025"),
        ("2025-03", "2025-03"),
        ("14:32:00", "14:32:00"),
    ],
)
def test_parse_ts(text: str, expected: object) -> None:
    value = parse_ts(text)
    assert value == expected and type(value) is type(expected)


def test_format_datetime_is_local_to_the_second() -> None:
    assert format_datetime(datetime(2025, 3, 10, 14, 32, 5, 999)) == "2025-03-10T14:32:05"
    assert format_datetime(datetime(2025, 7, 1, 10, 0, tzinfo=UTC)) == "2025-07-01T12:00:00"
