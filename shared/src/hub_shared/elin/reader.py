"""Read a received ELIN business message (MsgHead + PLO or Dialogmelding) or an AppRec.

``read_message`` answers with a typed ``ElinMessage`` or raises ``MessageRejected`` with the
format errors for the AppRec, checked in this order (list 8221):

1. T01: not well-formed or hostile XML (see ``safe_xml``);
2. T10: the root is not MsgHead 1.2, or the content is not Pasientlogistikk 1.5/1.6 or
   Dialogmelding 1.1;
3. T02: not valid against the official schemas (text: first errors, values redacted);
4. T10: ``MsgInfo/Type/@V`` is not a supported type, or it does not fit the content.

The head is taken as early as possible, best effort, so that even a rejection can be answered
with an AppRec that echoes MsgId, type, GenDate, sender and receiver.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from functools import cache
from types import MappingProxyType

from lxml import etree

from hub_shared.elin.codes import (
    HER_TYPE,
    MIG_MSGHEAD,
    NS_APPREC_10,
    NS_APPREC_11,
    NS_DIALOG_11,
    NS_FK1,
    NS_MSGHEAD,
    NS_PLO_15,
    NS_PLO_16,
    PLO_BODY_ELEMENTS,
    PLO_NAMESPACES,
    AppRecErrorCode,
)
from hub_shared.elin.models import (
    Address,
    AppRecError,
    AppRecInfo,
    CodedValue,
    ConversationRef,
    DialogContent,
    ElinMessage,
    MsgHeadInfo,
    Party,
    PatientIdentity,
    PloContent,
    ReceivedAppRecError,
    TimedEvent,
    parse_datetime,
    parse_ts,
)
from hub_shared.elin.safe_xml import XmlRejected, parse_xml
from hub_shared.identifiers.person import NATIONAL_KINDS

_PLO_VERSIONS = {NS_PLO_15: "1.5", NS_PLO_16: "1.6"}
_APPREC_VERSIONS = {NS_APPREC_10: "1.0", NS_APPREC_11: "1.1"}
_MAX_SCHEMA_ERRORS = 3
_MAX_ERROR_CHARS = 160
_TYPE_CODE = re.compile(r"[A-Za-z0-9_]{1,40}")
_MISSING = "Mangler eller ugyldig / missing or invalid: "


class MessageRejected(Exception):
    """The message cannot be imported; ``errors`` go into a negative AppRec.

    ``head`` is what could be read of MsgInfo (None when nothing could), ``content_version``
    the body's version when known ("1.5", "1.6", "1.1"): it picks the AppRec version.
    """

    def __init__(
        self,
        errors: list[AppRecError],
        head: MsgHeadInfo | None = None,
        content_version: str | None = None,
    ) -> None:
        # The exception text carries codes only: the extra texts are for the AppRec.
        super().__init__("message rejected: " + ", ".join(e.code.value for e in errors))
        self.errors = errors
        self.head = head
        self.content_version = content_version


def _reject(
    code: AppRecErrorCode, extra: str, head: MsgHeadInfo | None = None, version: str | None = None
) -> MessageRejected:
    return MessageRejected([AppRecError(code=code, extra=extra)], head, version)


# --- small tree helpers -------------------------------------------------------------------------
# Lookups scan the children (or make one dict of them per element) instead of find(path):
# lxml's ElementPath costs ~2 µs per call, a message needs about fifty, and even
# iterchildren(tag) costs more than a scan of the few children an element here has.
class _Tags:
    """``_Tags(ns).Name`` is ``{ns}Name``, made on first use and then kept as an attribute."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> str:
        tag = f"{{{self._namespace}}}{name}"
        setattr(self, name, tag)
        return tag


_tags = cache(_Tags)
MH = _tags(NS_MSGHEAD)
FK1 = _tags(NS_FK1)
DIALOG = _tags(NS_DIALOG_11)
_NO_CHILDREN: Mapping[object, etree._Element] = MappingProxyType({})


def _text(node: etree._Element | None) -> str | None:
    text = None if node is None else node.text  # .text builds a new string on every access
    return (text.strip() or None) if text is not None else None


def _attr(node: etree._Element | None, name: str) -> str | None:
    if node is None:
        return None
    value = node.get(name)
    return (value.strip() or None) if value is not None else None


