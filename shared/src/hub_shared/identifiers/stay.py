"""The stay id (opphold): one pseudonymous UUID per hospital stay, the same in every service.

A stay is (patient identifier, hospital organisation HER-id, admission time). Every service
derives the id from those three with one shared secret, so that events of one stay meet on one
Kafka key without any service sharing the patient number. The secret (HMAC key) is what keeps
the FNR from being brute-forced out of the id: FNRs are few enough to enumerate.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
_MIN_SECRET_BYTES = 16


def _utc_second(moment: datetime) -> str:
    # Naive times in ELIN are Norwegian local time; fold=0 takes the first of a repeated hour.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OSLO, fold=0)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stay_id(patient_id: str, hospital_her: str, admitted_at: datetime, secret: bytes) -> uuid.UUID:
    """The stay's UUID: HMAC-SHA256(secret, "patient|hospital|admitted UTC second") as UUIDv8.

    ``admitted_at`` is cut to the second and taken as Europe/Oslo local time when naive.
    """
    if not isinstance(admitted_at, datetime):
        raise TypeError("admitted_at must be a datetime (a date alone does not key a stay)")
    if len(secret) < _MIN_SECRET_BYTES:
        raise ValueError(f"the stay-id secret must be at least {_MIN_SECRET_BYTES} bytes")
    if not patient_id or not hospital_her or "|" in patient_id + hospital_her:
        raise ValueError("patient id and hospital HER-id must be non-empty and without '|'")
    return pseudonymous_uuid(f"{patient_id}|{hospital_her}|{_utc_second(admitted_at)}", secret)


def pseudonymous_uuid(message: str, secret: bytes) -> uuid.UUID:
    """HMAC-SHA256(secret, message) as a UUIDv8: the same input gives the same id everywhere."""
    digest = bytearray(hmac.new(secret, message.encode(), hashlib.sha256).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x80  # version 8: custom (RFC 9562)
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return uuid.UUID(bytes=bytes(digest))
