"""HER-ids: 1..9 digits without a leading zero."""

from __future__ import annotations

import pytest

from hub_shared.identifiers.her import is_her_id


@pytest.mark.parametrize("value", ["1", "59", "90998", "8142987", "999999999"])
def test_valid(value: str) -> None:
    assert is_her_id(value)


@pytest.mark.parametrize(
    "value", ["", "0", "059", "1234567890", "12a", " 59", "59\n", "-5", "٥٩", None, 59]
)
def test_invalid(value: object) -> None:
    assert not is_her_id(value)
