"""`billing serve | migrate`."""

from __future__ import annotations

from hub_shared.http.cli import run_cli

from billing.entrypoints.api import MIGRATIONS, create_app
from billing.settings import Settings


def main(argv: list[str] | None = None) -> None:
    run_cli("billing", Settings(), create_app, MIGRATIONS, argv)


if __name__ == "__main__":
    main()
