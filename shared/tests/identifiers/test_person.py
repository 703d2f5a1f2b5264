"""Person numbers (HIS 1001): check digits, kinds, masking; property tests against a reference."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hub_shared.identifiers.person import (
    PersonIdKind,
    check_digits,
    classify,
    is_valid_person_id,
    mask,
)

PROPERTY = settings(max_examples=200, deadline=None)


# --- an independent, deliberately plain reference implementation -------------------------------
def reference_control(digits: list[int], weights: list[int]) -> int:
    total = 0
    for i in range(len(weights)):
        total += digits[i] * weights[i]
    k = 11 - total % 11
    if k == 11:
        k = 0
    return k  # may be 10: invalid


def reference_valid(number: str) -> bool:
    if len(number) != 11:
        return False
    for ch in number:
        if ch not in "0123456789":
            return False
    digits = [int(ch) for ch in number]
    k1 = reference_control(digits, [3, 7, 6, 1, 8, 9, 4, 5, 2])
    k2 = reference_control(digits, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
    return k1 != 10 and k2 != 10 and digits[9] == k1 and digits[10] == k2


def reference_kind(number: str) -> str | None:
    if not reference_valid(number):
        return None
    if number[0] in "89":
        return "FHN"
    if number[0] in "4567":
        return "DNR"
    if number[2] in "45":
        return "HNR"
    return "FNR"


def complete(first9: str) -> str | None:
    """The full number for nine digits, or None when a check digit would be 10."""
    digits = [int(ch) for ch in first9]
    k1 = reference_control(digits, [3, 7, 6, 1, 8, 9, 4, 5, 2])
    if k1 == 10:
        return None
    k2 = reference_control([*digits, k1], [5, 4, 3, 2, 7, 6, 5, 4, 3, 2])
    return None if k2 == 10 else f"{first9}{k1}{k2}"


# --- known numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("15076500565", PersonIdKind.FNR),  # the official PLO samples' patient
        ("01015000232", PersonIdKind.FNR),  # HIS 1001's test number
        ("15720255178", PersonIdKind.FNR),  # Dialogmelding sample: a Tenor number (month + 80)
        ("55076500559", PersonIdKind.DNR),  # constructed sample 02
    ],
)
def test_known_numbers(number: str, kind: PersonIdKind) -> None:
    assert classify(number) is kind
    assert is_valid_person_id(number)
    assert is_valid_person_id(number, kind)


def test_check_digits_of_the_his_1001_example() -> None:
    assert check_digits("010150002") == (3, 2)


def test_check_digits_is_none_when_a_digit_would_be_ten() -> None:
    # Search the first nine digits that give K1 = 10 and confirm the function refuses them.
    first9 = next(f"150765{i:03d}" for i in range(1000) if complete(f"150765{i:03d}") is None)
    assert check_digits(first9) is None


@pytest.mark.parametrize("bad", ["", "12345678", "1234567890", "12345678a", "١٢٣٤٥٦٧٨٩"])
def test_check_digits_needs_nine_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError, match="nine ASCII digits"):
        check_digits(bad)


@pytest.mark.parametrize(
    "number", ["", "1507650056", "150765005655", "1507650056a", "15076500566", None, 15076500565]
)
def test_malformed_or_wrong_numbers_are_invalid(number: object) -> None:
    assert classify(number) is None
    assert not is_valid_person_id(number)


def test_kind_must_match() -> None:
    assert not is_valid_person_id("15076500565", "DNR")
    assert not is_valid_person_id("55076500559", "FNR")
    assert not is_valid_person_id("15076500565", "FHN")
    assert not is_valid_person_id("15076500565", "HPR")  # not a person-number kind at all


def test_synthetic_dolly_number_is_hnr_shaped_but_accepted_as_fnr() -> None:
    number = complete("154765005")  # month 07 + 40 (NAV Dolly)
    assert number is not None
    assert classify(number) is PersonIdKind.HNR
    assert is_valid_person_id(number, "FNR")
    assert is_valid_person_id(number, "HNR")
    assert not is_valid_person_id(number, "DNR")


def test_fhn_needs_first_digit_8_or_9() -> None:
    number = complete("812345678")
    assert number is not None
    assert classify(number) is PersonIdKind.FHN
    assert is_valid_person_id(number, "FHN")


@pytest.mark.parametrize(
    ("number", "shown"),
    [("15076500565", "150765*****"), ("123", "***"), ("", "***"), (None, "***")],
)
def test_mask(number: object, shown: str) -> None:
    assert mask(number) == shown


# --- properties -----------------------------------------------------------------------------------
def _first9(first_digits: str) -> st.SearchStrategy[str]:
    return st.builds(
        lambda head, rest: head + rest,
        st.sampled_from(first_digits),
        st.text(alphabet="0123456789", min_size=8, max_size=8),
    )


@PROPERTY
@given(
    kind_and_first9=st.one_of(
        st.tuples(st.just("FNR"), _first9("0123")).filter(lambda t: t[1][2] not in "45"),
        st.tuples(st.just("DNR"), _first9("4567")),
        st.tuples(st.just("FHN"), _first9("89")),
    )
)
def test_generated_valid_numbers_are_accepted(kind_and_first9: tuple[str, str]) -> None:
    kind, first9 = kind_and_first9
    number = complete(first9)
    assume(number is not None)  # skip draws where a check digit would be 10
    assert number is not None
    assert is_valid_person_id(number)
    assert is_valid_person_id(number, kind)
    assert classify(number) == kind
    assert check_digits(first9) == (int(number[9]), int(number[10]))


@PROPERTY
@given(
    first9=_first9("0123456789"),
    position=st.integers(min_value=0, max_value=10),
    shift=st.integers(min_value=1, max_value=9),
)
def test_changing_any_single_digit_is_rejected(first9: str, position: int, shift: int) -> None:
    number = complete(first9)
    assume(number is not None)
    assert number is not None
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    assert not is_valid_person_id(changed)
    assert classify(changed) is None


@PROPERTY
@given(number=st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_random_eleven_digits_agree_with_the_reference(number: str) -> None:
    assert is_valid_person_id(number) == reference_valid(number)
    assert classify(number) == reference_kind(number)


@PROPERTY
@given(number=st.text(max_size=14))
def test_random_text_agrees_with_the_reference(number: str) -> None:
    assert is_valid_person_id(number) == reference_valid(number)
