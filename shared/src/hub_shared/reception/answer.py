"""What a received message is answered with."""

from __future__ import annotations

from dataclasses import dataclass, replace

from hub_shared.reception.log import StoredAnswer


@dataclass(frozen=True)
class Answer:
    apprec: bytes
    accepted: bool
    error_codes: str
    stay_id: str | None = None
    duplicate: bool = False
    msg_type: str | None = None

    @classmethod
    def again(cls, stored: StoredAnswer) -> Answer:
        """The answer a duplicate MsgId gets: exactly what the first one got."""
        return cls(stored.apprec, stored.accepted, stored.error_codes, stored.stay_id, True)

    def repeated(self) -> Answer:
        """This answer, given again to a second copy of the message."""
        return replace(self, duplicate=True)
