"""`discharge-ready serve | migrate`."""

from __future__ import annotations

from discharge_ready.entrypoints.api import MIGRATIONS, create_app
from discharge_ready.settings import Settings
from hub_shared.http.cli import run_cli


def main(argv: list[str] | None = None) -> None:
    run_cli("discharge-ready", Settings(), create_app, MIGRATIONS, argv)


if __name__ == "__main__":
    main()
