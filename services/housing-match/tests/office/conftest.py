"""The office's pages through the real housing-match app, with billing beside it
(office_harness.py)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from office_harness import OfficeHub, office_hub  # noqa: E402


@pytest.fixture
async def hub(tmp_path: Path, database_url: str) -> AsyncIterator[OfficeHub]:
    """housing-match on SQLite and on PostgreSQL (when reachable); billing on SQLite."""
    async with office_hub(tmp_path, database_url=database_url) as started:
        yield started
