"""ServerSpans: one SERVER span per request, named by route template, in the caller's trace."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from hub_shared.telemetry.asgi import ServerSpans

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def _app() -> FastAPI:
    app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})
    app.add_middleware(ServerSpans, excluded=("/health",))

    @app.get("/stays/{stay_id}")
    async def stay(stay_id: str) -> dict[str, str]:
        current = trace.get_current_span().get_span_context()
        return {"stay": stay_id, "trace": format(current.trace_id, "032x")}

    @app.get("/unavailable")
    async def unavailable() -> PlainTextResponse:
        return PlainTextResponse("retry", status_code=503)

    @app.get("/broken")
    async def broken() -> None:
        raise RuntimeError("bug")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
        yield http


def _ours(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]


async def test_span_is_named_by_the_route_template_and_continues_the_callers_trace(client, spans):
    parent = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"
    response = await client.get("/stays/abc123", headers={"traceparent": parent})
    assert response.json()["trace"] == CALLER_TRACE
    (span,) = _ours(spans)
    assert span.name == "GET /stays/{stay_id}"
    assert format(span.context.trace_id, "032x") == CALLER_TRACE
    assert span.attributes["http.route"] == "/stays/{stay_id}"
    assert span.attributes["http.response.status_code"] == 200
    assert "abc123" not in str(dict(span.attributes))


async def test_server_errors_mark_the_span(client, spans):
    assert (await client.get("/unavailable")).status_code == 503
    assert (await client.get("/broken")).status_code == 500
    unavailable, broken = _ours(spans)
    assert unavailable.status.status_code is StatusCode.ERROR
    assert broken.status.status_code is StatusCode.ERROR
    assert [e.name for e in broken.events] == ["exception"]


async def test_excluded_paths_and_a_new_trace_without_traceparent(client, spans):
    await client.get("/health")
    assert _ours(spans) == []
    await client.get("/stays/x")
    (span,) = _ours(spans)
    assert span.parent is None
