"""The AppRec is written as text: its bytes must be exactly what lxml writes for the same tree.

``_lxml_apprec`` is the former lxml writer, kept here as the oracle: same elements, attribute
order, escaping, and the same exception for strings lxml refuses (control characters, U+FFFE,
U+FFFF, lone surrogates).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from hub_shared.elin.apprec import (
    UNKNOWN_MSG_ID,
    UNKNOWN_MSG_TYPE,
    UNKNOWN_PARTY_NAME,
    build_apprec,
)
from hub_shared.elin.codes import (
    HER_TYPE,
    HER_TYPE_TEXT,
    MESSAGE_TYPE_TEXTS,
    MIG_APPREC,
    NS_APPREC_10,
    NS_APPREC_11,
    ROLE_PRIMARY,
    ROLE_SENDER,
    AppRecErrorCode,
    AppRecStatus,
    MessageType,
)
from hub_shared.elin.models import AppRecError, MsgHeadInfo, Party, format_datetime

APPREC_ID = uuid.UUID("c4d5e6f7-0a1b-4c2d-8e3f-9a0b1c2d3e4f")
GEN_DATE = datetime(2025, 3, 10, 14, 41, 30)
HUB = Party(her_id="8100001", name="Hub", service_her_id="8100002", service_name="Mottak")


# --- the oracle: the lxml writer this module replaced -------------------------------------------
def _add(
    parent: etree._Element, name: str, text: str | None = None, **attrs: str
) -> etree._Element:
    node = etree.SubElement(parent, f"{{{etree.QName(parent).namespace}}}{name}", attrs)
    if text is not None:
        node.text = text
    return node


def _lxml_hcp(parent: etree._Element, party: Party) -> None:
    inst = _add(_add(parent, "HCP"), "Inst")
    if party.name:
        _add(inst, "Name", party.name)
    if party.her_id:
        _add(inst, "Id", party.her_id)
        _add(inst, "TypeId", V=HER_TYPE, DN=HER_TYPE_TEXT)
    if party.service_her_id or party.service_name:
        dept = _add(inst, "Dept")
        if party.service_name:
            _add(dept, "Name", party.service_name)
        if party.service_her_id:
            _add(dept, "Id", party.service_her_id)
            _add(dept, "TypeId", V=HER_TYPE, DN=HER_TYPE_TEXT)


def _lxml_apprec(
    original: MsgHeadInfo | None, errors: Sequence[AppRecError], version: str, hub: Party
) -> bytes:
    ns = {"1.0": NS_APPREC_10, "1.1": NS_APPREC_11}[version]
    root = etree.Element(f"{{{ns}}}AppRec", nsmap={None: ns})
    _add(root, "MsgType", V=MessageType.APPREC.value, DN=MessageType.APPREC.text)
    _add(root, "MIGversion", MIG_APPREC[version])
    _add(root, "GenDate", format_datetime(GEN_DATE))
    _add(root, "Id", str(APPREC_ID))
    answering = original.receiver if original and not original.receiver.is_empty else hub
    answered = original.sender if original and not original.sender.is_empty else None
    for name, role, party in (
        ("Sender", ROLE_PRIMARY, answering),
        ("Receiver", ROLE_SENDER, answered or Party(name=UNKNOWN_PARTY_NAME)),
    ):
        holder = _add(root, name)
        _add(holder, "Role", V=role[0], DN=role[1])
        _lxml_hcp(holder, party)
    status = AppRecStatus.REJECTED if errors else AppRecStatus.OK
    _add(root, "Status", V=status.value, DN=status.text)
    for error in errors:
        attrs = {"V": error.code.value, "DN": error.code.text, "S": error.code.oid}
        _add(root, "Error", **attrs, **({"OT": error.extra} if error.extra else {}))
    node = _add(root, "OriginalMsgId")
    code = original.msg_type if original else None
    if code and original:
        text = original.msg_type_text or MESSAGE_TYPE_TEXTS.get(code, code)
        _add(node, "MsgType", V=code, DN=text)
    else:
        _add(node, "MsgType", V=UNKNOWN_MSG_TYPE[0], DN=UNKNOWN_MSG_TYPE[1])
    issued = original.gen_date if original and original.gen_date else GEN_DATE
    _add(node, "IssueDate", format_datetime(issued))
    _add(node, "Id", (original.msg_id if original else None) or UNKNOWN_MSG_ID)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- comparisons --------------------------------------------------------------------------------
def _outcome(build: object, *args: object) -> bytes | tuple[type[BaseException], str]:
    try:
        return build(*args)  # type: ignore[operator]
    except ValueError as error:  # UnicodeEncodeError included
        return type(error), str(error)


def _new_apprec(
    original: MsgHeadInfo | None, errors: Sequence[AppRecError], version: str, hub: Party
) -> bytes:
    return build_apprec(
        original=original,
        errors=errors,
        version=version,  # type: ignore[arg-type]
        apprec_id=APPREC_ID,
        gen_date=GEN_DATE,
        hub=hub,
    )


def _assert_same(
    original: MsgHeadInfo | None, errors: Sequence[AppRecError], version: str, hub: Party = HUB
) -> None:
    args = (original, errors, version, hub)
    assert _outcome(_new_apprec, *args) == _outcome(_lxml_apprec, *args)


# Where lxml refuses or escapes characters: each of these code points is tried on its own.
SINGLE = (range(0, 0x800), range(0xD700, 0xE100), range(0xFF00, 0x10000))


def _pieces() -> list[str]:
    singles = [chr(cp) for block in SINGLE for cp in block]
    rest = sorted(set(range(0x110000)).difference(*SINGLE))
    return singles + ["".join(map(chr, rest[i : i + 256])) for i in range(0, len(rest), 256)]


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_every_code_point_in_text_and_attributes(version: str) -> None:
    for piece in _pieces():  # in a text (Name) and in an attribute (OT)
        head = MsgHeadInfo(msg_type="LOG_INNLAGT", sender=Party(name=f"a{piece}b"))
        _assert_same(head, [AppRecError(AppRecErrorCode.T02, f"x{piece}y")], version)


parties = st.builds(
    Party,
    her_id=st.none() | st.text(max_size=8),
    name=st.none() | st.text(max_size=12),
    service_her_id=st.none() | st.text(max_size=8),
    service_name=st.none() | st.text(max_size=12),
)
heads = st.none() | st.builds(
    MsgHeadInfo,
    msg_type=st.none() | st.sampled_from(["LOG_INNLAGT", "DIALOG_SVAR", ""]) | st.text(max_size=6),
    msg_type_text=st.none() | st.text(max_size=12),
    gen_date=st.none() | st.datetimes(min_value=datetime(1000, 1, 1)),
    msg_id=st.none() | st.text(max_size=12),
    sender=parties,
    receiver=parties,
)
errors = st.lists(
    st.builds(AppRecError, st.sampled_from(list(AppRecErrorCode)), st.text(max_size=12)),
    max_size=3,
)


@settings(max_examples=500, deadline=None)
@given(original=heads, errors=errors, version=st.sampled_from(["1.0", "1.1"]), hub=parties)
def test_arbitrary_heads_errors_and_hubs(
    original: MsgHeadInfo | None, errors: list[AppRecError], version: str, hub: Party
) -> None:
    _assert_same(original, errors, version, hub)
