"""Each rejection path of read_message gives the right AppRec code, in the documented order."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hub_shared.elin.codes import NS_MSGHEAD, AppRecErrorCode
from hub_shared.elin.reader import MessageRejected, read_message

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
MH = f"{{{NS_MSGHEAD}}}"


def _reject(
    data: bytes, schema: etree.XMLSchema | None, types: frozenset[str], **kw: int
) -> MessageRejected:
    with pytest.raises(MessageRejected) as caught:
        read_message(data, schema=schema, supported_types=types, **kw)
    return caught.value


def _codes(rejected: MessageRejected) -> list[str]:
    return [error.code.value for error in rejected.errors]


def _edit(data: bytes, change: Callable[[etree._Element], None]) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root)


def _remove(path: str) -> Callable[[etree._Element], None]:
    def change(root: etree._Element) -> None:
        node = root.find(path)
        assert node is not None, path
        node.getparent().remove(node)

    return change


# --- T01 ------------------------------------------------------------------------------------------
BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]><MsgHead>&lol9;</MsgHead>"
)
HOSTILE = {
    "garbage": b"\x00\xff\xfegarbage",
    "empty": b"",
    "not xml": b"MSH|^~\\&|DIPS|",
    "doctype with entity": b'<!DOCTYPE MsgHead [<!ENTITY x "y">]><MsgHead>&x;</MsgHead>',
    "billion laughs": BILLION_LAUGHS,
    "external dtd": b'<!DOCTYPE MsgHead SYSTEM "http://example.invalid/evil.dtd"><MsgHead/>',
    "xxe file": b'<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><MsgHead>&x;</MsgHead>',
    "undecodable utf-8": b'<?xml version="1.0" encoding="UTF-8"?><MsgHead>\xc3\x28</MsgHead>',
    "unknown encoding": b'<?xml version="1.0" encoding="x-nonsense"?><MsgHead/>',
    "too deep": b"<a>" * 100 + b"</a>" * 100,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_t01_hostile_or_unreadable(name: str, elin_schema: etree.XMLSchema) -> None:
    rejected = _reject(HOSTILE[name], elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T01"]
    assert rejected.head is None and rejected.content_version is None


def test_t01_truncated(make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema) -> None:
    data = make_plo()
    rejected = _reject(data[: len(data) // 2], elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T01"]
    assert "line" in rejected.errors[0].extra


def test_t01_xinclude_inside_a_valid_message(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    def add_xinclude(root: etree._Element) -> None:
        name = root.find(f"{MH}MsgInfo/{MH}Sender/{MH}Organisation/{MH}OrganisationName")
        xi = etree.SubElement(name, "{http://www.w3.org/2001/XInclude}include")
        xi.set("href", "/etc/passwd")
        xi.set("parse", "text")

    rejected = _reject(_edit(make_plo(), add_xinclude), elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T01"]
    assert "XInclude" in rejected.errors[0].extra


def test_t01_too_big(make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema) -> None:
    data = make_plo()
    rejected = _reject(data, elin_schema, frozenset({"LOG_INNLAGT"}), max_bytes=len(data) - 1)
    assert _codes(rejected) == ["T01"]
    read_message(
        data, schema=elin_schema, supported_types=frozenset({"LOG_INNLAGT"}), max_bytes=len(data)
    )


def test_t01_text_never_quotes_the_document(elin_schema: etree.XMLSchema) -> None:
    data = b"<MsgHead><Patient>15076500565 Gundersen</Patient></MsgHeadX>"
    rejected = _reject(data, elin_schema, frozenset({"LOG_INNLAGT"}))
    assert "15076500565" not in rejected.errors[0].extra
    assert "Gundersen" not in rejected.errors[0].extra


# --- T10 ------------------------------------------------------------------------------------------
def test_t10_wrong_root(elin_reference: Path, elin_schema: etree.XMLSchema) -> None:
    apprec = (elin_reference / "samples" / "apprec" / "app-rec__1.1__example-ok.xml").read_bytes()
    for data in (apprec, b"<MsgHead/>", b'<MsgHead xmlns="urn:other"/>'):
        rejected = _reject(data, elin_schema, frozenset({"LOG_INNLAGT"}))
        assert _codes(rejected) == ["T10"]


def test_t10_unsupported_content_namespace(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    old = b"http://www.kith.no/xmlstds/po/Pasientlogistikk/2012-04-01"
    data = make_plo().replace(old, b"http://www.kith.no/xmlstds/po/Pasientlogistikk/2008-02-20")
    rejected = _reject(data, elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T10"]
    # The head is still read, so the AppRec can echo it.
    assert rejected.head is not None and rejected.head.msg_type == "LOG_INNLAGT"


def test_t10_unsupported_type(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema, data: SimpleNamespace
) -> None:
    rejected = _reject(make_plo("LOG_UTSKREVET"), elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T10"]
    assert "LOG_UTSKREVET" in rejected.errors[0].extra
    assert rejected.head is not None and rejected.head.sender == data.hospital
    assert rejected.content_version == "1.6"


def test_t10_type_does_not_fit_the_content(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    # A LOG_INNLAGT head around a discharge body must not be taken for an admission.
    body = make_plo("LOG_UTSKREVET")
    mislabelled = body.replace(b'V="LOG_UTSKREVET"', b'V="LOG_INNLAGT"', 1)
    rejected = _reject(mislabelled, elin_schema, frozenset({"LOG_INNLAGT", "LOG_UTSKREVET"}))
    assert _codes(rejected) == ["T10"]


def test_t10_arbitrary_type_text_is_not_echoed(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    data = make_plo().replace(b'V="LOG_INNLAGT"', b'V="Gundersen 15076500565"', 1)
    rejected = _reject(data, elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T10"]
    assert "15076500565" not in rejected.errors[0].extra


# --- T02 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "element"),
    [
        (f"{MH}MsgInfo/{MH}GenDate", "GenDate"),
        (".//{*}TidsfestetHendelse/{*}Anslag", "Anslag"),
        (".//{*}InformasjonOmForsendelsen", "InformasjonOmForsendelsen"),
    ],
)
def test_t02_required_element_removed(
    path: str, element: str, make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    data = _edit(make_plo(), _remove(path))
    rejected = _reject(data, elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T02"]
    text = rejected.errors[0].extra
    assert re.search(r"line \d+", text)
    assert element in text or "Expected" in text
    assert rejected.head is not None and rejected.head.msg_id is not None
    assert rejected.content_version == "1.6"


def test_t02_text_holds_no_patient_data(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    def corrupt(root: etree._Element) -> None:
        root.find(f"{MH}MsgInfo/{MH}Patient/{MH}DateOfBirth").text = "15076500565 O'Gundersen"

    rejected = _reject(_edit(make_plo(), corrupt), elin_schema, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T02"]
    text = rejected.errors[0].extra
    assert "DateOfBirth" in text
    assert "15076500565" not in text and "Gundersen" not in text


def test_t02_without_schema_from_the_reader_itself(make_plo: Callable[..., bytes]) -> None:
    data = _edit(make_plo(), _remove(".//{*}TidsfestetHendelse/{*}Anslag"))
    rejected = _reject(data, None, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T02"]
    assert "Anslag" in rejected.errors[0].extra


def test_t02_without_schema_missing_msg_id(make_plo: Callable[..., bytes]) -> None:
    data = _edit(make_plo(), _remove(f"{MH}MsgInfo/{MH}MsgId"))
    rejected = _reject(data, None, frozenset({"LOG_INNLAGT"}))
    assert _codes(rejected) == ["T02"]
    assert "MsgId" in rejected.errors[0].extra


# --- order ----------------------------------------------------------------------------------------
def test_schema_errors_come_before_an_unsupported_type(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    data = _edit(make_plo(), _remove(f"{MH}MsgInfo/{MH}GenDate"))
    assert _codes(_reject(data, elin_schema, frozenset({"DIALOG_HELSEFAGLIG"}))) == ["T02"]


def test_unsupported_content_comes_before_schema_errors(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    data = _edit(make_plo(), _remove(f"{MH}MsgInfo/{MH}GenDate"))
    data = data.replace(b"Pasientlogistikk/2012-04-01", b"Pasientlogistikk/2030-01-01")
    assert _codes(_reject(data, elin_schema, frozenset({"LOG_INNLAGT"}))) == ["T10"]


def test_exception_text_has_codes_only(
    make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    data = _edit(make_plo(), _remove(f"{MH}MsgInfo/{MH}GenDate"))
    rejected = _reject(data, elin_schema, frozenset({"LOG_INNLAGT"}))
    assert str(rejected) == "message rejected: T02"
    assert "15076500565" not in repr(rejected.head) and "Gundersen" not in repr(rejected.head)


# --- arbitrary input never escapes as anything but MessageRejected -------------------------------
TYPES = frozenset({"LOG_INNLAGT", "LOG_UTSKRIVNINGSKLAR", "DIALOG_HELSEFAGLIG"})


@PROPERTY
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_message_rejected(
    data: bytes, elin_schema: etree.XMLSchema
) -> None:
    with pytest.raises(MessageRejected) as caught:
        read_message(data, schema=elin_schema, supported_types=TYPES)
    assert caught.value.errors and all(e.code in AppRecErrorCode for e in caught.value.errors)


@PROPERTY
@given(edits=st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=3)), max_size=4))
def test_mutated_messages_are_read_or_rejected(
    edits: list[tuple[int, bytes]], make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    data = bytearray(make_plo("LOG_UTSKRIVNINGSKLAR"))
    for position, replacement in edits:
        at = position % len(data)
        data[at : at + len(replacement)] = replacement
    for schema in (elin_schema, None):
        try:
            read_message(bytes(data), schema=schema, supported_types=TYPES)
        except MessageRejected as rejected:
            assert rejected.errors
