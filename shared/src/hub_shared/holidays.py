"""Norwegian public holidays (offentlige høytidsdager, helligdager), Easter-based ones included.

One definition for every service: billing's working-day rules (agreement profiles) and the
housing office's move-in warnings. Christmas Eve and New Year's Eve are not public holidays.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

# Days relative to Easter Sunday, with their Norwegian and English names.
_EASTER_BASED = (
    (-3, "skjærtorsdag", "Maundy Thursday"),
    (-2, "langfredag", "Good Friday"),
    (0, "1. påskedag", "Easter Sunday"),
    (1, "2. påskedag", "Easter Monday"),
    (39, "Kristi himmelfartsdag", "Ascension Day"),
    (49, "1. pinsedag", "Whit Sunday"),
    (50, "2. pinsedag", "Whit Monday"),
)
_FIXED = (
    (1, 1, "1. nyttårsdag", "New Year's Day"),
    (5, 1, "arbeidernes dag", "Labour Day"),
    (5, 17, "grunnlovsdag", "Constitution Day"),
    (12, 25, "1. juledag", "Christmas Day"),
    (12, 26, "2. juledag", "Boxing Day"),
)


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian calendar; anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def holiday_names(year: int) -> Mapping[date, tuple[str, str]]:
    """The public holidays of a year, each with its (Norwegian, English) name."""
    easter = easter_sunday(year)
    found = {date(year, m, d): (nb, en) for m, d, nb, en in _FIXED}
    for offset, nb, en in _EASTER_BASED:
        found[easter + timedelta(days=offset)] = (nb, en)
    return MappingProxyType(dict(sorted(found.items())))


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The days of the year that are Norwegian public holidays."""
    return frozenset(holiday_names(year))


def holiday_name(day: date, lang: str = "nb") -> str | None:
    """The holiday's name in `lang` ("nb" or "en"), or None on any other day."""
    names = holiday_names(day.year).get(day)
    if names is None:
        return None
    return names[1] if lang == "en" else names[0]
