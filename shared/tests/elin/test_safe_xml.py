"""The safe parser: hostile input is refused as T01, quickly, without touching files or network."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub_shared.elin.safe_xml import XmlRejected, parse_xml


def _refused(data: bytes, **kw: int) -> XmlRejected:
    with pytest.raises(XmlRejected) as caught:
        parse_xml(data, **kw)
    assert caught.value.code == "T01"
    assert caught.value.text
    return caught.value


def test_plain_document() -> None:
    root = parse_xml(b"<a><b>x</b><!-- note --></a>")
    assert root.tag == "a" and root.findtext("b") == "x"


def test_declared_iso_8859_1() -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Flåklypa</a>'.encode("iso-8859-1")
    assert parse_xml(data).text == "Flåklypa"


def test_declared_utf8_and_no_declaration() -> None:
    assert parse_xml('<?xml version="1.0" encoding="UTF-8"?><a>Øya</a>'.encode()).text == "Øya"
    assert parse_xml("<a>Øya</a>".encode()).text == "Øya"


def test_processing_instructions_are_dropped() -> None:
    root = parse_xml(b'<a><?xml-stylesheet href="http://example.invalid/x.xsl"?><b/></a>')
    assert [child.tag for child in root] == ["b"]


@pytest.mark.parametrize(
    "data",
    [
        b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        b'<!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>',
        b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b'<!DOCTYPE a [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><a/>',
        b"<!DOCTYPE a><a/>",
        # The byte scan cannot see these; the check after parsing does.
        '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'.encode(
            "utf-32"
        ),
    ],
)
def test_any_doctype_is_refused(data: bytes) -> None:
    assert "DOCTYPE" in _refused(data).text or "well-formed" in _refused(data).text


def test_billion_laughs_is_refused_fast() -> None:
    entities = "".join(
        f'<!ENTITY l{i} "{(f"&l{i - 1};" if i else "lol") * 10}">' for i in range(10)
    )
    data = f"<!DOCTYPE a [{entities}]><a>&l9;</a>".encode()
    started = time.perf_counter()
    _refused(data)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "namespace", ["http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude"]
)
def test_xinclude_is_refused_not_processed(namespace: str) -> None:
    data = f'<a xmlns:xi="{namespace}"><xi:include href="/etc/passwd" parse="text"/></a>'
    assert "XInclude" in _refused(data.encode()).text


def test_depth_limit() -> None:
    assert parse_xml(b"<a>" * 64 + b"</a>" * 64, max_depth=64) is not None
    assert "64" in _refused(b"<a>" * 65 + b"</a>" * 65, max_depth=64).text


@pytest.mark.parametrize("leaf", [b"<!--c-->", b"<b/>"])
def test_depth_counts_comments_too(leaf: bytes) -> None:
    # (Processing instructions never reach the tree: the parser drops them.)
    nested = b"<a>" * 64 + leaf + b"</a>" * 64  # the leaf is the 65th level
    assert "64" in _refused(nested, max_depth=64).text
    assert parse_xml(b"<a>" * 63 + leaf + b"</a>" * 63, max_depth=64) is not None
    assert parse_xml(b"<a>" * 64 + b"text" + b"</a>" * 64, max_depth=64) is not None


def test_xinclude_deep_inside_is_found() -> None:
    inner = b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="x"/>'
    assert "XInclude" in _refused(b"<a>" * 30 + inner + b"</a>" * 30).text


def test_size_limit() -> None:
    data = b"<a>" + b"x" * 100 + b"</a>"
    assert parse_xml(data, max_bytes=len(data)).text == "x" * 100
    _refused(data, max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<a>",
        b"<a></b>",
        b"\xff\xfe\x00",
        b'<?xml version="1.0" encoding="UTF-8"?><a>\xff</a>',
        b'<?xml version="1.0" encoding="nonsense"?><a/>',
        b"<a>&undefined;</a>",
    ],
)
def test_unreadable_is_t01(data: bytes) -> None:
    _refused(data)


def test_not_bytes_is_refused() -> None:
    _refused("<a/>")  # type: ignore[arg-type]


def test_text_never_quotes_the_input() -> None:
    text = _refused(b"<Patient>15076500565</Patien>").text
    assert "15076500565" not in text and "Patien" not in text


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_parse_or_raise_xml_rejected(data: bytes) -> None:
    try:
        parse_xml(data)
    except XmlRejected as rejected:
        assert rejected.code == "T01"


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_arbitrary_text_inside_an_element(text: str) -> None:
    try:
        parse_xml(f"<a>{text}</a>".encode())
    except XmlRejected as rejected:
        assert rejected.code == "T01"
