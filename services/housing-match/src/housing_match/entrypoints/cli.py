"""`housing-match serve | migrate`."""

from __future__ import annotations

from housing_match.entrypoints.api import MIGRATIONS, create_app
from housing_match.settings import Settings
from hub_shared.http.cli import run_cli


def main(argv: list[str] | None = None) -> None:
    run_cli("housing-match", Settings(), create_app, MIGRATIONS, argv)


if __name__ == "__main__":
    main()
