"""HER-ids: the address register's numbers for organisations and their services."""

from __future__ import annotations

import re

# AR hands out HER-ids as sequence numbers: digits only, never a leading zero. Nine digits is
# far above today's range (about 8.2 million) and keeps any int64 column safe.
_HER_ID = re.compile(r"[1-9][0-9]{0,8}")


def is_her_id(value: object) -> bool:
    """True when ``value`` is a syntactically valid HER-id (1..9 digits, no leading zero)."""
    return isinstance(value, str) and _HER_ID.fullmatch(value) is not None
