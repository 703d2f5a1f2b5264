"""The builder writes schema-valid MsgHead + PLO 1.5/1.6 and Dialogmelding 1.1 that read back equal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from lxml import etree

from hub_shared.elin.builder import build_plo_message
from hub_shared.elin.codes import PLO_NAMESPACES, DialogTheme
from hub_shared.elin.models import Address, CodedValue, ConversationRef, PatientIdentity, TimedEvent
from hub_shared.elin.reader import read_message

PLO_TYPES = ["LOG_INNLAGT", "LOG_UTSKRIVNINGSKLAR", "LOG_AVMELDING", "LOG_UTSKREVET", "LOG_DOD"]
BODIES = {
    "LOG_INNLAGT": "MeldingInnlagtPasient",
    "LOG_UTSKRIVNINGSKLAR": "MeldingUtskrivningsklarPasient",
    "LOG_AVMELDING": "AvmeldingUtskrivningsklarPasient",
    "LOG_UTSKREVET": "MeldingOmUtskrevetPasient",
    "LOG_DOD": "OrienteringOmDod",
}


def _valid(data: bytes, schema: etree.XMLSchema) -> etree._Element:
    root = etree.fromstring(data)
    assert schema.validate(root), schema.error_log.filter_from_errors()
    return root


@pytest.mark.parametrize("version", ["1.5", "1.6"])
@pytest.mark.parametrize("msg_type", PLO_TYPES)
def test_plo_validates_and_reads_back(
    msg_type: str, version: str, data: SimpleNamespace, elin_schema: etree.XMLSchema
) -> None:
    ref = ConversationRef(ref_to_parent=str(uuid.uuid4()), ref_to_conversation=str(uuid.uuid4()))
    kwargs = data.plo_kwargs(msg_type, version=version, status="M", conversation_ref=ref)
    root = _valid(build_plo_message(**kwargs), elin_schema)
    body_ns = PLO_NAMESPACES[version][0]
    assert root.find(f".//{{{body_ns}}}{BODIES[msg_type]}") is not None

    msg = read_message(etree.tostring(root), schema=elin_schema, supported_types=data.all_types)
    head, plo = msg.head, msg.plo
    assert (head.msg_type, head.msg_id, head.gen_date) == (
        msg_type,
        kwargs["msg_id"],
        kwargs["gen_date"],
    )
    assert (head.sender, head.receiver, head.patient) == (
        data.hospital,
        data.municipality,
        data.patient,
    )
    assert head.conversation_ref == ref
    assert plo is not None
    assert (plo.version, plo.kind, plo.status) == (version, BODIES[msg_type], "M")
    assert plo.events == tuple(kwargs["events"])
    assert plo.discharged_to == kwargs.get("discharged_to")
    assert plo.discharge_condition == kwargs.get("discharge_condition")
    assert (plo.responsible_hpr, plo.responsible_role) == ("9144900", "10")
    assert plo.contact_unit == "Ortopedisk sengepost 4"
    assert msg.content_version == version


def test_minimal_plo(data: SimpleNamespace, elin_schema: etree.XMLSchema) -> None:
    kwargs = data.plo_kwargs(patient=None, responsible=None, contact_unit=None)
    msg = read_message(
        _bytes := build_plo_message(**kwargs), schema=elin_schema, supported_types=data.all_types
    )
    _valid(_bytes, elin_schema)
    assert msg.head.patient is None and msg.plo is not None
    assert (msg.plo.responsible_hpr, msg.plo.contact_unit) == (None, None)


def test_values_are_escaped_and_kept(data: SimpleNamespace, elin_schema: etree.XMLSchema) -> None:
    patient = PatientIdentity(
        id="55076500559",
        id_type="DNR",
        family_name='O\'Brien <&> "Æøå"',
        address=Address(street="Uten fast bopel", type_code="H", type_text="Bostedsadresse"),
    )
    event = TimedEvent(code=1, at=date(2025, 3, 10), estimated=True, description="</Content>&")
    kwargs = data.plo_kwargs(patient=patient, events=[event])
    msg = read_message(
        _valid_bytes(kwargs, elin_schema), schema=elin_schema, supported_types=data.all_types
    )
    assert msg.head.patient == patient
    assert msg.head.patient is not None and msg.head.patient.without_fixed_home
    assert msg.plo is not None and msg.plo.events == (event,)


def _valid_bytes(kwargs: dict, schema: etree.XMLSchema) -> bytes:
    result = build_plo_message(**kwargs)
    _valid(result, schema)
    return result


@pytest.mark.parametrize(
    "at", [datetime(2025, 3, 10, 14, 32, 5), date(2025, 3, 10), "2025", "2025-03", "14:32:00"]
)
def test_every_ts_form_round_trips(
    at: datetime | date | str, data: SimpleNamespace, elin_schema: etree.XMLSchema
) -> None:
    event = TimedEvent(code=1, at=at, estimated=False)
    kwargs = data.plo_kwargs(events=[event])
    msg = read_message(
        _valid_bytes(kwargs, elin_schema), schema=elin_schema, supported_types=data.all_types
    )
    assert msg.plo is not None and msg.plo.events == (event,)


def test_died_in_hospital(data: SimpleNamespace, elin_schema: etree.XMLSchema) -> None:
    kwargs = data.plo_kwargs(
        "LOG_UTSKREVET", discharged_to=CodedValue(code="98"), discharge_condition="2"
    )
    msg = read_message(
        _valid_bytes(kwargs, elin_schema), schema=elin_schema, supported_types=data.all_types
    )
    assert msg.plo is not None
    assert msg.plo.discharge_condition == "2"
    assert msg.plo.discharged_to == CodedValue(code="98", text="Ukjent")


@pytest.mark.parametrize(
    ("msg_type", "events", "extra", "message"),
    [
        ("LOG_INNLAGT", [], {}, "events"),
        ("LOG_INNLAGT", ["admitted", "admitted"], {}, "events"),
        ("LOG_UTSKREVET", ["discharged"], {"discharged_to": None}, "discharged_to"),
        ("DIALOG_HELSEFAGLIG", ["admitted"], {}, "Pasientlogistikk"),
    ],
)
def test_builder_refuses_what_would_not_validate(
    msg_type: str, events: list[str], extra: dict, message: str, data: SimpleNamespace
) -> None:
    by_name = {
        "admitted": TimedEvent(code=1, at=date(2025, 1, 1), estimated=False),
        "discharged": TimedEvent(code=2, at=date(2025, 1, 2), estimated=False),
    }
    kwargs = data.plo_kwargs("LOG_INNLAGT", **extra)
    kwargs.update(msg_type=msg_type, events=[by_name[e] for e in events])
    with pytest.raises(ValueError, match=message):
        build_plo_message(**kwargs)


def test_party_without_her_id_is_refused(data: SimpleNamespace) -> None:
    from hub_shared.elin.models import Party

    with pytest.raises(ValueError, match="HER-id"):
        build_plo_message(**data.plo_kwargs(receiver=Party(name="Ukjent")))


# --- Dialogmelding 1.1 ----------------------------------------------------------------------------
def test_dialog_validates_and_reads_back(
    make_dialog: Callable[..., bytes], data: SimpleNamespace, elin_schema: etree.XMLSchema
) -> None:
    ref = ConversationRef(ref_to_parent="p", ref_to_conversation="c")
    raw = make_dialog(conversation_ref=ref, responsible=data.doctor)
    _valid(raw, elin_schema)
    msg = read_message(raw, schema=elin_schema, supported_types=data.all_types)
    assert msg.plo is None and msg.dialog is not None
    assert msg.head.msg_type == "DIALOG_HELSEFAGLIG"
    assert (msg.head.sender, msg.head.receiver) == (data.municipality, data.hospital)
    assert msg.head.conversation_ref == ref
    dialog = msg.dialog
    assert (dialog.theme_code, dialog.theme_text) == ("7", DialogTheme.DISCHARGE_READY_ANSWER.text)
    assert dialog.subject == DialogTheme.DISCHARGE_READY_ANSWER.text
    assert dialog.notes == ("Kommunen kan ta imot pasienten fredag.",)
    hpr = dialog.element().findtext(".//{*}HealthcareProfessional/{*}Ident/{*}Id")
    assert hpr == "9144900"


def test_dialog_other_theme_and_subject(
    make_dialog: Callable[..., bytes], data: SimpleNamespace, elin_schema: etree.XMLSchema
) -> None:
    raw = make_dialog(theme="6", subject="Spørsmål om <bolig> & oppfølging", note="a < b")
    _valid(raw, elin_schema)
    dialog = read_message(raw, schema=elin_schema, supported_types=data.all_types).dialog
    assert dialog is not None
    assert (dialog.theme_code, dialog.theme_text) == ("6", "Henvendelse om pasient")
    assert (dialog.subject, dialog.notes) == ("Spørsmål om <bolig> & oppfølging", ("a < b",))
