"""Write valid ELIN input: MsgHead 1.2 with Pasientlogistikk 1.5/1.6 or Dialogmelding 1.1.

A helper for tests, benchmarks and simulators (the hub itself receives these messages). Every
value goes through lxml, so any text is escaped; the output validates against elin-all.xsd.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from lxml import etree

from hub_shared.elin.codes import (
    DESTINATION_OID,
    DESTINATION_TEXTS,
    EVENT_OID,
    EVENT_TEXTS,
    HER_TYPE,
    HER_TYPE_TEXT,
    MESSAGE_TYPE_TEXTS,
    MIG_MSGHEAD,
    NS_DIALOG_11,
    NS_FK1,
    NS_MSGHEAD,
    ORG_ID_TYPE_OID,
    PERSON_ID_TYPE_OID,
    PERSON_ID_TYPE_TEXTS,
    PLO_BODY_ELEMENTS,
    PLO_NAMESPACES,
    SEX_TEXTS,
    DialogTheme,
    DischargeCondition,
    MessageType,
    ShipmentStatus,
    oid,
)
from hub_shared.elin.models import (
    CodedValue,
    ConversationRef,
    Party,
    PatientIdentity,
    ResponsiblePerson,
    TimedEvent,
    format_datetime,
    format_ts,
)

PloVersion = Literal["1.5", "1.6"]
_ROLE_OID = oid(9034)
# How many TidsfestetHendelse each body takes (Pasientlogistikk 1.5/1.6 XSD): (min, max).
_EVENT_COUNTS = {
    "MeldingInnlagtPasient": (1, 1),
    "OrienteringOmDod": (1, 1),
    "MeldingOmUtskrevetPasient": (1, 1),
    "MeldingUtskrivningsklarPasient": (1, None),
    "AvmeldingUtskrivningsklarPasient": (1, None),
}


def _add(
    parent: etree._Element,
    tag: str,
    text: str | None = None,
    nsmap: dict[str | None, str] | None = None,
    **attrs: str | None,
) -> etree._Element:
    """A child element; attributes given as None are left out."""
    values = {key: value for key, value in attrs.items() if value is not None}
    node = etree.SubElement(parent, tag, values, nsmap=nsmap)
    if text is not None:
        node.text = text
    return node


Tag = Callable[[str], str]


def _ns(namespace: str) -> Tag:
    """A tag maker for one namespace: ``_ns(ns)("Id")`` is ``{ns}Id``."""
    return lambda name: f"{{{namespace}}}{name}"


_mh = _ns(NS_MSGHEAD)
_fk1 = _ns(NS_FK1)


# --- MsgHead ------------------------------------------------------------------------------------
def _her_ident(parent: etree._Element, her_id: str) -> None:
    ident = _add(parent, _mh("Ident"))
    _add(ident, _mh("Id"), her_id)
    _add(ident, _mh("TypeId"), V=HER_TYPE, DN=HER_TYPE_TEXT, S=ORG_ID_TYPE_OID)


def _organisation(parent: etree._Element, party: Party) -> None:
    if not party.her_id or not party.name:
        raise ValueError("a MsgHead party needs a HER-id and a name")
    org = _add(parent, _mh("Organisation"))
    _add(org, _mh("OrganisationName"), party.name)
    _her_ident(org, party.her_id)
    if party.service_her_id:
        service = _add(org, _mh("Organisation"))
        _add(service, _mh("OrganisationName"), party.service_name or party.name)
        _her_ident(service, party.service_her_id)


def _patient(parent: etree._Element, patient: PatientIdentity) -> None:
    node = _add(parent, _mh("Patient"))
    for tag, value in (
        ("FamilyName", patient.family_name),
        ("MiddleName", patient.middle_name),
        ("GivenName", patient.given_name),
        ("DateOfBirth", patient.birth_date.isoformat() if patient.birth_date else None),
    ):
        if value:
            _add(node, _mh(tag), value)
    if patient.sex:
        _add(node, _mh("Sex"), V=patient.sex, DN=SEX_TEXTS.get(patient.sex))
    if patient.id and patient.id_type:
        ident = _add(node, _mh("Ident"))
        _add(ident, _mh("Id"), patient.id)
        text = PERSON_ID_TYPE_TEXTS.get(patient.id_type)
        _add(ident, _mh("TypeId"), V=patient.id_type, DN=text, S=PERSON_ID_TYPE_OID)
    if patient.address is not None:
        _address(node, patient)


def _address(parent: etree._Element, patient: PatientIdentity) -> None:
    address = patient.address
    assert address is not None
    node = _add(parent, _mh("Address"))
    if address.type_code:
        _add(node, _mh("Type"), V=address.type_code, DN=address.type_text)
    for tag, value in (
        ("StreetAdr", address.street),
        ("PostalCode", address.postal_code),
        ("City", address.city),
    ):
        if value:
            _add(node, _mh(tag), value)


def _msg_head(
    *,
    msg_type: str,
    msg_id: str,
    gen_date: datetime,
    sender: Party,
    receiver: Party,
    patient: PatientIdentity | None,
    conversation_ref: ConversationRef | None,
) -> tuple[etree._Element, etree._Element]:
    """The MsgHead root and its empty RefDoc/Content, for the caller to fill."""
    root = etree.Element(_mh("MsgHead"), nsmap={None: NS_MSGHEAD})
    info = _add(root, _mh("MsgInfo"))
    _add(info, _mh("Type"), V=msg_type, DN=MESSAGE_TYPE_TEXTS.get(msg_type))
    _add(info, _mh("MIGversion"), MIG_MSGHEAD)
    _add(info, _mh("GenDate"), format_datetime(gen_date))
    _add(info, _mh("MsgId"), msg_id)
    if conversation_ref is not None:
        ref = _add(info, _mh("ConversationRef"))
        _add(ref, _mh("RefToParent"), conversation_ref.ref_to_parent)
        _add(ref, _mh("RefToConversation"), conversation_ref.ref_to_conversation)
    _organisation(_add(info, _mh("Sender")), sender)
    _organisation(_add(info, _mh("Receiver")), receiver)
    if patient is not None:
        _patient(info, patient)
    ref_doc = _add(_add(root, _mh("Document")), _mh("RefDoc"))
    _add(ref_doc, _mh("IssueDate"), V=format_datetime(gen_date))
    _add(ref_doc, _mh("MsgType"), V="XML", DN="XML-instans")
    return root, _add(ref_doc, _mh("Content"))


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- Pasientlogistikk ---------------------------------------------------------------------------
def _health_worker(parent: etree._Element, person: ResponsiblePerson, ns: Tag) -> None:
    profession = (person.profession_code, person.profession_text)
    _add(parent, ns("TypeHealthcareProfessional"), V=profession[0], DN=profession[1])
    _add(parent, ns("RoleToPatient"), V=person.role_code, DN=person.role_text, S=_ROLE_OID)
    _add(parent, ns("FamilyName"), person.family_name)
    if person.given_name:
        _add(parent, ns("GivenName"), person.given_name)
    ident = _add(parent, ns("Ident"))
    _add(ident, _fk1("Id"), person.hpr)
    _add(ident, _fk1("TypeId"), V="HPR", DN="HPR-nummer", S=PERSON_ID_TYPE_OID)


def _contact_unit(parent: etree._Element, po: Tag, name: str, sender: Party) -> None:
    unit = _add(_add(parent, po("TilknyttetEnhet")), po("Kontaktenhet"))
    _add(unit, _fk1("OrganisationName"), name)
    ident = _add(unit, _fk1("Ident"))  # fk1:Organisation requires an Ident
    _add(ident, _fk1("Id"), sender.most_specific_her_id or "")
    _add(ident, _fk1("TypeId"), V=HER_TYPE, DN=HER_TYPE_TEXT, S=ORG_ID_TYPE_OID)


def _timed_event(parent: etree._Element, po: Tag, event: TimedEvent) -> None:
    node = _add(parent, po("TidsfestetHendelse"))
    if event.code is not None:
        text = EVENT_TEXTS.get(event.code)
        _add(node, po("Hendelsekode"), V=str(event.code), DN=text, S=EVENT_OID)
    if event.description:
        _add(node, po("BeskrivelseAvHendelse"), event.description)
    _add(node, po("TidspunktForHendelse"), V=format_ts(event.at))
    _add(node, po("Anslag"), "true" if event.estimated else "false")
    if event.remark:
        _add(node, po("Merknad"), event.remark)


def _discharged_to(
    parent: etree._Element, po: Tag, to: CodedValue | None, condition: str | None
) -> None:
    if to is None:
        raise ValueError("LOG_UTSKREVET needs discharged_to (UtTil, list 8408)")
    node = _add(parent, po("UtskrevetTil"))
    if condition is not None:
        text = DischargeCondition(condition).text if condition in ("1", "2", "3") else None
        _add(node, po("Uttilstand"), V=condition, DN=text, S=oid(8431))
    text = to.text or DESTINATION_TEXTS.get(to.code)
    _add(node, po("UtTil"), V=to.code, DN=text, S=DESTINATION_OID)


def _check_event_count(body: str, events: Sequence[TimedEvent]) -> None:
    low, high = _EVENT_COUNTS[body]
    if len(events) < low or (high is not None and len(events) > high):
        raise ValueError(f"{body} takes {low}..{high or 'n'} events, got {len(events)}")


def build_plo_message(
    *,
    msg_type: str,
    version: PloVersion = "1.6",
    msg_id: str,
    gen_date: datetime,
    sender: Party,
    receiver: Party,
    patient: PatientIdentity | None,
    status: str = "N",
    events: Sequence[TimedEvent],
    conversation_ref: ConversationRef | None = None,
    discharged_to: CodedValue | None = None,
    discharge_condition: str | None = None,
    responsible: ResponsiblePerson | None = None,
    contact_unit: str | None = None,
) -> bytes:
    """MsgHead + Pasientlogistikk with the body element of ``msg_type`` (LOG_INNLAGT,
    LOG_UTSKRIVNINGSKLAR, LOG_AVMELDING, LOG_UTSKREVET or LOG_DOD)."""
    body_name = PLO_BODY_ELEMENTS.get(msg_type)
    if body_name is None:
        raise ValueError(f"not a Pasientlogistikk message type: {msg_type}")
    _check_event_count(body_name, events)
    root, content = _msg_head(
        msg_type=msg_type,
        msg_id=msg_id,
        gen_date=gen_date,
        sender=sender,
        receiver=receiver,
        patient=patient,
        conversation_ref=conversation_ref,
    )
    p1_ns, po_ns = PLO_NAMESPACES[version]
    p1, po = _ns(p1_ns), _ns(po_ns)
    plo = _add(content, p1("Pasientlogistikk"), nsmap={"p1": p1_ns, None: po_ns, "fk1": NS_FK1})
    shipment = _add(plo, po("InformasjonOmForsendelsen"))
    _add(shipment, po("Forsendelsesstatus"), V=status, DN=ShipmentStatus(status).text)
    if contact_unit:
        _contact_unit(plo, po, contact_unit, sender)
    if responsible is not None:
        holder = _add(_add(plo, po("AnsvarForRapport")), po("AnsvarligRapport"))
        _health_worker(holder, responsible, _fk1)
    body = _add(plo, p1(body_name))
    if body_name == "MeldingOmUtskrevetPasient":
        _discharged_to(body, po, discharged_to, discharge_condition)
    for event in events:
        _timed_event(body, po, event)
    return _serialise(root)


# --- Dialogmelding 1.1 --------------------------------------------------------------------------
def build_dialog_message(
    *,
    msg_id: str,
    gen_date: datetime,
    sender: Party,
    receiver: Party,
    patient: PatientIdentity | None,
    note: str,
    theme: str = DialogTheme.DISCHARGE_READY_ANSWER,
    theme_text: str | None = None,
    subject: str | None = None,
    conversation_ref: ConversationRef | None = None,
    responsible: ResponsiblePerson | None = None,
    msg_type: str = MessageType.DIALOG_HELSEFAGLIG,
) -> bytes:
    """MsgHead + Dialogmelding 1.1 (Helsefaglig dialog): one Notat with TemaKodet (list 7322),
    Tema (``subject``, defaults to the theme's text) and the free-text note."""
    known = theme in {member.value for member in DialogTheme}
    text = theme_text or (DialogTheme(theme).text if known else None)
    root, content = _msg_head(
        msg_type=str(msg_type),
        msg_id=msg_id,
        gen_date=gen_date,
        sender=sender,
        receiver=receiver,
        patient=patient,
        conversation_ref=conversation_ref,
    )
    dia = _ns(NS_DIALOG_11)
    dialog = _add(content, dia("Dialogmelding"), nsmap={None: NS_DIALOG_11, "fk1": NS_FK1})
    notat = _add(dialog, dia("Notat"))
    _add(notat, dia("TemaKodet"), V=str(theme), DN=text, S=oid(7322))
    _add(notat, dia("Tema"), subject or text or str(theme))
    _add(notat, dia("TekstNotatInnhold"), note)
    if responsible is not None:
        roles = _add(notat, dia("RollerRelatertNotat"))
        _health_worker(_add(roles, dia("HealthcareProfessional")), responsible, dia)
    return _serialise(root)
