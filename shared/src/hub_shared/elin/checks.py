"""Content checks on a read message, answered with a negative AppRec (HIS 80415 §3.3.4).

All failing checks are reported together, so the hospital can fix everything in one resend:

- E10: MsgId is not a UUID (SKAL).
- E21: the receiver (the most specific HER-id given) is not known to the hub (KAN; the hub
  chooses to reject, since it cannot route the message anywhere).
- E30: no national patient identifier (FNR, D-nummer or felles hjelpenummer). HIS 80415 would
  accept name + birth date + sex as identification; the hub deliberately answers that with E30,
  because it needs a national identifier to key the stay (see ``identifiers.stay``).
- E31: the identifier's check digits are wrong, or its TypeId says FNR/DNR/FHN while the
  number is of another kind.
- E36: the Patient element is missing, or the patient's family name is (PLO requires name +
  identifier, HIS 80704 §4.1.1).

The extra text (OT) names the field at fault, never the number or the name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from hub_shared.elin.codes import AppRecErrorCode
from hub_shared.elin.models import AppRecError, ElinMessage, PatientIdentity
from hub_shared.identifiers.person import NATIONAL_KINDS, is_valid_person_id

# RFC 4122 textual form: 8-4-4-4-12 hex digits, any version and variant, either case.
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def is_uuid_text(value: str | None) -> bool:
    return value is not None and _UUID.fullmatch(value) is not None


def _msg_id_errors(msg: ElinMessage) -> list[AppRecError]:
    if is_uuid_text(msg.head.msg_id):
        return []
    return [AppRecError(code=AppRecErrorCode.E10, extra="MsgInfo/MsgId er ikke en UUID")]


def _receiver_errors(msg: ElinMessage, receiver_known: Callable[[str], bool]) -> list[AppRecError]:
    her_id = msg.head.receiver.most_specific_her_id
    if her_id is None:
        extra = "Mottakers HER-id mangler i MsgInfo/Receiver"
    elif receiver_known(her_id):
        return []
    else:
        level = "tjenesten (nivå 2)" if msg.head.receiver.service_her_id else "virksomheten"
        extra = f"HER-id for {level} i MsgInfo/Receiver er ikke kjent hos mottaker"
    return [AppRecError(code=AppRecErrorCode.E21, extra=extra)]


def _identifier_errors(patient: PatientIdentity | None) -> list[AppRecError]:
    if patient is None or patient.id is None or patient.id_type not in NATIONAL_KINDS:
        extra = "Patient/Ident med fødselsnummer, D-nummer eller felles hjelpenummer mangler"
        return [AppRecError(code=AppRecErrorCode.E30, extra=extra)]
    if is_valid_person_id(patient.id, patient.id_type):
        return []
    extra = (
        f"Patient/Ident/Id (TypeId {patient.id_type}) har feil kontrollsiffer "
        "eller er ikke et nummer av denne typen"
    )
    return [AppRecError(code=AppRecErrorCode.E31, extra=extra)]


def _identity_errors(patient: PatientIdentity | None) -> list[AppRecError]:
    if patient is None:
        extra = "MsgInfo/Patient mangler; PLO krever navn og fødselsnummer"
    elif not patient.family_name:
        extra = "Patient/FamilyName (etternavn) mangler"
    else:
        return []
    return [AppRecError(code=AppRecErrorCode.E36, extra=extra)]


def content_errors(msg: ElinMessage, *, receiver_known: Callable[[str], bool]) -> list[AppRecError]:
    """Every content error of ``msg`` (E10, E21, E30, E31, E36); empty when it may be imported."""
    patient = msg.head.patient
    return [
        *_msg_id_errors(msg),
        *_receiver_errors(msg, receiver_known),
        *_identifier_errors(patient),
        *_identity_errors(patient),
    ]
