"""Content checks: E10, E21, E30, E31, E36, all collected, with extra texts free of patient data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import pytest
from lxml import etree

from hub_shared.elin.checks import content_errors
from hub_shared.elin.models import ElinMessage, MsgHeadInfo, Party, PatientIdentity
from hub_shared.elin.reader import read_message

PATIENT = PatientIdentity(id="15076500565", id_type="FNR", family_name="Gundersen")
RECEIVER = Party(her_id="99387", name="Alvdal", service_her_id="5078", service_name="Sykepleie")


def _message(
    *,
    msg_id: str = "6f1c2a52-9d7e-4b53-9a43-2f0d1c9b7e11",
    receiver: Party = RECEIVER,
    patient: PatientIdentity | None = PATIENT,
) -> ElinMessage:
    head = MsgHeadInfo(
        msg_type="LOG_INNLAGT",
        gen_date=datetime(2025, 3, 10, 14, 40),
        msg_id=msg_id,
        sender=Party(her_id="59", name="St. Olavs"),
        receiver=receiver,
        patient=patient,
    )
    return ElinMessage(head=head)


def _codes(msg: ElinMessage, known: Callable[[str], bool] = lambda her: True) -> list[str]:
    errors = content_errors(msg, receiver_known=known)
    for error in errors:
        assert error.extra  # every error explains itself ...
        assert "15076500565" not in error.extra and "Gundersen" not in error.extra  # ... safely
    return [error.code.value for error in errors]


def test_a_good_message_has_no_errors() -> None:
    assert _codes(_message()) == []


@pytest.mark.parametrize(
    "msg_id",
    ["6F1C2A52-9D7E-4B53-9A43-2F0D1C9B7E11", "00000000-0000-0000-0000-000000000000"],
)
def test_any_textual_uuid_is_accepted(msg_id: str) -> None:
    assert _codes(_message(msg_id=msg_id)) == []


@pytest.mark.parametrize(
    "msg_id",
    [
        "12345",
        "6f1c2a529d7e4b539a432f0d1c9b7e11",
        "{6f1c2a52-9d7e-4b53-9a43-2f0d1c9b7e11}",
        "6f1c2a52-9d7e-4b53-9a43-2f0d1c9b7e1g",
        "",
    ],
)
def test_e10_msg_id_not_a_uuid(msg_id: str) -> None:
    assert _codes(_message(msg_id=msg_id)) == ["E10"]


def test_e21_asks_about_the_most_specific_her_id() -> None:
    asked: list[str] = []

    def known(her: str) -> bool:
        asked.append(her)
        return her == "99387"  # the municipality is known, its service is not

    assert _codes(_message(), known) == ["E21"]
    assert asked == ["5078"]


def test_e21_level_one_only() -> None:
    receiver = Party(her_id="99387", name="Alvdal")
    assert _codes(_message(receiver=receiver), lambda her: her != "99387") == ["E21"]
    assert _codes(_message(receiver=receiver), lambda her: her == "99387") == []


def test_e21_no_her_id_at_all() -> None:
    assert _codes(_message(receiver=Party(name="Alvdal"))) == ["E21"]


@pytest.mark.parametrize(
    "patient",
    [
        PatientIdentity(family_name="Gundersen"),
        # HIS 80415 would accept name + birth date + sex; the hub needs a national identifier.
        PatientIdentity(family_name="Gundersen", birth_date=date(1965, 7, 15), sex="1"),
        PatientIdentity(id="15476500565", id_type="HNR", family_name="Gundersen"),
        PatientIdentity(id="15076500565", id_type=None, family_name="Gundersen"),
        PatientIdentity(id="P1234567", id_type="PNR", family_name="Gundersen"),
    ],
)
def test_e30_no_national_identifier(patient: PatientIdentity) -> None:
    assert _codes(_message(patient=patient)) == ["E30"]


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("15076500566", "FNR"),  # wrong check digit
        ("55076500559", "FNR"),  # a D-nummer called FNR
        ("15076500565", "DNR"),  # an FNR called D-nummer
        ("15076500565", "FHN"),
        ("1507650056", "FNR"),  # ten digits
        ("1507650056X", "DNR"),
    ],
)
def test_e31_wrong_number_or_kind(number: str, kind: str) -> None:
    patient = PatientIdentity(id=number, id_type=kind, family_name="Gundersen")
    assert _codes(_message(patient=patient)) == ["E31"]


@pytest.mark.parametrize(("number", "kind"), [("55076500559", "DNR"), ("81234567802", "FHN")])
def test_d_number_and_fh_number_are_national(number: str, kind: str) -> None:
    patient = PatientIdentity(id=number, id_type=kind, family_name="Gundersen")
    assert _codes(_message(patient=patient)) == []


def test_e36_family_name_missing() -> None:
    patient = PatientIdentity(id="15076500565", id_type="FNR", given_name="Roland")
    assert _codes(_message(patient=patient)) == ["E36"]


def test_e36_and_e30_when_the_patient_element_is_missing() -> None:
    assert _codes(_message(patient=None)) == ["E30", "E36"]


def test_all_errors_are_collected() -> None:
    msg = _message(msg_id="x", receiver=Party(her_id="1"), patient=PatientIdentity(id="1"))
    assert _codes(msg, lambda her: False) == ["E10", "E21", "E30", "E36"]


def test_end_to_end_from_xml(make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema) -> None:
    bad_patient = PatientIdentity(id="15076500566", id_type="FNR", given_name="Roland")
    data = make_plo(msg_id="not-a-uuid", patient=bad_patient)
    msg = read_message(data, schema=elin_schema, supported_types=frozenset({"LOG_INNLAGT"}))
    assert _codes(msg, lambda her: False) == ["E10", "E21", "E31", "E36"]
