"""Regression snapshot: what the reader extracts, rejects and answers stays exactly the same.

Every official sample, a few hundred generated messages and seeded mutations of them (elements
removed, duplicated, emptied, commented; bytes overwritten) are read with and without the
schema; the outcome (every field of the model with its type and whether it was set, or the
rejection's codes, texts, head and version) and the AppRec written for it are reduced to one
digest per group. The digests were written down from the reader before its optimisation; a
changed digest means changed behaviour, which the other tests may not pin down.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from pydantic import BaseModel

from hub_shared.elin.apprec import apprec_version_for, build_apprec
from hub_shared.elin.builder import build_dialog_message, build_plo_message
from hub_shared.elin.checks import content_errors
from hub_shared.elin.codes import PLO_BODY_ELEMENTS
from hub_shared.elin.models import (
    Address,
    AppRecError,
    CodedValue,
    ConversationRef,
    MsgHeadInfo,
    Party,
    PatientIdentity,
    ResponsiblePerson,
    TimedEvent,
)
from hub_shared.elin.reader import MessageRejected, parse_apprec, read_message
from hub_shared.elin.safe_xml import XmlRejected, parse_xml

TYPES = frozenset({*PLO_BODY_ELEMENTS, "DIALOG_HELSEFAGLIG"})
APPREC_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
APPREC_DATE = datetime(2025, 1, 2, 3, 4, 5)
HUB = Party(her_id="1", name="Hub", service_her_id="2", service_name="Mottak")
EXPECTED = {
    "samples": "031ed70a7f4f4c1a5c498e3220a818bc",
    "generated": "bc59b7f01f66f2cca2b8926caa02e029",
    "structural": "59dd6bf91ba9436f15ae50c804083b94",
    "bytes": "3b4cab6ef2ea11574a0559614e877017",
    "safe_xml": "38e6bb3de5da19d6c19789f5ae5d54c3",
}


# --- canonical form of an outcome ---------------------------------------------------------------
def _canon(value: object) -> object:
    """The value with every type spelt out (a date is not a datetime, a set field not a default)."""
    if isinstance(value, BaseModel):
        fields = {name: _canon(getattr(value, name)) for name in type(value).model_fields}
        return type(value).__name__, sorted(value.model_fields_set), fields
    if isinstance(value, tuple | list):
        return type(value).__name__, [_canon(item) for item in value]
    if isinstance(value, AppRecError):
        return "AppRecError", value.code.value, value.extra
    return type(value).__name__, value


def _apprec(head: MsgHeadInfo | None, errors: list[AppRecError], version: str | None) -> bytes:
    return build_apprec(
        original=head,
        errors=errors,
        version=apprec_version_for(version),
        apprec_id=APPREC_ID,
        gen_date=APPREC_DATE,
        hub=HUB,
    )


def _outcome(data: bytes, schema: etree.XMLSchema | None) -> str:
    """The read message or the rejection, and the AppRec it is answered with."""
    try:
        msg = read_message(data, schema=schema, supported_types=TYPES)
    except MessageRejected as rejected:
        head, version = rejected.head, rejected.content_version
        apprec = _apprec(head, rejected.errors, version)
        return repr(
            ("rejected", str(rejected), _canon(rejected.errors), _canon(head), version, apprec)
        )
    errors = content_errors(msg, receiver_known=lambda her_id: her_id in {"5078", "99387"})
    return repr(("read", _canon(msg), _apprec(msg.head, errors, msg.content_version)))


def _apprec_outcome(data: bytes, schema: etree.XMLSchema | None) -> str:
    try:
        return repr(("apprec", _canon(parse_apprec(data, schema=schema))))
    except MessageRejected as rejected:
        return repr(("rejected", _canon(rejected.errors), _canon(rejected.head)))


def _digest(outcomes: Iterator[str]) -> str:
    hasher = hashlib.sha256()
    for outcome in outcomes:
        hasher.update(outcome.encode() + b"\0")
    return hasher.hexdigest()[:32]


def _both(data: bytes, schema: etree.XMLSchema) -> Iterator[str]:
    yield _outcome(data, schema)
    yield _outcome(data, None)


# --- generated messages -------------------------------------------------------------------------
PARTIES = (
    Party(her_id="59", name="ST OLAVS HOSPITAL HF", service_her_id="90998", service_name="Orto"),
    Party(her_id="99387", name="Alvdal Kommune", service_her_id="5078", service_name="Pleie"),
    Party(her_id="99387", name="Alvdal Kommune"),
    Party(her_id="4242", name="  Spaced  Name  ", service_her_id="77"),
)
ADDRESSES = (
    None,
    Address(street="Flåklypa 31", postal_code="2560", city="Alvdal"),
    Address(street="Uten fast bopel", type_code="H", type_text="Hjemmeadresse"),
    Address(city="Oslo", type_code="TPA"),
)


def _patient(rng: random.Random) -> PatientIdentity | None:
    draw = rng.random()
    if draw < 0.05:
        return None
    kinds = ("FNR", "DNR", "FHN", "XXX", None)
    kind = rng.choice(kinds) if draw < 0.3 else "FNR"
    return PatientIdentity(
        id=f"{rng.randrange(10**11):011d}" if kind else None,
        id_type=kind,
        family_name=rng.choice(("Gundersen", "Ås", "O'Brien & Co <x>")),
        given_name=rng.choice((None, "Roland", "Rita")),
        middle_name=rng.choice((None, "Mid")),
        birth_date=rng.choice((None, date(1965, 7, 15))),
        sex=rng.choice((None, "1", "2", "9")),
        address=rng.choice(ADDRESSES),
    )


def _moment(rng: random.Random) -> datetime | date:
    moment = datetime(2024, 1, 1) + timedelta(seconds=rng.randrange(365 * 86400))
    return moment.date() if rng.random() < 0.3 else moment


def _event(rng: random.Random, code: int) -> TimedEvent:
    return TimedEvent(
        code=code,
        at=_moment(rng),
        estimated=rng.random() < 0.5,
        description=rng.choice((None, "Beskrivelse")),
        remark=rng.choice((None, "Merknad  ")),
    )


def _common(rng: random.Random) -> dict[str, object]:
    sender, receiver = rng.sample(PARTIES, 2)
    ref = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return {
        "msg_id": rng.choice((str(uuid.UUID(int=rng.getrandbits(128), version=4)), "not-a-uuid")),
        "gen_date": datetime(2024, 6, 1) + timedelta(seconds=rng.randrange(86400 * 30)),
        "sender": sender,
        "receiver": receiver,
        "patient": _patient(rng),
        "conversation_ref": ConversationRef(ref_to_parent=ref, ref_to_conversation=ref)
        if rng.random() < 0.3
        else None,
        "responsible": rng.choice((None, ResponsiblePerson(hpr="9144900", family_name="Lin"))),
    }


def _plo(rng: random.Random) -> bytes:
    msg_type = rng.choice(sorted(PLO_BODY_ELEMENTS))
    count = rng.randint(1, 3) if msg_type in {"LOG_UTSKRIVNINGSKLAR", "LOG_AVMELDING"} else 1
    events = [_event(rng, rng.choice((1, 2, 3, 4, 13))) for _ in range(count)]
    return build_plo_message(
        msg_type=msg_type,
        version=rng.choice(("1.5", "1.6")),
        status=rng.choice(("N", "M", "C")),
        events=events,
        discharged_to=CodedValue(code=rng.choice(("1", "2")), text=rng.choice((None, "Hjem"))),
        discharge_condition=rng.choice((None, "1", "3")),
        contact_unit=rng.choice((None, "Sengepost 4")),
        **_common(rng),  # type: ignore[arg-type]
    )


def _dialog(rng: random.Random) -> bytes:
    return build_dialog_message(
        note=rng.choice(("Kan tas imot fredag.", "  Flere\nlinjer  ", "<b>&amp;</b>")),
        theme=rng.choice(("1", "8", "99")),
        subject=rng.choice((None, "Tema")),
        **_common(rng),  # type: ignore[arg-type]
    )


def _generated(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [(_dialog if rng.random() < 0.2 else _plo)(rng) for _ in range(count)]


# --- mutations ----------------------------------------------------------------------------------
def _structural(data: bytes, rng: random.Random) -> bytes:
    root = etree.fromstring(data)
    nodes = [node for node in root.iter() if node is not root]
    node = rng.choice(nodes)
    parent = node.getparent()
    action = rng.randrange(7)
    if action == 0:
        parent.remove(node)
    elif action == 1:
        node.addnext(etree.fromstring(etree.tostring(node)))
    elif action == 2:
        node.text = rng.choice(("", "   ", " padded ", "2024-13-40T25:00:00", "x"))
    elif action == 3:
        node.insert(0, etree.Comment("note"))
        node.addprevious(etree.Comment("before"))
    elif action == 4 and node.attrib:
        node.set(rng.choice(sorted(node.attrib)), rng.choice(("", "  ", " 1 ", "HER", "FNR")))
    elif action == 5:
        node.tag = "{urn:elsewhere}" + etree.QName(node).localname
    else:
        parent.remove(node)
        rng.choice([n for n in root.iter() if isinstance(n.tag, str)]).append(node)
    return etree.tostring(root, xml_declaration=rng.random() < 0.5, encoding="UTF-8")


def _overwritten(data: bytes, rng: random.Random) -> bytes:
    mutant = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(mutant))
        mutant[at : at + 2] = rng.choice((b"", b"<", b">", b"\0", b"x", b'"', b"/>", b"&"))
    return bytes(mutant)


SAFE_XML_INPUTS: tuple[bytes, ...] = (
    b"<a/>",
    b"<a>" * 64 + b"</a>" * 64,
    b"<a>" * 65 + b"</a>" * 65,
    b"<a>" * 63 + b"<!--c-->" + b"</a>" * 63,
    b"<a>" * 64 + b"<!--c-->" + b"</a>" * 64,
    b"<a>" * 64 + b"text" + b"</a>" * 64,
    b"<a>" * 64 + b"<?pi x?>" + b"</a>" * 64,
    b"<a>" * 200 + b"</a>" * 200,
    b'<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="x"/></a>',
    b'<a xmlns:xi="http://www.w3.org/2003/XInclude"><b><xi:fallback/></b></a>',
    b'<a xmlns:xi="http://www.w3.org/2001/XInclude" xi:href="x"/>',
    b'<a xmlns:xi="http://www.w3.org/2001/XInclude"/>',
    b"<a>" * 70 + b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude"/>' + b"</a>" * 70,
    b"<!--c--><a/><!--d-->",
    b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
    b"",
    b"<a></b>",
    b'<?xml version="1.0" encoding="nonsense"?><a/>',
    '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE a><a/>'.encode("utf-32"),
    '<?xml version="1.0" encoding="UTF-16"?><a>Øya</a>'.encode("utf-16"),
)


def _safe_xml_outcome(data: bytes, **limits: int) -> str:
    try:
        root = parse_xml(data, **limits)
    except XmlRejected as rejected:
        return repr(("rejected", rejected.code, rejected.text))
    return repr(("root", etree.tostring(root)))


# --- the snapshot -------------------------------------------------------------------------------
def _groups(elin_reference: Path, schema: etree.XMLSchema) -> dict[str, Callable[[], str]]:
    samples = sorted((elin_reference / "samples").rglob("*.xml"))
    generated = _generated(300, seed=7)

    def sample_outcomes() -> Iterator[str]:
        for path in samples:
            data = path.read_bytes()
            yield path.name
            yield from _both(data, schema)
            yield _apprec_outcome(data, schema)
            yield _apprec_outcome(data, None)

    def structural() -> Iterator[str]:
        rng = random.Random(11)
        for data in generated[:200]:
            yield from _both(_structural(data, rng), schema)

    def overwritten() -> Iterator[str]:
        rng = random.Random(13)
        for data in generated[:150]:
            yield from _both(_overwritten(data, rng), schema)

    def safe_xml() -> Iterator[str]:
        for data in SAFE_XML_INPUTS:
            yield _safe_xml_outcome(data)
            yield _safe_xml_outcome(data, max_depth=3, max_bytes=40)

    return {
        "samples": lambda: _digest(sample_outcomes()),
        "generated": lambda: _digest(o for data in generated for o in _both(data, schema)),
        "structural": lambda: _digest(structural()),
        "bytes": lambda: _digest(overwritten()),
        "safe_xml": lambda: _digest(safe_xml()),
    }


@pytest.mark.parametrize("group", sorted(EXPECTED))
def test_outcomes_match_the_snapshot(
    group: str, elin_reference: Path, elin_schema: etree.XMLSchema
) -> None:
    assert _groups(elin_reference, elin_schema)[group]() == EXPECTED[group]
