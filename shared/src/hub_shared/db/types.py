"""Column types the services share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa


class Money(sa.types.TypeDecorator):
    """NOK as a decimal string: no float on the way in or out, exact on SQLite and PostgreSQL."""

    impl = sa.String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)
