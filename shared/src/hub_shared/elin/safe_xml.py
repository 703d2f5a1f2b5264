"""Parse untrusted XML from hospitals without letting it reach the file system or network.

The parser never loads a DTD, never resolves entities, never fetches anything and never
processes XInclude; on top of that any DOCTYPE is refused outright (billion laughs, XXE and
external DTDs all need one), as are XInclude elements, documents deeper than ``max_depth`` and
input above ``max_bytes``. Every refusal is ``XmlRejected`` with code T01 (list 8221).
Messages never quote the document: it may hold personal data.
"""

from __future__ import annotations

import threading
from functools import cache

from lxml import etree

XINCLUDE_NAMESPACES = frozenset(
    {"http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude"}
)
# A DOCTYPE in the encodings a document can start with (ASCII-compatible, UTF-16 LE/BE).
_DOCTYPE_MARKERS = (b"<!DOCTYPE", "<!DOCTYPE".encode("utf-16-le"), "<!DOCTYPE".encode("utf-16-be"))


class XmlRejected(Exception):
    """The input is not acceptable XML; ``code`` is the AppRec error code (T01)."""

    def __init__(self, text: str, code: str = "T01") -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class _RefuseAll(etree.Resolver):
    """Belt and braces: should libxml2 ever ask for an external resource, give it nothing."""

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        raise XmlRejected("Eksterne ressurser er ikke tillatt / external resources are refused")


def _new_parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        recover=False,
    )
    parser.resolvers.add(_RefuseAll())
    return parser


_PARSERS = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser: a fresh one per document cost a third of the parse. lxml serialises
    the use of one parser across threads, so each thread gets its own."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _new_parser()
    return parser


def _syntax_text(error: etree.XMLSyntaxError) -> str:
    # Only the position: libxml2's message can quote names or text from the document.
    line, column = error.position if error.position else (0, 0)
    return (
        f"XML er ikke velformet eller kan ikke leses (linje {line}, kolonne {column}) / "
        f"not well-formed or unreadable XML (line {line}, column {column})"
    )


def _check_tree(root: etree._Element, max_depth: int) -> None:
    # Both searches run in C (XPath, lxml's tag filter): a walk in Python cost more than the parse.
    if _too_deep(max_depth)(root):
        raise XmlRejected(
            f"XML er nøstet dypere enn {max_depth} nivåer / nested deeper than {max_depth}"
        )
    # Any element (the root included) in an XInclude namespace; the tag filter matches the
    # namespace exactly and is far cheaper than XPath's namespace-uri() on every element.
    if next(root.iter(*_XINCLUDE_TAGS), None) is not None:
        raise XmlRejected("XInclude er ikke tillatt / XInclude is refused")


@cache
def _too_deep(max_depth: int) -> etree.XPath:
    """True when a node (element, comment or PI) lies deeper than `max_depth` (the root is 1)."""
    return etree.XPath("boolean(" + "/*" * max_depth + "/node()[not(self::text())])")


_XINCLUDE_TAGS = tuple(f"{{{ns}}}*" for ns in sorted(XINCLUDE_NAMESPACES))


def parse_xml(data: bytes, *, max_bytes: int = 2_000_000, max_depth: int = 64) -> etree._Element:
    """The root element of ``data``, or ``XmlRejected`` (T01) for anything unsafe or unreadable."""
    if not isinstance(data, bytes):
        raise XmlRejected("Meldingen er ikke bytes / input is not bytes")
    if len(data) > max_bytes:
        text = f"Meldingen er større enn {max_bytes} byte / larger than {max_bytes} bytes"
        raise XmlRejected(text)
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise XmlRejected("DOCTYPE/DTD er ikke tillatt / DOCTYPE and DTD are refused")
    try:
        root = etree.fromstring(data, _parser())
    except XmlRejected:
        raise
    except etree.XMLSyntaxError as error:
        raise XmlRejected(_syntax_text(error)) from None
    except Exception:  # whatever libxml2 or a codec raises, the input is unreadable
        raise XmlRejected("XML kan ikke leses / unreadable XML") from None
    # Encodings not caught by the byte scan above (e.g. UTF-32, EBCDIC) still end up here.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise XmlRejected("DOCTYPE/DTD er ikke tillatt / DOCTYPE and DTD are refused")
    _check_tree(root, max_depth)
    return root
