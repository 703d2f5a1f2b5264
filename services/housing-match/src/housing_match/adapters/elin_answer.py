"""The municipality's answer to a discharge-ready notice as ELIN XML (docs/municipal-answer.md).

Dialogmelding 1.1, `DIALOG_HELSEFAGLIG`, `Notat/TemaKodet V="7"`; the first line of the note is
the structured answer (`hub_shared.elin.answer`). It replies to the hospital's
`LOG_UTSKRIVNINGSKLAR`: `RefToConversation` is the notice's conversation, `RefToParent` the notice
(or, for a later answer, the municipality's own earlier answer in the same dialog). It is sent from
the municipal service the notice was addressed to, to the hospital service that sent it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from hub_shared.elin.answer import MunicipalAnswer, answer_note
from hub_shared.elin.builder import build_dialog_message
from hub_shared.elin.models import ConversationRef, Party, PatientIdentity
from hub_shared.elin.reader import schema_error_text


class InvalidAnswer(RuntimeError):
    """The answer the hub built does not validate against the official schema: a bug."""


@dataclass(frozen=True)
class AnswerAddress:
    """Who answers whom, about whom, in which conversation."""

    municipality: Party
    hospital: Party
    patient: PatientIdentity | None
    notice_msg_id: str
    conversation_id: str


def build_answer(
    answer: MunicipalAnswer,
    address: AnswerAddress,
    *,
    msg_id: str,
    gen_date: datetime,
    parent_msg_id: str | None = None,
    more_lines: Sequence[str] = (),
    schema: etree.XMLSchema | None = None,
) -> bytes:
    """The answer's XML; `more_lines` follow the note for the human reader. Checked against
    `schema` when one is given."""
    note = "\n".join([answer_note(answer), *more_lines])
    body = build_dialog_message(
        msg_id=msg_id,
        gen_date=gen_date,
        sender=address.municipality,
        receiver=address.hospital,
        patient=address.patient,
        note=note,
        conversation_ref=ConversationRef(
            ref_to_parent=parent_msg_id or address.notice_msg_id,
            ref_to_conversation=address.conversation_id,
        ),
    )
    if schema is not None and not schema.validate(etree.fromstring(body)):
        raise InvalidAnswer(schema_error_text(list(schema.error_log)))
    return body