def _child(node: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child element with this tag, as ``node.find(tag)``."""
    if node is not None:
        for child in node:
            if child.tag == tag:
                return child
    return None


def _all(node: etree._Element, tag: str) -> list[etree._Element]:
    """The child elements with this tag, as ``node.findall(tag)``."""
    return [child for child in node if child.tag == tag]


def _path(node: etree._Element | None, *tags: str) -> etree._Element | None:
    """The first match of the child path ``a/b/..``, as ``node.find("a/b")``: a later ``a`` is
    searched when the first has no ``b``."""
    if node is None:
        return None
    first, *rest = tags
    for child in _all(node, first):
        found = _path(child, *rest) if rest else child
        if found is not None:
            return found
    return None


def _namespace(node: etree._Element) -> str:
    return etree.QName(node).namespace or ""


def _children(node: etree._Element | None) -> Mapping[object, etree._Element]:
    """Each tag among the children -> the first child with that tag (comments' tag is a
    function, so they never match a name)."""
    if node is None:
        return _NO_CHILDREN
    children: dict[object, etree._Element] = {}
    for child in node:
        children.setdefault(child.tag, child)
    return children


# --- MsgHead ------------------------------------------------------------------------------------
def _her_id(organisation: etree._Element) -> str | None:
    for ident in _all(organisation, MH.Ident):
        children = _children(ident)
        if _attr(children.get(MH.TypeId), "V") == HER_TYPE:
            return _text(children.get(MH.Id))
    return None


def _party(holder: etree._Element | None) -> Party:
    organisation = _child(holder, MH.Organisation)
    if organisation is None:
        return Party()
    children = _children(organisation)
    service = children.get(MH.Organisation)
    return Party(
        her_id=_her_id(organisation),
        name=_text(children.get(MH.OrganisationName)),
        service_her_id=None if service is None else _her_id(service),
        service_name=_text(_child(service, MH.OrganisationName)),
    )


def _patient_ident(patient: etree._Element) -> tuple[str | None, str | None]:
    """The national identifier (FNR/DNR/FHN) when there is one, else the first identifier."""
    idents = [
        (_text(children.get(MH.Id)), _attr(children.get(MH.TypeId), "V"))
        for children in map(_children, _all(patient, MH.Ident))
    ]
    national = [pair for pair in idents if pair[1] in NATIONAL_KINDS]
    return (national or idents or [(None, None)])[0]


def _birth_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _address(node: etree._Element | None) -> Address | None:
    if node is None:
        return None
    children = _children(node)
    kind = children.get(MH.Type)
    return Address(
        street=_text(children.get(MH.StreetAdr)),
        postal_code=_text(children.get(MH.PostalCode)),
        city=_text(children.get(MH.City)),
        type_code=_attr(kind, "V"),
        type_text=_attr(kind, "DN"),
    )


def _patient(node: etree._Element | None) -> PatientIdentity | None:
    if node is None:
        return None
    number, kind = _patient_ident(node)
    children = _children(node)
    return PatientIdentity(
        id=number,
        id_type=kind,
        family_name=_text(children.get(MH.FamilyName)),
        given_name=_text(children.get(MH.GivenName)),
        middle_name=_text(children.get(MH.MiddleName)),
        birth_date=_birth_date(_text(children.get(MH.DateOfBirth))),
        sex=_attr(children.get(MH.Sex), "V"),
        address=_address(children.get(MH.Address)),
    )


def _conversation_ref(node: etree._Element | None) -> ConversationRef | None:
    parent = _text(_child(node, MH.RefToParent))
    first = _text(_child(node, MH.RefToConversation))
    if parent is None or first is None:
        return None
    return ConversationRef(ref_to_parent=parent, ref_to_conversation=first)


def extract_head(root: etree._Element) -> MsgHeadInfo | None:
    """MsgInfo of a MsgHead, best effort: missing or malformed parts are None, never an error."""
    info = _child(root, MH.MsgInfo) if root.tag == MH.MsgHead else None
    if info is None:
        return None
    children = _children(info)
    kind = children.get(MH.Type)
    return MsgHeadInfo(
        msg_type=_attr(kind, "V"),
        msg_type_text=_attr(kind, "DN"),
        mig_version=_text(children.get(MH.MIGversion)),
        gen_date=parse_datetime(_text(children.get(MH.GenDate))),
        msg_id=_text(children.get(MH.MsgId)),
        conversation_ref=_conversation_ref(children.get(MH.ConversationRef)),
        sender=_party(children.get(MH.Sender)),
        receiver=_party(children.get(MH.Receiver)),
        patient=_patient(children.get(MH.Patient)),
    )


def _content_root(root: etree._Element) -> etree._Element | None:
    """The first element inside Document/RefDoc/Content: the business content (the first
    Document; later ones are attachments)."""
    for document in _all(root, MH.Document):
        for ref_doc in _all(document, MH.RefDoc):
            for content in _all(ref_doc, MH.Content):
                for child in content.iterchildren(etree.Element):
                    return child
    return None


def _content_version(content: etree._Element) -> str | None:
    name = etree.QName(content)
    if name.localname == "Pasientlogistikk" and name.namespace in _PLO_VERSIONS:
        return _PLO_VERSIONS[name.namespace]
    if name.localname == "Dialogmelding" and name.namespace == NS_DIALOG_11:
        return "1.1"
    return None


# --- schema errors, without the document's values -----------------------------------------------
# libxml2 quotes the offending value in these phrases; the greedy ".*" spans any quote inside it.
_VALUE_PHRASES = (
    re.compile(r"^'.*' (is not a valid value of .*)$", re.DOTALL),
    re.compile(r"^(.*?The value )'.*'( (?:is not|has|does not|is greater|is less).*)$", re.DOTALL),
)
# A pattern or fixed value from the schema: harmless, but it may hold quotes of its own.
_SCHEMA_QUOTE = re.compile(r"(is not accepted by the pattern|fixed value constraint) '.*'")
_HEAD = re.compile(r"^(Element '[^']*'(?:, attribute '[^']*')?): (.*)$", re.DOTALL)
_QUOTED = re.compile(r"'([^']*)'")
_NAME_LIKE = re.compile(r"[\w{}:/.\-]+")
_NAMESPACE = re.compile(r"\{[^}]*\}")


def _redact_rest(rest: str) -> str:
    for phrase in _VALUE_PHRASES:
        match = phrase.match(rest)
        if match is not None:
            rest = "'…'".join(match.groups()) if len(match.groups()) > 1 else "'…' " + match[1]
            rest = _SCHEMA_QUOTE.sub(r"\1 '…'", rest)
    quoted = _QUOTED.findall(rest)
    # Anything quoted that is still not a name (of an attribute, type or facet) may be data.
    if rest.count("'") % 2 or any(q != "…" and not _NAME_LIKE.fullmatch(q) for q in quoted):
        return "ugyldig innhold / invalid content"
    return rest


def _redact(message: str) -> str:
    """The message with every value from the document replaced by '…'; names stay."""
    match = _HEAD.match(message.strip())
    if match is None:
        return "ugyldig / invalid"
    cleaned = _NAMESPACE.sub("", f"{match[1]}: {_redact_rest(match[2])}")
    return cleaned if len(cleaned) <= _MAX_ERROR_CHARS else cleaned[: _MAX_ERROR_CHARS - 1] + "…"


def schema_error_text(errors: Iterable[etree._LogEntry]) -> str:
    """The first schema errors as "line N: message", values redacted, shortened."""
    parts = [f"linje/line {e.line}: {_redact(e.message)}" for e in errors][:_MAX_SCHEMA_ERRORS]
    return "; ".join(parts) or "XML validerer ikke mot skjema / not valid against the schema"


def _validate(
    root: etree._Element, schema: etree.XMLSchema, head: MsgHeadInfo | None, version: str | None
) -> None:
    if schema.validate(root):
        return
    errors = list(schema.error_log)[:_MAX_SCHEMA_ERRORS]
    raise _reject(AppRecErrorCode.T02, schema_error_text(errors), head, version)


# --- Pasientlogistikk ---------------------------------------------------------------------------
class _Missing(Exception):
    """A required part is absent (only reachable when no schema checked the document)."""


def _required(value: str | None, what: str) -> str:
    if value is None:
        raise _Missing(what)
    return value


def _event(node: etree._Element, po: _Tags) -> TimedEvent:
    children = _children(node)
    code = _attr(children.get(po.Hendelsekode), "V")
    at = _required(_attr(children.get(po.TidspunktForHendelse), "V"), "TidspunktForHendelse")
    estimate = _required(_text(children.get(po.Anslag)), "Anslag")
    if estimate not in ("true", "false", "1", "0"):
        raise _Missing("Anslag")
    return TimedEvent(
        code=int(code) if code is not None and code.isascii() and code.isdigit() else None,
        at=parse_ts(at),
        estimated=estimate in ("true", "1"),
        description=_text(children.get(po.BeskrivelseAvHendelse)),
        remark=_text(children.get(po.Merknad)),
    )


def _responsible(content: etree._Element, po: _Tags) -> tuple[str | None, str | None]:
    person = _path(content, po.AnsvarForRapport, po.AnsvarligRapport)
    if person is None:
        return None, None
    hpr = next(
        (
            _text(children.get(FK1.Id))
            for children in map(_children, _all(person, FK1.Ident))
            if _attr(children.get(FK1.TypeId), "V") == "HPR"
        ),
        None,
    )
    return hpr, _attr(_child(person, FK1.RoleToPatient), "V")


def _plo(content: etree._Element, body: etree._Element, version: str) -> PloContent:
    po = _tags(PLO_NAMESPACES[version][1])
    discharged = _child(body, po.UtskrevetTil)
    destination = _child(discharged, po.UtTil)
    hpr, role = _responsible(content, po)
    unit = _path(content, po.TilknyttetEnhet, po.Kontaktenhet)
    return PloContent(
        version="1.5" if version == "1.5" else "1.6",
        kind=etree.QName(body).localname,
        status=_required(
            _attr(_path(content, po.InformasjonOmForsendelsen, po.Forsendelsesstatus), "V"),
            "Forsendelsesstatus",
        ),
        events=tuple(_event(node, po) for node in _all(body, po.TidsfestetHendelse)),
        discharged_to=None
        if _attr(destination, "V") is None
        else CodedValue(code=_attr(destination, "V") or "", text=_attr(destination, "DN")),
        discharge_condition=_attr(_child(discharged, po.Uttilstand), "V"),
        responsible_hpr=hpr,
        responsible_role=role,
        contact_unit=_text(_child(unit, FK1.OrganisationName)),
    )


# --- Dialogmelding 1.1 --------------------------------------------------------------------------
def _dialog(content: etree._Element) -> DialogContent:
    notes = _all(content, DIALOG.Notat)
    first = notes[0] if notes else None
    theme = _child(first, DIALOG.TemaKodet)
    texts = (_child(note, DIALOG.TekstNotatInnhold) for note in notes)
    return DialogContent(
        theme_code=_attr(theme, "V"),
        theme_text=_attr(theme, "DN"),
        subject=_text(_child(first, DIALOG.Tema)),
        # TekstNotatInnhold is anyType (may hold XHTML): its text is all text inside it.
        notes=tuple("".join(node.itertext()).strip() for node in texts if node is not None),
        content_xml=etree.tostring(content),
    )


# --- type and content must agree ----------------------------------------------------------------
def _plo_body(msg_type: str, content: etree._Element) -> etree._Element | None:
    """The body element the type calls for (e.g. MeldingInnlagtPasient for LOG_INNLAGT)."""
    name = PLO_BODY_ELEMENTS.get(msg_type)
    return None if name is None else _child(content, getattr(_tags(_namespace(content)), name))


def read_message(
    data: bytes,
    *,
    schema: etree.XMLSchema | None,
    supported_types: frozenset[str],
    max_bytes: int = 2_000_000,
) -> ElinMessage:
    """The typed message, or ``MessageRejected`` (T01, T10, T02, T10 in that order)."""
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except XmlRejected as error:
        raise _reject(AppRecErrorCode.T01, error.text) from None
    if root.tag != MH.MsgHead:
        text = "Rotelementet er ikke MsgHead v1.2 / the root is not MsgHead 1.2"
        raise _reject(AppRecErrorCode.T10, text)
    head = extract_head(root)
    content = _content_root(root)
    version = None if content is None else _content_version(content)
    if content is not None and version is None:
        raise _reject(
            AppRecErrorCode.T10,
            "Innholdet er ikke Pasientlogistikk 1.5/1.6 eller Dialogmelding 1.1 / "
            "content is not Pasientlogistikk 1.5/1.6 or Dialogmelding 1.1",
            head,
        )
    if schema is not None:
        _validate(root, schema, head, version)
    return _typed(content, version, head, supported_types)


def _missing_head_fields(head: MsgHeadInfo) -> list[str]:
    fields = {"Type": head.msg_type, "GenDate": head.gen_date, "MsgId": head.msg_id}
    missing = [name for name, value in fields.items() if value is None]
    return missing + ([] if head.mig_version == MIG_MSGHEAD else ["MIGversion"])


def _typed(
    content: etree._Element | None,
    version: str | None,
    head: MsgHeadInfo | None,
    supported_types: frozenset[str],
) -> ElinMessage:
    # Without a schema the checks below are the only guard; with one they cannot fail.
    missing = ["MsgInfo"] if head is None else _missing_head_fields(head)
    if content is None or version is None:
        missing.append("Content")
    if head is None or missing:
        raise _reject(AppRecErrorCode.T02, _MISSING + ", ".join(missing), head, version)
    msg_type = head.msg_type or ""
    if msg_type not in supported_types:
        shown = msg_type if _TYPE_CODE.fullmatch(msg_type) else "?"  # never echo arbitrary text
        text = f"Meldingstypen {shown} støttes ikke / message type not supported"
        raise _reject(AppRecErrorCode.T10, text, head, version)
    assert content is not None and version is not None
    # A type must come with its own content: a LOG_INNLAGT head around a discharge body or a
    # dialog is refused rather than taken for an admission.
    is_dialog = version == "1.1"
    body = None if is_dialog else _plo_body(msg_type, content)
    if not (msg_type.startswith("DIALOG_") if is_dialog else body is not None):
        text = f"Innholdet passer ikke til {msg_type} / the content does not fit the type"
        raise _reject(AppRecErrorCode.T10, text, head, version)
    try:
        if body is None:
            return ElinMessage(head=head, dialog=_dialog(content))
        return ElinMessage(head=head, plo=_plo(content, body, version))
    except _Missing as error:
        raise _reject(AppRecErrorCode.T02, _MISSING + str(error), head, version) from None


# --- AppRec -------------------------------------------------------------------------------------
def _apprec_party(holder: etree._Element | None, ap: _Tags) -> Party:
    inst = _path(holder, ap.HCP, ap.Inst)
    if inst is None:
        return Party()
    dept = next(
        (d for d in _all(inst, ap.Dept) if _attr(_child(d, ap.TypeId), "V") == HER_TYPE),
        None,
    )
    inst_is_her = _attr(_child(inst, ap.TypeId), "V") == HER_TYPE
    return Party(
        her_id=_text(_child(inst, ap.Id)) if inst_is_her else None,
        name=_text(_child(inst, ap.Name)),
        service_her_id=_text(_child(dept, ap.Id)),
        service_name=_text(_child(dept, ap.Name)),
    )


def _received_error(node: etree._Element) -> ReceivedAppRecError:
    code, text, system = _attr(node, "V"), _attr(node, "DN"), _attr(node, "S")
    return ReceivedAppRecError(code=code, text=text, system=system, extra=_attr(node, "OT"))


def _mig_fits(mig_version: str | None, version: str) -> bool:
    # Lenient on purpose: senders in the field write e.g. "1.0 2008-11-21" for AppRec 1.0.
    # The version number must agree with the namespace; the date is not checked.
    return mig_version is not None and mig_version.removeprefix("v").startswith(version + " ")


def parse_apprec(
    data: bytes, *, schema: etree.XMLSchema | None = None, max_bytes: int = 2_000_000
) -> AppRecInfo:
    """A received AppRec 1.0 or 1.1; ``MessageRejected`` when it cannot be read.

    Never answer an AppRec with an AppRec: the errors here are for the log, not for sending.
    """
    try:
        root = parse_xml(data, max_bytes=max_bytes)
    except XmlRejected as error:
        raise _reject(AppRecErrorCode.T01, error.text) from None
    ns = _namespace(root)
    version = _APPREC_VERSIONS.get(ns)
    if etree.QName(root).localname != "AppRec" or version is None:
        raise _reject(AppRecErrorCode.T10, "Ikke AppRec 1.0/1.1 / not an AppRec 1.0 or 1.1")
    ap = _tags(ns)
    if not _mig_fits(_text(_child(root, ap.MIGversion)), version):
        raise _reject(AppRecErrorCode.T10, "Ukjent eller manglende MIGversion / unknown MIGversion")
    if schema is not None and not schema.validate(root):
        raise _reject(AppRecErrorCode.T02, schema_error_text(list(schema.error_log)[:3]))
    msg_id, status = _text(_child(root, ap.Id)), _attr(_child(root, ap.Status), "V")
    original_node = _path(root, ap.OriginalMsgId, ap.Id)
    # An empty original Id is kept as "": it is what a receiver writes when it could not read it.
    original = None if original_node is None else (_text(original_node) or "")
    if msg_id is None or status is None or original is None:
        raise _reject(AppRecErrorCode.T02, "Id, Status eller OriginalMsgId mangler / missing")
    return AppRecInfo(
        version="1.0" if version == "1.0" else "1.1",
        msg_id=msg_id,
        gen_date=parse_datetime(_text(_child(root, ap.GenDate))),
        status=status,
        status_text=_attr(_child(root, ap.Status), "DN"),
        errors=tuple(_received_error(e) for e in _all(root, ap.Error)),
        original_msg_id=original,
        original_msg_type=_attr(_path(root, ap.OriginalMsgId, ap.MsgType), "V"),
        original_issue_date=parse_datetime(_text(_path(root, ap.OriginalMsgId, ap.IssueDate))),
        sender=_apprec_party(_child(root, ap.Sender), ap),
        receiver=_apprec_party(_child(root, ap.Receiver), ap),
    )
