"""The municipality's structured answer (docs/municipal-answer.md): written, validated, read back."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from lxml import etree

from hub_shared.elin.answer import MunicipalAnswer, UnreadableAnswer, answer_note, read_answer
from hub_shared.elin.models import DialogContent
from hub_shared.elin.reader import read_message
from hub_shared.paths import repo_root

TYPES = frozenset({"DIALOG_HELSEFAGLIG"})
NS = "http://www.kith.no/xmlstds/dialog/2013-01-23"


def dialog_with_text(inner_xml: str, theme: str = "7") -> DialogContent:
    """A DialogContent whose TekstNotatInnhold holds exactly `inner_xml`."""
    content = (
        f'<Dialogmelding xmlns="{NS}"><Notat><TemaKodet V="{theme}"/>'
        f"<TekstNotatInnhold>{inner_xml}</TekstNotatInnhold></Notat></Dialogmelding>"
    ).encode()
    return DialogContent(theme_code=theme, content_xml=content)


@pytest.mark.parametrize(
    "answer",
    [
        MunicipalAnswer(True, ready_from=date(2024, 4, 12), text="Plass på Solbakken."),
        MunicipalAnswer(False, text="Vi leter etter bolig."),
        MunicipalAnswer(False, expected_on=date(2024, 4, 11), text="Linje 1\nLinje 2"),
    ],
)
def test_written_answers_validate_and_read_back_equal(
    answer: MunicipalAnswer, make_dialog: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    raw = make_dialog(note=answer_note(answer))
    elin_schema.assertValid(etree.fromstring(raw))
    assert read_answer(read_message(raw, schema=elin_schema, supported_types=TYPES)) == answer


def test_answer_without_text_gets_a_readable_norwegian_sentence() -> None:
    note = answer_note(MunicipalAnswer(True, ready_from=date(2024, 4, 12)))
    assert note == "KAN-MOTTA: 2024-04-12\nKommunen kan ta imot pasienten fra fredag 12.04.2024."
    expected = answer_note(MunicipalAnswer(False, expected_on=date(2024, 4, 11)))
    assert expected.splitlines()[0] == "KAN-IKKE-MOTTA; FORVENTET: 2024-04-11"
    assert "torsdag 11.04.2024" in expected
    assert answer_note(MunicipalAnswer(False)).splitlines()[0] == "KAN-IKKE-MOTTA"


@pytest.mark.parametrize(
    ("first_line", "can", "ready_from", "expected_on"),
    [
        ("KAN-MOTTA: 2024-04-12", True, date(2024, 4, 12), None),
        ("kan-motta:2024-04-12", True, date(2024, 4, 12), None),
        ("  KAN-MOTTA :  2024-04-12  ", True, date(2024, 4, 12), None),
        ("KAN-IKKE-MOTTA", False, None, None),
        ("Kan-Ikke-Motta ; Forventet : 2024-04-11", False, None, date(2024, 4, 11)),
    ],
)
def test_the_first_line_is_read_leniently_in_case_and_spacing(
    first_line: str, can: bool, ready_from: date | None, expected_on: date | None
) -> None:
    answer = read_answer(dialog_with_text(f"{first_line}\nmer tekst"))
    assert (answer.can_receive, answer.ready_from, answer.expected_on) == (
        can,
        ready_from,
        expected_on,
    )
    assert answer.text == "mer tekst"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "no_text"),
        ("   ", "no_text"),
        ("Vi kan ta imot pasienten på fredag.", "no_marker"),
        ("Pasienten kan motta besøk.\nKAN-MOTTA: 2024-04-12", "no_marker"),
        ("KAN-MOTTA", "malformed"),
        ("KAN-MOTTA: fredag", "malformed"),
        ("KAN-MOTTA: 12.04.2024", "malformed"),
        ("KAN-MOTTA: 2024-04-12 etter kl 12", "malformed"),
        ("KAN-MOTTA; FORVENTET: 2024-04-12", "malformed"),
        ("KAN-IKKE-MOTTA: 2024-04-12", "malformed"),
        ("KANMOTTA: 2024-04-12", "no_marker"),
        ("KAN-MOTTA: 2024-02-30", "invalid_date"),
        ("KAN-IKKE-MOTTA; FORVENTET: 2024-13-01", "invalid_date"),
    ],
)
def test_anything_else_is_unreadable_never_can_receive(text: str, reason: str) -> None:
    with pytest.raises(UnreadableAnswer) as caught:
        read_answer(dialog_with_text(text))
    assert caught.value.reason == reason


def test_the_error_never_quotes_the_message() -> None:
    with pytest.raises(UnreadableAnswer) as caught:
        read_answer(dialog_with_text("Roland Gundersen 15076500565 kan motta"))
    assert "15076500565" not in str(caught.value) and "Gundersen" not in str(caught.value)


def test_another_theme_or_a_plo_message_is_not_an_answer(
    make_dialog: Callable[..., bytes], make_plo: Callable[..., bytes], elin_schema: etree.XMLSchema
) -> None:
    all_types = frozenset({"DIALOG_HELSEFAGLIG", "LOG_INNLAGT"})
    for raw in (make_dialog(theme="6", note="KAN-MOTTA: 2024-04-12"), make_plo()):
        msg = read_message(raw, schema=elin_schema, supported_types=all_types)
        with pytest.raises(UnreadableAnswer) as caught:
            read_answer(msg)
        assert caught.value.reason == "not_an_answer"


def test_xhtml_paragraphs_read_as_lines() -> None:
    xhtml = (
        '<p xmlns="http://www.w3.org/1999/xhtml">KAN-MOTTA: 2024-04-12</p>'
        '<p xmlns="http://www.w3.org/1999/xhtml">Plass på <b>Solbakken</b>.</p>'
    )
    answer = read_answer(dialog_with_text(xhtml))
    assert (answer.can_receive, answer.ready_from) == (True, date(2024, 4, 12))
    assert answer.text == "Plass på\nSolbakken\n."


def test_an_inconsistent_answer_cannot_be_made() -> None:
    with pytest.raises(ValueError):
        MunicipalAnswer(True)
    with pytest.raises(ValueError):
        MunicipalAnswer(True, ready_from=date(2024, 4, 12), expected_on=date(2024, 4, 12))
    with pytest.raises(ValueError):
        MunicipalAnswer(False, ready_from=date(2024, 4, 12))


def test_the_documented_example_validates_and_reads_as_documented(
    elin_schema: etree.XMLSchema,
) -> None:
    page = (repo_root() / "docs" / "municipal-answer.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```xml\n(.*?)```", page, re.DOTALL)
    assert len(blocks) == 1
    raw = blocks[0].encode()
    elin_schema.assertValid(etree.fromstring(raw))
    answer = read_answer(read_message(raw, schema=elin_schema, supported_types=TYPES))
    assert answer == MunicipalAnswer(
        False,
        expected_on=date(2024, 4, 11),
        text="Vi arbeider med et botilbud. Kontakt tildelingskontoret, tlf. 62 48 70 00.",
    )
    note = re.search(r"```text\n(.*?)```", page, re.DOTALL)
    assert note is not None
    assert note[1].strip() == answer_note(MunicipalAnswer(True, ready_from=date(2024, 4, 12)))
