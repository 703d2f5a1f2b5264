"""The code lists in code agree with the official lists (codelists.txt) and the standards."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub_shared.elin.codes import (
    APPREC_ERROR_TEXTS,
    DESTINATION_TEXTS,
    EVENT_TEXTS,
    MESSAGE_TYPE_TEXTS,
    AppRecErrorCode,
    AppRecStatus,
    DialogTheme,
    DischargeCondition,
    EventCode,
    MessageType,
    ShipmentStatus,
    oid,
)


def _official(elin_reference: Path, number: int) -> dict[str, str]:
    text = (elin_reference / "codelists.txt").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith(f"== k-{number} "))
    pairs = line.split(": ", 1)[1].split("; ")
    return dict(pair.split("=", 1) for pair in pairs)


@pytest.mark.parametrize(
    ("number", "ours"),
    [
        (8221, APPREC_ERROR_TEXTS),
        (8258, {s.value: s.text for s in AppRecStatus}),
        (7309, {s.value: s.text for s in ShipmentStatus}),
        (9121, {str(k): v for k, v in EVENT_TEXTS.items()}),
        (8408, DESTINATION_TEXTS),
    ],
)
def test_lists_equal_the_official_ones(
    number: int, ours: dict[str, str], elin_reference: Path
) -> None:
    assert ours == _official(elin_reference, number)


def test_message_types_are_official_8279_codes(elin_reference: Path) -> None:
    official = _official(elin_reference, 8279)
    for code, text in MESSAGE_TYPE_TEXTS.items():
        assert official[code] == text


def test_every_8221_code_has_an_enum_member_with_text_and_oid() -> None:
    assert {c.value for c in AppRecErrorCode} == set(APPREC_ERROR_TEXTS)
    assert AppRecErrorCode.E21.text == "Mottaker finnes ikke"
    assert AppRecErrorCode.T01.oid == "2.16.578.1.12.4.1.1.8221"
    assert all(re.fullmatch(r"[TSEX]\d\d", c.value) for c in AppRecErrorCode)


def test_enums() -> None:
    assert [int(e) for e in EventCode] == [1, 2, 3, 4, 13]
    assert EventCode.READY.text == "Pasient utskrivningsklar"
    assert MessageType.LOG_UTSKRIVNINGSKLAR.text == "Melding om utskrivningsklar pasient"
    assert DischargeCondition.DEAD.value == "2" and DischargeCondition.DEAD.text == "Som død"
    assert DialogTheme("7").text == "Tilbakemelding på mottak av utskrivningsklar pasient"
    assert DialogTheme.DISCHARGE_READY_ANSWER.oid == oid(7322) == "2.16.578.1.12.4.1.1.7322"
