"""Where the repository and its runtime folders are, for the embedded default."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def repo_root() -> Path:
    """The checkout's root (the folder holding uv.lock); the current directory when installed."""
    for parent in Path(__file__).resolve().parents:
        if (parent / "uv.lock").exists():
            return parent
    return Path.cwd()


def var_dir() -> Path:
    """Runtime state of the embedded default: SQLite files, traces, logs."""
    path = repo_root() / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path
