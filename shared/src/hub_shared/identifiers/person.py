"""Norwegian person numbers per HIS 1001:2010 (Identifikatorer for personer).

An 11-digit number is DDMMYY + individnummer (3 digits) + two mod-11 check digits K1 K2.
The kinds share the check-digit rule and differ only in which digit is shifted:

- FNR, fødselsnummer: the plain form.
- DNR, D-nummer: first digit + 4 (day 41..71).
- HNR, H-nummer (virksomhetsinternt hjelpenummer): third digit + 4 (month 41..52).
- FHN, felles hjelpenummer: first digit 8 or 9 (a 9-digit serial 800000000..999999999).

No calendar check is made beyond the digits: synthetic test numbers (NAV Dolly adds 40 to the
month, Skatteetaten Tenor adds 80) must pass when their check digits are right. A Dolly number
(month + 40) looks exactly like an H-nummer, so ``classify`` calls it HNR (the standard's order),
while ``is_valid_person_id(n, "FNR")`` accepts it as a synthetic FNR; see that function.
"""

from __future__ import annotations

from enum import StrEnum

_WEIGHTS_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


class PersonIdKind(StrEnum):
    """Person identifier types, as their code in list 8116 (ID-type for personer)."""

    FNR = "FNR"
    DNR = "DNR"
    FHN = "FHN"
    HNR = "HNR"


# The kinds that identify a person nationally; an H-nummer is internal to one organisation.
NATIONAL_KINDS = frozenset({PersonIdKind.FNR, PersonIdKind.DNR, PersonIdKind.FHN})


def _mod11(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    check = (11 - remainder) % 11  # 11 becomes 0
    return None if check == 10 else check  # 10: no number is ever issued with it


def check_digits(first9: str) -> tuple[int, int] | None:
    """The two check digits (K1, K2) for the first nine digits; None when either would be 10."""
    if len(first9) != 9 or not (first9.isascii() and first9.isdigit()):
        raise ValueError("check_digits needs exactly nine ASCII digits")
    k1 = _mod11(first9, _WEIGHTS_K1)
    if k1 is None:
        return None
    k2 = _mod11(first9 + str(k1), _WEIGHTS_K2)
    return None if k2 is None else (k1, k2)


def _has_valid_check_digits(number: str) -> bool:
    if len(number) != 11 or not (number.isascii() and number.isdigit()):
        return False
    expected = check_digits(number[:9])
    return expected is not None and number[9:] == f"{expected[0]}{expected[1]}"


def classify(number: object) -> PersonIdKind | None:
    """The kind of a person number, or None when its format or check digits are wrong.

    Order per HIS 1001: first digit 8/9 is FHN, 4..7 is DNR; otherwise third digit 4/5 is HNR,
    else FNR.
    """
    if not isinstance(number, str) or not _has_valid_check_digits(number):
        return None
    first, third = int(number[0]), int(number[2])
    if first >= 8:
        return PersonIdKind.FHN
    if first >= 4:
        return PersonIdKind.DNR
    if third in (4, 5):
        return PersonIdKind.HNR
    return PersonIdKind.FNR


def is_valid_person_id(number: object, kind: str | None = None) -> bool:
    """True when ``number`` has valid check digits and, if ``kind`` is given, is of that kind.

    ``kind`` is a list-8116 code (FNR, DNR, FHN, HNR); any other code is never valid here.
    A number shaped like an H-nummer (third digit 4/5) is also accepted as FNR, because
    synthetic test FNRs (month + 40) have exactly that shape.
    """
    found = classify(number)
    if found is None:
        return False
    if kind is None:
        return True
    if kind == PersonIdKind.FNR:
        return found in (PersonIdKind.FNR, PersonIdKind.HNR)
    return found == kind


def mask(number: object) -> str:
    """A display form that hides the personal part: ``15076500565`` gives ``150765*****``."""
    if not isinstance(number, str) or not number:
        return "***"
    if len(number) == 11 and number.isdigit():
        return number[:6] + "*****"
    return "*" * min(len(number), 11)  # anything else is hidden entirely
