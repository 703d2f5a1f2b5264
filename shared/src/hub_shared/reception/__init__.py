"""Receiving an ELIN message, the same way in every service that takes XML.

Parse safely, answer a duplicate MsgId with the AppRec it already got, check the content (receiver,
patient identity), let the service apply the message, and store message, AppRec, state change and
events in one transaction. Every path ends in exactly one AppRec; only infrastructure failures raise.
"""

from hub_shared.reception.answer import Answer
from hub_shared.reception.log import MessageLog, StoredAnswer
from hub_shared.reception.pipeline import (
    ContentRejected,
    MessageApplier,
    MessageReception,
)

__all__ = [
    "Answer",
    "ContentRejected",
    "MessageApplier",
    "MessageLog",
    "MessageReception",
    "StoredAnswer",
]
