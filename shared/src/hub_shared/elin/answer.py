"""The municipality's answer to a discharge-ready notice, machine-readable inside Helsefaglig dialog.

"Tilbakemelding på mottak av utskrivningsklar pasient" is a Dialogmelding 1.1 with
``Notat/TemaKodet V="7"`` (list 7322). The standard gives it only free text, so the hub reads a
fixed first line of ``TekstNotatInnhold`` (docs/municipal-answer.md)::

    KAN-MOTTA: 2024-04-12                     can receive from that day
    KAN-IKKE-MOTTA                            cannot receive, no estimate
    KAN-IKKE-MOTTA; FORVENTET: 2024-04-11     cannot receive, a place expected that day

Lines after the first are for the human reader. Keywords are read case-insensitively and spaces
around ``:`` and ``;`` are allowed; dates are ISO 8601 (YYYY-MM-DD). Anything else is not an
answer: ``read_answer`` raises ``UnreadableAnswer`` rather than guess, so that an answer the hub
cannot read never counts as "can receive".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from hub_shared.elin.codes import NS_DIALOG_11, DialogTheme
from hub_shared.elin.models import DialogContent, ElinMessage

CAN_RECEIVE = "KAN-MOTTA"
CANNOT_RECEIVE = "KAN-IKKE-MOTTA"
EXPECTED = "FORVENTET"

_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_CAN = re.compile(rf"KAN-MOTTA\s*:\s*(?P<day>{_ISO_DATE})", re.IGNORECASE)
_CANNOT = re.compile(
    rf"KAN-IKKE-MOTTA(?:\s*;\s*FORVENTET\s*:\s*(?P<day>{_ISO_DATE}))?", re.IGNORECASE
)
_MARKER_START = re.compile(r"KAN-", re.IGNORECASE)
_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")

Reason = Literal["not_an_answer", "no_text", "no_marker", "malformed", "invalid_date"]
_REASON_TEXTS: dict[str, str] = {
    "not_an_answer": "not a Dialogmelding with TemaKodet 7 (list 7322)",
    "no_text": "TekstNotatInnhold is empty or missing",
    "no_marker": "the first line is not KAN-MOTTA / KAN-IKKE-MOTTA",
    "malformed": "the first line starts like an answer but does not follow the form",
    "invalid_date": "the date in the first line is not a calendar date",
}


class UnreadableAnswer(ValueError):
    """The message holds no answer in the structured form. The text never quotes the message,
    which may name the patient."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(f"unreadable municipal answer: {_REASON_TEXTS[reason]}")
        self.reason: Reason = reason


@dataclass(frozen=True)
class MunicipalAnswer:
    """Can the municipality receive the patient (kan motta), from when, or when is it expected.

    ``ready_from`` is required with ``can_receive`` (an explicit "a place is ready from that
    day"); ``expected_on`` is only allowed without it (an estimate, which stops no clock).
    ``text`` is the free text for the human reader (everything after the first line).
    """

    can_receive: bool
    ready_from: date | None = None
    expected_on: date | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.can_receive and (self.ready_from is None or self.expected_on is not None):
            raise ValueError("can_receive needs ready_from and no expected_on")
        if not self.can_receive and self.ready_from is not None:
            raise ValueError("ready_from is only for can_receive; use expected_on")

    @property
    def first_line(self) -> str:
        """The machine-readable line this answer is written as."""
        if self.can_receive:
            assert self.ready_from is not None
            return f"{CAN_RECEIVE}: {self.ready_from.isoformat()}"
        if self.expected_on is None:
            return CANNOT_RECEIVE
        return f"{CANNOT_RECEIVE}; {EXPECTED}: {self.expected_on.isoformat()}"


def answer_note(answer: MunicipalAnswer) -> str:
    """The TekstNotatInnhold to send: the structured first line, then the text for people
    (a plain Norwegian sentence when the answer has no text of its own)."""
    return f"{answer.first_line}\n{answer.text.strip() or _sentence(answer)}"


def read_answer(msg: ElinMessage | DialogContent) -> MunicipalAnswer:
    """The structured answer of a TemaKodet-7 dialog, or ``UnreadableAnswer`` saying why not."""
    dialog = msg.dialog if isinstance(msg, ElinMessage) else msg
    if dialog is None or dialog.theme_code != DialogTheme.DISCHARGE_READY_ANSWER:
        raise UnreadableAnswer("not_an_answer")
    first, rest = _first_line_and_rest(dialog)
    if not first:
        raise UnreadableAnswer("no_text")
    return _parse(first, rest)


def _parse(first: str, rest: str) -> MunicipalAnswer:
    if not _MARKER_START.match(first):
        raise UnreadableAnswer("no_marker")
    can = _CAN.fullmatch(first)
    if can is not None:
        return MunicipalAnswer(True, ready_from=_date(can["day"]), text=rest)
    cannot = _CANNOT.fullmatch(first)
    if cannot is not None:
        expected = _date(cannot["day"]) if cannot["day"] else None
        return MunicipalAnswer(False, expected_on=expected, text=rest)
    raise UnreadableAnswer("malformed")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UnreadableAnswer("invalid_date") from None


def _first_line_and_rest(dialog: DialogContent) -> tuple[str, str]:
    """The first non-blank line of the first Notat's TekstNotatInnhold, and the text after it.

    TekstNotatInnhold may be XHTML (HISD 1155): its text pieces are taken one per paragraph,
    so that ``<p>KAN-MOTTA: 2024-04-12</p><p>...</p>`` reads like two lines.
    """
    root = dialog.element()
    node = root.find(f"{{{NS_DIALOG_11}}}Notat/{{{NS_DIALOG_11}}}TekstNotatInnhold")
    pieces = [] if node is None else [p.strip() for p in node.itertext() if p.strip()]
    if not pieces:
        return "", ""
    first, _, remainder = pieces[0].partition("\n")
    rest = "\n".join(part for part in (remainder.strip(), *pieces[1:]) if part)
    return first.strip(), rest


def _norwegian(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day:%d.%m.%Y}"


def _sentence(answer: MunicipalAnswer) -> str:
    if answer.can_receive:
        assert answer.ready_from is not None
        return f"Kommunen kan ta imot pasienten fra {_norwegian(answer.ready_from)}."
    if answer.expected_on is None:
        return "Kommunen kan ikke ta imot pasienten nå."
    return (
        "Kommunen kan ikke ta imot pasienten nå. "
        f"Et tilbud forventes klart {_norwegian(answer.expected_on)}."
    )
