"""housing-match over HTTP."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from hub_shared.http import create_service_app
from hub_shared.runtime import ServiceRuntime
from hub_shared.settings import ServiceSettings

from housing_match.adapters import orm
from housing_match.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def build_runtime(settings: ServiceSettings) -> ServiceRuntime:
    return ServiceRuntime(settings=settings, outbox_table=orm.outbox)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    return create_service_app(
        title="housing-match",
        settings=settings or Settings(),
        build_runtime=build_runtime,
        migrations_dir=MIGRATIONS,
    )
