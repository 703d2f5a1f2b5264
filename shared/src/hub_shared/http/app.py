"""The skeleton of a service app: lifespan (telemetry, migrations, relay, consumers), health, 503s."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy.exc import DBAPIError

from hub_shared.auth import Authenticator
from hub_shared.db.migrations import upgrade
from hub_shared.http.problems import problem
from hub_shared.http.security import Unauthorized, unauthorized_response
from hub_shared.register import AddressRegister, load_register
from hub_shared.runtime import ServiceRuntime
from hub_shared.settings import ServiceSettings
from hub_shared.telemetry import setup_logging, setup_tracing

log = logging.getLogger(__name__)


@dataclass
class ServiceState:
    """What request handlers reach through `request.app.state.hub`."""

    settings: ServiceSettings
    runtime: ServiceRuntime
    register: AddressRegister
    authenticator: Authenticator
    extras: dict[str, Any] = field(default_factory=dict)


def create_service_app(
    *,
    title: str,
    settings: ServiceSettings,
    build_runtime: Callable[[ServiceSettings], ServiceRuntime],
    migrations_dir: Path,
    on_start: Callable[[ServiceState], None] | None = None,
    migrate: bool = True,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        setup_logging(settings.log_level)
        setup_tracing(settings.service_name, trace_dir=settings.trace_dir)
        settings.check_dev_token_allowed()
        if migrate:
            upgrade(migrations_dir, settings.resolved_database_url())
        register = load_register(settings.register_file)
        dev_token = settings.dev_token.get_secret_value() if settings.dev_token else None
        runtime = build_runtime(settings)
        SQLAlchemyInstrumentor().instrument(engine=runtime.engine.sync_engine)
        state = ServiceState(settings, runtime, register, Authenticator(register, dev_token))
        if on_start is not None:
            on_start(state)
        app.state.hub = state
        await runtime.start()
        log.info("%s ready on %s:%s", settings.service_name, settings.host, settings.port)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.add_exception_handler(Unauthorized, unauthorized_response)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health")

    @app.exception_handler(DBAPIError)
    async def database_unavailable(_request: Request, exc: DBAPIError) -> Any:
        log.error("database error: %s", type(exc.orig).__name__)
        return problem(503, "Service Unavailable", "The database is not reachable; retry later.")

    @app.get("/health", tags=["operations"])
    async def health(request: Request) -> dict[str, Any]:
        """Liveness and readiness: the database answers, and how the outbox relay is doing."""
        runtime: ServiceRuntime = request.app.state.hub.runtime
        database = await runtime.database_ok()
        backlog = await runtime.relay.backlog() if database else None
        broker = runtime.relay.last_error is None
        return {
            "status": "ok" if database and broker else "degraded",
            "service": settings.service_name,
            "database": database,
            "broker": broker,
            "outbox_backlog": backlog,
        }

    return app
