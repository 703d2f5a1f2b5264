"""The one envelope every event travels in (CloudEvents 1.0 attributes, JSON on Kafka)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class EventData(BaseModel):
    """Base of every event's data. Subclasses name their type, topic and schema version."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    EVENT_TYPE: ClassVar[str]
    TOPIC: ClassVar[str]
    SCHEMA_VERSION: ClassVar[int] = 1


class Envelope(BaseModel):
    """An event as published: the subject is the stay id, which is also the Kafka key."""

    model_config = ConfigDict(frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    source: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str
    datacontenttype: Literal["application/json"] = "application/json"
    schemaversion: int = 1
    data: dict[str, Any]

    @classmethod
    def wrap(cls, data: EventData, *, subject: str, source: str) -> Envelope:
        return cls(
            type=data.EVENT_TYPE,
            source=source,
            subject=subject,
            schemaversion=data.SCHEMA_VERSION,
            data=data.model_dump(mode="json"),
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)
