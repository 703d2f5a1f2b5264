"""The stay id: deterministic, keyed, pseudonymous; naive times are Europe/Oslo."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hub_shared.identifiers.stay import stay_id

SECRET = b"0123456789abcdef-test-secret"
ADMITTED = datetime(2025, 3, 10, 14, 32)  # naive: Oslo local (CET, UTC+1)


def test_deterministic_and_uuid_v8() -> None:
    first = stay_id("15076500565", "59", ADMITTED, SECRET)
    assert first == stay_id("15076500565", "59", ADMITTED, SECRET)
    assert first.version == 8
    assert first.variant == uuid.RFC_4122


def test_matches_the_documented_construction() -> None:
    # Anyone holding the key can derive the same id: HMAC-SHA256 over "patient|her|UTC second".
    digest = hmac.new(SECRET, b"15076500565|59|2025-03-10T13:32:00Z", hashlib.sha256).digest()
    raw = bytearray(digest[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    assert stay_id("15076500565", "59", ADMITTED, SECRET) == uuid.UUID(bytes=bytes(raw))


def test_each_part_and_the_secret_change_the_id() -> None:
    base = stay_id("15076500565", "59", ADMITTED, SECRET)
    assert stay_id("55076500559", "59", ADMITTED, SECRET) != base
    assert stay_id("15076500565", "60", ADMITTED, SECRET) != base
    assert stay_id("15076500565", "59", ADMITTED + timedelta(seconds=1), SECRET) != base
    assert stay_id("15076500565", "59", ADMITTED, SECRET + b"x") != base


def test_naive_is_oslo_and_equals_the_same_instant_elsewhere() -> None:
    aware_utc = datetime(2025, 3, 10, 13, 32, tzinfo=UTC)
    aware_plus5 = aware_utc.astimezone(timezone(timedelta(hours=5)))
    expected = stay_id("15076500565", "59", ADMITTED, SECRET)
    assert stay_id("15076500565", "59", aware_utc, SECRET) == expected
    assert stay_id("15076500565", "59", aware_plus5, SECRET) == expected


def test_a_date_alone_is_refused() -> None:
    with pytest.raises(TypeError):
        stay_id("1", "59", ADMITTED.date(), SECRET)  # type: ignore[arg-type]


def test_cut_to_the_second() -> None:
    with_micro = ADMITTED.replace(microsecond=999_999)
    assert stay_id("1", "59", with_micro, SECRET) == stay_id("1", "59", ADMITTED, SECRET)


def test_repeated_autumn_hour_takes_the_first_occurrence() -> None:
    # 2025-10-26 02:30 happens twice in Oslo; fold=0 is the first one, still summer time (UTC+2).
    naive = datetime(2025, 10, 26, 2, 30)
    first = datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert stay_id("1", "59", naive, SECRET) == stay_id("1", "59", first, SECRET)


@pytest.mark.parametrize(
    ("patient", "her", "secret"),
    [
        ("", "59", SECRET),
        ("15076500565", "", SECRET),
        ("15076|500565", "59", SECRET),
        ("15076500565", "59", b"short"),
    ],
)
def test_bad_input_is_refused_without_echoing_it(patient: str, her: str, secret: bytes) -> None:
    with pytest.raises(ValueError) as caught:
        stay_id(patient, her, ADMITTED, secret)
    assert "500565" not in str(caught.value)
