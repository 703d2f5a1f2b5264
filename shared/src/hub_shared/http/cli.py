"""The command line every service has: `<service> serve | migrate`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from hub_shared.collector import spare_collector
from hub_shared.db.migrations import upgrade
from hub_shared.settings import ServiceSettings


def run_cli(
    prog: str,
    settings: ServiceSettings,
    create_app: Callable[[ServiceSettings], FastAPI],
    migrations_dir: Path,
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("command", choices=["serve", "migrate"], nargs="?", default="serve")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        upgrade(migrations_dir, settings.resolved_database_url())
        return
    app = create_app(settings)
    spare_collector(settings.gc_young_threshold)
    # Keep-alive longer than the clients' (EPJ integration engines, load balancers) so that the
    # server never closes a connection a client is about to reuse.
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_keep_alive=75,
    )
