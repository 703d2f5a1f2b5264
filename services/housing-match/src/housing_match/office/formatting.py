"""Dates, times, numbers and money as the housing office reads them.

Norwegian (bokmål) by default: 24.11.2026, 24.11.2026 kl. 10:42 (Europe/Oslo), 1 234 and
kr 5 745, with a non-breaking space as the thousands separator and after "kr" (so that an amount
never breaks across lines). English: 24 Nov 2026, 24 Nov 2026, 10:42, 1,234 and NOK 5,745.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from hub_shared.holidays import holiday_name
from hub_shared.timeutil import OSLO

NBSP = "\u00a0"
MINUS = "\u2212"

_MONTHS = {
    "nb": (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_WEEKDAYS = {
    "nb": ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "nb"


def number(value: int | Decimal, lang: str = "nb", decimals: int = 0) -> str:
    """1234567 -> "1 234 567" (nb, non-breaking spaces) or "1,234,567" (en)."""
    negative = value < 0
    text = f"{abs(Decimal(value)):,.{decimals}f}"
    if _lang(lang) == "nb":
        text = text.replace(",", NBSP).replace(".", ",")
    return (MINUS if negative else "") + text


def money(amount: Decimal | int | None, lang: str = "nb") -> str:
    """kr 5 745 (nb) or NOK 5,745 (en); øre only when there are any: kr 5 745,50."""
    if amount is None:
        return "–"
    value = Decimal(amount)
    decimals = 0 if value == value.to_integral_value() else 2
    digits = number(value, lang, decimals)
    prefix = "kr" if _lang(lang) == "nb" else "NOK"
    return f"{prefix}{NBSP}{digits}"


def parse_money(text: str) -> Decimal:
    """The amount of a text written by `money` (either language): "kr 5 745" -> 5745."""
    cleaned = text.replace(NBSP, " ").replace(MINUS, "-").strip()
    cleaned = re.sub(r"^(kr|NOK)\s*", "", cleaned)
    if "," in cleaned and "." not in cleaned and re.search(r",\d{2}$", cleaned):
        cleaned = cleaned.replace(" ", "").replace(",", ".")
    else:
        cleaned = cleaned.replace(" ", "").replace(",", "")
    return Decimal(cleaned)


def day(value: date | None, lang: str = "nb") -> str:
    """24.11.2026 (nb) or 24 Nov 2026 (en)."""
    if value is None:
        return "–"
    if _lang(lang) == "nb":
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    return f"{value.day} {_MONTHS['en'][value.month - 1][:3]} {value.year}"


def long_day(value: date | None, lang: str = "nb") -> str:
    """fredag 12.04.2024 (nb) or Friday 12 Apr 2024 (en)."""
    if value is None:
        return "–"
    return f"{weekday(value, lang)} {day(value, lang)}"


def moment(value: datetime | None, lang: str = "nb") -> str:
    """An instant in Oslo time: 24.11.2026 kl. 10:42 (nb) or 24 Nov 2026, 10:42 (en). A naive
    datetime is UTC (as SQLite hands stored instants back)."""
    if value is None:
        return "–"
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(OSLO)
    if _lang(lang) == "nb":
        return f"{day(local.date(), lang)} kl.{NBSP}{local:%H:%M}"
    return f"{day(local.date(), lang)}, {local:%H:%M}"


def clock_time(value: datetime, lang: str = "nb") -> str:
    """10:42:15, Oslo time (the same in both languages)."""
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(OSLO)
    return f"{local:%H:%M:%S}"


def weekday(value: date, lang: str = "nb") -> str:
    return _WEEKDAYS[_lang(lang)][value.weekday()]


def month_name(year: int, month: int, lang: str = "nb") -> str:
    """april 2024 (nb) or April 2024 (en)."""
    return f"{_MONTHS[_lang(lang)][month - 1]} {year}"


def month_label(label: str, lang: str = "nb") -> str:
    """ "2024-04" -> "april 2024"."""
    year, month = label.split("-")
    return month_name(int(year), int(month), lang)


def initials(given: str | None, family: str | None) -> str | None:
    """ "Roland", "Gundersen" -> "R. G." (first letters of each given and family name part)."""
    parts = [*(given or "").replace("-", " ").split(), *(family or "").replace("-", " ").split()]
    letters = [p[0].upper() for p in parts if p and p[0].isalpha()]
    if not letters:
        return None
    return " ".join(f"{letter}." for letter in letters[:4])


def short_ref(stay_id: str) -> str:
    """The stay reference lists show: the first eight characters of the pseudonymous stay id."""
    return stay_id.replace("-", "")[:8]


def move_in_concerns(value: date, lang: str = "nb") -> list[str]:
    """Why a move-in day deserves a second thought: a Friday (no follow-up over the weekend), a
    Saturday or Sunday, or a public holiday (HOUSING.md). Empty for an ordinary working day."""
    found = []
    name = holiday_name(value, _lang(lang))
    if name is not None:
        found.append("holiday")
    if value.weekday() == 4:
        found.append("friday")
    elif value.weekday() >= 5:
        found.append("weekend")
    return found
