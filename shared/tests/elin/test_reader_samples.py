"""Every official and constructed MsgHead sample reads into the right model."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from hub_shared.elin.checks import content_errors
from hub_shared.elin.models import CodedValue, ElinMessage, Party
from hub_shared.elin.reader import read_message

TYPES = frozenset(
    {"LOG_INNLAGT", "LOG_UTSKRIVNINGSKLAR", "LOG_AVMELDING", "LOG_UTSKREVET", "DIALOG_HELSEFAGLIG"}
)
ST_OLAVS = Party(
    her_id="59",
    name="ST OLAVS HOSPITAL HF",
    service_her_id="90998",
    service_name="Ortopedisk kirurgi",
)
ALVDAL = Party(
    her_id="99387", name="Alvdal Kommune", service_her_id="5078", service_name="Sykepleietjeneste"
)
ADMITTED_2018 = (1, datetime(2018, 1, 29, 10, 0), False)
ADMITTED_2025 = (1, datetime(2025, 3, 10, 14, 32), False)

# file -> expected values; events as (Hendelsekode, TidspunktForHendelse, Anslag)
EXPECTED: dict[str, dict[str, Any]] = {
    "plo-1.6/Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml": {
        "type": "LOG_INNLAGT",
        "msg_id": "b088a160-0698-11e8-b566-0800200c9a66",
        "gen_date": datetime(2018, 1, 29, 10, 11, 54),
        "kind": "MeldingInnlagtPasient",
        "events": [ADMITTED_2018],
    },
    "plo-1.6/Pasientlogistikk_Utskrivningsklar_pasient_v1-6_Ny.xml": {
        "type": "LOG_UTSKRIVNINGSKLAR",
        "msg_id": "79c55ed0-0692-11e8-b566-0800200c9a66",
        "gen_date": datetime(2018, 1, 31, 10, 20, 11),
        "kind": "MeldingUtskrivningsklarPasient",
        "events": [ADMITTED_2018, (3, date(2018, 1, 31), True)],
    },
    "plo-1.6/Pasientlogistikk_Avmelding_av_utskrivningsklar_pasient_v1-6_Ny.xml": {
        "type": "LOG_AVMELDING",
        "msg_id": "ad3f4e50-068e-11e8-b566-0800200c9a66",
        "gen_date": datetime(2018, 1, 31, 17, 12, 31),
        "kind": "AvmeldingUtskrivningsklarPasient",
        "events": [ADMITTED_2018, (3, date(2018, 1, 31), True), (4, date(2018, 1, 31), False)],
    },
    "plo-1.6/Pasientlogistikk_Melding_om_utskrevet_pasient_v1-6_Ny.xml": {
        "type": "LOG_UTSKREVET",
        "msg_id": "b5edd090-0697-11e8-b566-0800200c9a66",
        "gen_date": datetime(2018, 2, 1, 11, 20, 13),
        "kind": "MeldingOmUtskrevetPasient",
        "events": [(2, date(2018, 2, 1), False)],
        "discharged_to": CodedValue(code="1", text="Bosted/arbeidssted"),
        "discharge_condition": "1",
    },
    "constructed/01_MsgHead_LOG_INNLAGT_v1.6.xml": {
        "type": "LOG_INNLAGT",
        "msg_id": "6f1c2a52-9d7e-4b53-9a43-2f0d1c9b7e11",
        "gen_date": datetime(2025, 3, 10, 14, 40, 12),
        "kind": "MeldingInnlagtPasient",
        "events": [ADMITTED_2025],
        "patient": ("15076500565", "FNR", "Gundersen"),
        "responsible": (None, None),
        "contact_unit": "Ortopedisk sengepost 4",
    },
    "constructed/02_MsgHead_LOG_UTSKRIVNINGSKLAR_v1.6.xml": {
        "type": "LOG_UTSKRIVNINGSKLAR",
        "msg_id": "0b7f6a1e-3c2d-4e8f-9a10-5d6c7b8a9f01",
        "gen_date": datetime(2025, 3, 13, 11, 5, 40),
        "kind": "MeldingUtskrivningsklarPasient",
        "events": [ADMITTED_2025, (3, date(2025, 3, 13), False)],
        "patient": ("55076500559", "DNR", "Gundersen"),
        "responsible": ("9144900", "10"),
        "contact_unit": "Ortopedisk sengepost 4",
    },
}
OFFICIAL_DEFAULTS = {
    "sender": ST_OLAVS,
    "patient": ("15076500565", "FNR", "Gundersen"),
    "responsible": ("9876543", "9"),
    "contact_unit": "Ortopedisk avdeling Øya",
    "discharged_to": None,
    "discharge_condition": None,
}


def _read(elin_reference: Path, name: str, schema: etree.XMLSchema) -> ElinMessage:
    data = (elin_reference / "samples" / name).read_bytes()
    return read_message(data, schema=schema, supported_types=TYPES)


def test_every_msghead_sample_is_covered(elin_reference: Path) -> None:
    samples = elin_reference / "samples"
    names = {
        str(path.relative_to(samples))
        for folder in ("plo-1.6", "constructed")
        for path in (samples / folder).glob("*.xml")
        if b"<MsgHead" in path.read_bytes()
    }
    assert names == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_plo_sample(elin_reference: Path, elin_schema: etree.XMLSchema, name: str) -> None:
    expected = {**OFFICIAL_DEFAULTS, "sender": ST_OLAVS, **EXPECTED[name]}
    msg = _read(elin_reference, name, elin_schema)
    head, plo = msg.head, msg.plo
    assert plo is not None and msg.dialog is None
    assert (head.msg_type, head.msg_id, head.gen_date) == (
        expected["type"],
        expected["msg_id"],
        expected["gen_date"],
    )
    assert head.mig_version == "v1.2 2006-05-24"
    assert head.sender == expected["sender"]
    assert head.receiver == ALVDAL
    assert head.conversation_ref is None
    assert head.patient is not None
    number, kind, family = expected["patient"]
    assert (head.patient.id, head.patient.id_type, head.patient.family_name) == (
        number,
        kind,
        family,
    )
    assert (plo.version, plo.kind, plo.status) == ("1.6", expected["kind"], "N")
    assert [(e.code, e.at, e.estimated) for e in plo.events] == expected["events"]
    assert plo.discharged_to == expected["discharged_to"]
    assert plo.discharge_condition == expected["discharge_condition"]
    assert (plo.responsible_hpr, plo.responsible_role) == expected["responsible"]
    assert plo.contact_unit == expected["contact_unit"]
    assert content_errors(msg, receiver_known=lambda her: her == "5078") == []


def test_official_sample_details(elin_reference: Path, elin_schema: etree.XMLSchema) -> None:
    msg = _read(elin_reference, "plo-1.6/Pasientlogistikk_Innlagt_pasient_v1-6_Ny.xml", elin_schema)
    patient = msg.head.patient
    assert patient is not None
    assert (patient.given_name, patient.birth_date, patient.sex) == (
        "Roland",
        date(1965, 7, 15),
        "1",
    )
    assert patient.address is not None and patient.address.city == "Alvdal"
    assert not patient.without_fixed_home
    assert msg.plo is not None
    admitted = msg.plo.event(1)
    assert admitted is not None
    assert admitted.description == "Pasienten ble innlagt 29.01.2018 ved Ortopedisk avdeling"
    assert msg.plo.event(3) is None


def test_constructed_patient_without_address_counts_as_without_fixed_home(
    elin_reference: Path, elin_schema: etree.XMLSchema
) -> None:
    msg = _read(elin_reference, "constructed/01_MsgHead_LOG_INNLAGT_v1.6.xml", elin_schema)
    assert msg.head.patient is not None and msg.head.patient.address is None
    assert msg.head.patient.without_fixed_home


def test_avmelding_remark(elin_reference: Path, elin_schema: etree.XMLSchema) -> None:
    name = "plo-1.6/Pasientlogistikk_Avmelding_av_utskrivningsklar_pasient_v1-6_Ny.xml"
    msg = _read(elin_reference, name, elin_schema)
    assert msg.plo is not None
    withdrawn = msg.plo.event(4)
    assert withdrawn is not None and withdrawn.remark is not None
    assert withdrawn.remark.startswith("På bakgrunn av endring i helsetilstand")


def test_dialog_sample(elin_reference: Path, elin_schema: etree.XMLSchema) -> None:
    name = "dialogmelding/dialogmelding__1.1__helsefaglig-dialog__samsvar-test-message.xml"
    msg = _read(elin_reference, name, elin_schema)
    assert msg.plo is None and msg.dialog is not None
    assert (msg.head.msg_type, msg.head.msg_id) == (
        "DIALOG_HELSEFAGLIG",
        "615aba81-6a88-41d1-a9f5-90b28cfc8b73",
    )
    assert msg.head.gen_date == datetime(2025, 5, 13, 11, 56, 21)
    assert msg.head.sender == Party(
        her_id="112374",
        name="NORSK HELSENETT SF",
        service_her_id="8094866",
        service_name="Meldingsvalidering",
    )
    assert (msg.head.receiver.her_id, msg.head.receiver.service_her_id) == ("8142987", "8143060")
    dialog = msg.dialog
    assert (dialog.version, dialog.theme_code, dialog.theme_text, dialog.subject) == (
        "1.1",
        "8",
        "Forespørsel om helseopplysninger",
        "EKG tatt i dag",
    )
    assert len(dialog.notes) == 1 and dialog.notes[0].startswith("Pasienten er henvist")
    assert msg.content_version == "1.1"
    # The whole Dialogmelding element stays available for structured extensions.
    assert etree.QName(dialog.element()).localname == "Dialogmelding"
    assert dialog.element().find(".//{*}RollerRelatertNotat") is not None


def test_samples_read_without_a_schema(elin_reference: Path) -> None:
    for name in EXPECTED:
        data = (elin_reference / "samples" / name).read_bytes()
        with_schema_absent = read_message(data, schema=None, supported_types=TYPES)
        assert with_schema_absent.head.msg_id == EXPECTED[name]["msg_id"]
