"""Write the application receipt (AppRec, applikasjonskvittering) for a received message.

Version 1.1 (``apprec/2012-02-15``) answers PLO 1.6 and Dialogmelding 1.1; version 1.0
(``apprec/2004-11-21``) answers PLO 1.5 (HIS 80415:2012 §3.6, HITS 1168 §8.3).

Mapping (HIS 80415 §3.5): the original Receiver becomes the AppRec Sender (Role PRIM), the
original Sender the AppRec Receiver (Role AVS); a level-2 Organisation becomes ``Inst/Dept``;
HER-ids are copied with TypeId HER. OriginalMsgId = original type, GenDate (as IssueDate), MsgId.

When the original could not be read (T01) or lacks parts, the AppRec still validates:

- AppRec Sender: the original receiver, else ``hub``;
- AppRec Receiver: the original sender, else an ``Inst`` named ``UNKNOWN_PARTY_NAME``;
- OriginalMsgId/MsgType: the original type, else ``UNKNOWN_MSG_TYPE``;
- OriginalMsgId/IssueDate: the original GenDate, else this AppRec's own GenDate;
- OriginalMsgId/Id: the original MsgId, else ``UNKNOWN_MSG_ID`` (empty).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Final, Literal
from uuid import UUID

from hub_shared.elin.codes import (
    HER_TYPE,
    HER_TYPE_TEXT,
    MESSAGE_TYPE_TEXTS,
    MIG_APPREC,
    NS_APPREC_10,
    NS_APPREC_11,
    ROLE_PRIMARY,
    ROLE_SENDER,
    AppRecStatus,
    MessageType,
)
from hub_shared.elin.models import AppRecError, MsgHeadInfo, Party, format_datetime

AppRecVersion = Literal["1.0", "1.1"]
UNKNOWN_PARTY_NAME: Final = "Ukjent avsender"
UNKNOWN_MSG_TYPE: Final = ("UKJENT", "Ukjent meldingstype")
UNKNOWN_MSG_ID: Final = ""
_NAMESPACES: Final = {"1.0": NS_APPREC_10, "1.1": NS_APPREC_11}


def apprec_version_for(content_version: str | None) -> AppRecVersion:
    """AppRec 1.0 for Pasientlogistikk 1.5; AppRec 1.1 for everything else."""
    return "1.0" if content_version == "1.5" else "1.1"


# --- writing XML as text ------------------------------------------------------------------------
# The AppRec is written as text, not built with lxml: 31 SubElement calls cost more than ten times
# as much. The output is byte for byte what lxml's tostring wrote (test_apprec_bytes.py holds the
# lxml writer as the oracle): the same escapes, and the same errors for strings lxml refuses.
_DECLARATION: Final = "<?xml version='1.0' encoding='UTF-8'?>\n"
_TEXT_ESCAPES: Final = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESCAPES: Final = _TEXT_ESCAPES | {'"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
# Control characters, U+FFFE and U+FFFF (lxml refuses them) and surrogates (they cannot be
# encoded): any of these, or a character to escape, sends a value down the slow path.
_REFUSED = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_INVALID = re.compile(f"[{_REFUSED}]")
_TEXT_SPECIAL = re.compile(f"[{_REFUSED}&<>\r]")
_ATTR_SPECIAL = re.compile(f'[{_REFUSED}&<>"\n\r\t]')
_LXML_REFUSAL: Final = (
    "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
)


def _slow_escape(value: str, special: re.Pattern[str], escapes: dict[str, str]) -> str:
    if _INVALID.search(value) is not None:
        value.encode()  # a surrogate raises the UnicodeEncodeError lxml raised
        raise ValueError(_LXML_REFUSAL)
    return special.sub(lambda match: escapes[match[0]], value)


def _text(value: str) -> str:
    if _TEXT_SPECIAL.search(value) is None:
        return value
    return _slow_escape(value, _TEXT_SPECIAL, _TEXT_ESCAPES)


def _attr(value: str) -> str:
    if _ATTR_SPECIAL.search(value) is None:
        return value
    return _slow_escape(value, _ATTR_SPECIAL, _ATTR_ESCAPES)


def _leaf(name: str, text: str) -> str:
    """An element with text (an empty text still gets an end tag, as in lxml)."""
    return f"<{name}>{_text(text)}</{name}>"


def _coded(name: str, code: str, text: str) -> str:
    return f'<{name} V="{_attr(code)}" DN="{_attr(text)}"/>'


def _parent(name: str, children: Sequence[str]) -> str:
    return f"<{name}>{''.join(children)}</{name}>" if children else f"<{name}/>"


_HER_TYPE_ID: Final = _coded("TypeId", HER_TYPE, HER_TYPE_TEXT)
_MSG_TYPE: Final = _coded("MsgType", MessageType.APPREC.value, MessageType.APPREC.text)
_STATUS: Final = {status: _coded("Status", status.value, status.text) for status in AppRecStatus}


# --- the AppRec ---------------------------------------------------------------------------------
def _hcp(party: Party) -> str:
    inst: list[str] = []
    if party.name:
        inst.append(_leaf("Name", party.name))
    if party.her_id:
        inst += (_leaf("Id", party.her_id), _HER_TYPE_ID)
    if party.service_her_id or party.service_name:
        dept: list[str] = []
        if party.service_name:
            dept.append(_leaf("Name", party.service_name))
        if party.service_her_id:
            dept += (_leaf("Id", party.service_her_id), _HER_TYPE_ID)
        inst.append(_parent("Dept", dept))
    return _parent("HCP", [_parent("Inst", inst)])


def _party_role(name: str, role: tuple[str, str], party: Party) -> str:
    return _parent(name, [_coded("Role", *role), _hcp(party)])


def _original_type(original: MsgHeadInfo | None) -> tuple[str, str]:
    code = original.msg_type if original else None
    if not code:
        return UNKNOWN_MSG_TYPE
    text = (original.msg_type_text if original else None) or MESSAGE_TYPE_TEXTS.get(code, code)
    return code, text


def _error(error: AppRecError) -> str:
    code = error.code
    values = f'V="{_attr(code.value)}" DN="{_attr(code.text)}" S="{_attr(code.oid)}"'
    return f'<Error {values} OT="{_attr(error.extra)}"/>' if error.extra else f"<Error {values}/>"


def build_apprec(
    *,
    original: MsgHeadInfo | None,
    errors: Sequence[AppRecError],
    version: AppRecVersion,
    apprec_id: UUID,
    gen_date: datetime,
    hub: Party,
) -> bytes:
    """The AppRec as UTF-8 bytes: status OK without errors, Avvist (2) with them."""
    # The party that was addressed answers; the party that sent gets the answer.
    answering = original.receiver if original and not original.receiver.is_empty else hub
    answered = original.sender if original and not original.sender.is_empty else None
    # Written in document order, so that of several refused strings the first one raises.
    parts = [
        _DECLARATION,
        f'<AppRec xmlns="{_NAMESPACES[version]}">',
        _MSG_TYPE,
        _leaf("MIGversion", MIG_APPREC[version]),
        _leaf("GenDate", format_datetime(gen_date)),
        _leaf("Id", str(apprec_id)),
        _party_role("Sender", ROLE_PRIMARY, answering),
        _party_role("Receiver", ROLE_SENDER, answered or Party(name=UNKNOWN_PARTY_NAME)),
        _STATUS[AppRecStatus.REJECTED if errors else AppRecStatus.OK],
        *map(_error, errors),
        _original_msg_id(original, gen_date),
        "</AppRec>",
    ]
    return "".join(parts).encode()


def _original_msg_id(original: MsgHeadInfo | None, gen_date: datetime) -> str:
    issued = original.gen_date if original and original.gen_date else gen_date
    msg_id = (original.msg_id if original else None) or UNKNOWN_MSG_ID
    children = [
        _coded("MsgType", *_original_type(original)),
        _leaf("IssueDate", format_datetime(issued)),
        _leaf("Id", msg_id),
    ]
    return _parent("OriginalMsgId", children)
