"""`admission-notice serve | migrate`."""

from __future__ import annotations

from admission_notice.entrypoints.api import MIGRATIONS, create_app
from admission_notice.settings import Settings
from hub_shared.http.cli import run_cli


def main(argv: list[str] | None = None) -> None:
    run_cli("admission-notice", Settings(), create_app, MIGRATIONS, argv)


if __name__ == "__main__":
    main()
