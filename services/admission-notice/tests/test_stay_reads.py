"""The stays a group commit needs are read through indexes: a scan of the stays table would grow
with every stay ever announced (row-value IN made SQLite scan; this guards against it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from admission_notice.adapters import repository
from admission_notice.entrypoints.api import MIGRATIONS
from hub_shared.db.migrations import upgrade


@pytest.mark.parametrize(
    "values",
    [
        {"patients": ["13116900216", "15076500565"], "ids": ["a", "b"]},
        {"patients": [], "ids": ["a"]},  # a read by id alone
    ],
)
def test_stay_reads_use_an_index_on_sqlite(values: dict, tmp_path: Path) -> None:
    database = tmp_path / "plan.db"
    upgrade(MIGRATIONS, f"sqlite+aiosqlite:///{database}")
    bound = repository._BY_PATIENTS_OR_IDS.params(values)
    compiled = bound.compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True})
    names = compiled.positiontup or []
    parameters = [compiled.params[name] for name in names]
    with sqlite3.connect(database) as conn:
        plan = [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {compiled}", parameters)]
    assert plan, "no query plan"
    assert not any(step.startswith("SCAN stays") for step in plan), plan
    assert any("USING" in step and "INDEX" in step for step in plan), plan
