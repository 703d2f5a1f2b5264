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

from collections.abc import Sequence
from datetime import datetime
from typing import Final, Literal
from uuid import UUID

from lxml import etree

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


class _Writer:
    """Appends elements in the AppRec namespace (every element there is qualified)."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def add(
        self, parent: etree._Element, name: str, text: str | None = None, **attrs: str
    ) -> etree._Element:
        node = etree.SubElement(parent, f"{{{self.ns}}}{name}", attrs)
        if text is not None:
            node.text = text
        return node


def _hcp(w: _Writer, parent: etree._Element, party: Party) -> None:
    inst = w.add(w.add(parent, "HCP"), "Inst")
    if party.name:
        w.add(inst, "Name", party.name)
    if party.her_id:
        w.add(inst, "Id", party.her_id)
        w.add(inst, "TypeId", V=HER_TYPE, DN=HER_TYPE_TEXT)
    if party.service_her_id or party.service_name:
        dept = w.add(inst, "Dept")
        if party.service_name:
            w.add(dept, "Name", party.service_name)
        if party.service_her_id:
            w.add(dept, "Id", party.service_her_id)
            w.add(dept, "TypeId", V=HER_TYPE, DN=HER_TYPE_TEXT)


def _party_role(
    w: _Writer, root: etree._Element, name: str, role: tuple[str, str], party: Party
) -> None:
    holder = w.add(root, name)
    w.add(holder, "Role", V=role[0], DN=role[1])
    _hcp(w, holder, party)


def _original_type(original: MsgHeadInfo | None) -> tuple[str, str]:
    code = original.msg_type if original else None
    if not code:
        return UNKNOWN_MSG_TYPE
    text = (original.msg_type_text if original else None) or MESSAGE_TYPE_TEXTS.get(code, code)
    return code, text


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
    w = _Writer(_NAMESPACES[version])
    root = etree.Element(f"{{{w.ns}}}AppRec", nsmap={None: w.ns})
    w.add(root, "MsgType", V=MessageType.APPREC.value, DN=MessageType.APPREC.text)
    w.add(root, "MIGversion", MIG_APPREC[version])
    w.add(root, "GenDate", format_datetime(gen_date))
    w.add(root, "Id", str(apprec_id))
    # The party that was addressed answers; the party that sent gets the answer.
    answering = original.receiver if original and not original.receiver.is_empty else hub
    answered = original.sender if original and not original.sender.is_empty else None
    _party_role(w, root, "Sender", ROLE_PRIMARY, answering)
    _party_role(w, root, "Receiver", ROLE_SENDER, answered or Party(name=UNKNOWN_PARTY_NAME))
    status = AppRecStatus.REJECTED if errors else AppRecStatus.OK
    w.add(root, "Status", V=status.value, DN=status.text)
    for error in errors:
        attrs = {"V": error.code.value, "DN": error.code.text, "S": error.code.oid}
        w.add(root, "Error", **attrs, **({"OT": error.extra} if error.extra else {}))
    _original_msg_id(w, root, original, gen_date)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _original_msg_id(
    w: _Writer, root: etree._Element, original: MsgHeadInfo | None, gen_date: datetime
) -> None:
    node = w.add(root, "OriginalMsgId")
    code, text = _original_type(original)
    w.add(node, "MsgType", V=code, DN=text)
    issued = original.gen_date if original and original.gen_date else gen_date
    w.add(node, "IssueDate", format_datetime(issued))
    w.add(node, "Id", (original.msg_id if original else None) or UNKNOWN_MSG_ID)
