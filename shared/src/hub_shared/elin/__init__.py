"""ELIN/PLO messages: read (MsgHead + Pasientlogistikk / Dialogmelding), check, answer (AppRec).

Typical use in a service::

    schema = load_schema()                      # None: run without T02, log a warning
    try:
        msg = read_message(body, schema=schema, supported_types=TYPES)
        errors = content_errors(msg, receiver_known=register.knows)
        head, version = msg.head, msg.content_version
    except MessageRejected as rejected:
        errors, head, version = rejected.errors, rejected.head, rejected.content_version
    apprec = build_apprec(original=head, errors=errors, version=apprec_version_for(version), ...)
"""

from hub_shared.elin.apprec import apprec_version_for, build_apprec
from hub_shared.elin.checks import content_errors
from hub_shared.elin.codes import (
    AppRecErrorCode,
    AppRecStatus,
    DialogTheme,
    DischargeCondition,
    EventCode,
    MessageType,
    ShipmentStatus,
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
    ResponsiblePerson,
    TimedEvent,
)
from hub_shared.elin.reader import MessageRejected, parse_apprec, read_message
from hub_shared.elin.safe_xml import XmlRejected, parse_xml
from hub_shared.elin.schema import load_schema

__all__ = [
    "Address",
    "AppRecError",
    "AppRecErrorCode",
    "AppRecInfo",
    "AppRecStatus",
    "CodedValue",
    "ConversationRef",
    "DialogContent",
    "DialogTheme",
    "DischargeCondition",
    "ElinMessage",
    "EventCode",
    "MessageRejected",
    "MessageType",
    "MsgHeadInfo",
    "Party",
    "PatientIdentity",
    "PloContent",
    "ReceivedAppRecError",
    "ResponsiblePerson",
    "ShipmentStatus",
    "TimedEvent",
    "XmlRejected",
    "apprec_version_for",
    "build_apprec",
    "content_errors",
    "load_schema",
    "parse_apprec",
    "parse_xml",
    "read_message",
]
