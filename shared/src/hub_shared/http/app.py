"""The skeleton of a service app: lifespan (telemetry, migrations, relay, consumers), health, 503s."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DBAPIError

from hub_shared.auth import Authenticator
from hub_shared.db.migrations import upgrade
from hub_shared.http.problems import problem
from hub_shared.http.security import Unauthorized, unauthorized_response
from hub_shared.metrics import REGISTRY
from hub_shared.register import AddressRegister, load_register
from hub_shared.runtime import ServiceRuntime
from hub_shared.settings import ServiceSettings
from hub_shared.telemetry import setup_logging, setup_tracing
from hub_shared.telemetry.asgi import ServerSpans

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
        if settings.trace_sql:
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

    # Spans come from ServerSpans (one per request); FastAPI's own telemetry would add its own.
    native = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    app = FastAPI(title=title, lifespan=lifespan, telemetry=native)
    app.add_exception_handler(Unauthorized, unauthorized_response)
    app.add_middleware(ServerSpans, excluded=("/health", "/metrics"))

    @app.exception_handler(DBAPIError)
    async def database_unavailable(_request: Request, exc: DBAPIError) -> Any:
        log.error("database error: %s", type(exc.orig).__name__)
        return problem(503, "Service Unavailable", "The database is not reachable; retry later.")

    @app.get("/health/live", tags=["operations"])
    async def live() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/health", tags=["operations"])
    @app.get("/health/ready", tags=["operations"])
    async def ready(request: Request) -> JSONResponse:
        """Readiness: the database answers and the broker is reachable; 503 otherwise."""
        runtime: ServiceRuntime = request.app.state.hub.runtime
        database = await runtime.database_ok()
        broker = await runtime.broker_ok()
        backlog = await runtime.relay.backlog() if database else None
        body = {
            "status": "ok" if database and broker else "degraded",
            "service": settings.service_name,
            "database": database,
            "broker": broker,
            "outbox_backlog": backlog,
        }
        return JSONResponse(body, status_code=200 if database and broker else 503)

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics (no personal data in any label)."""
        refresh = request.app.state.hub.extras.get("refresh_metrics")
        if refresh is not None:  # a service's gauges that are read from its database
            await refresh(request.app.state.hub)
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app
