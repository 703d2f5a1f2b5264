"""OpenTelemetry set-up used by every service: OTLP when configured, else a local span file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)

from hub_shared.telemetry.files import JsonLinesSpanExporter
from hub_shared.telemetry.redact import RedactingFilter, redact

__all__ = ["RedactingFilter", "redact", "setup_logging", "setup_tracing"]

_configured: TracerProvider | None = None


def setup_tracing(
    service_name: str, *, trace_dir: Path | None = None, exporter: SpanExporter | None = None
) -> TracerProvider:
    """Install the global tracer provider once per process."""
    global _configured
    if _configured is not None:
        return _configured
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}), sampler=WorkOnlySampler()
    )
    for chosen in _exporters(service_name, trace_dir, exporter):
        provider.add_span_processor(BatchSpanProcessor(chosen, schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    _configured = provider
    return provider


class WorkOnlySampler(Sampler):
    """Keeps every trace that starts with real work; drops parentless client spans.

    The outbox relay and health checks query the database several times a second; as root spans
    those queries would bury the journeys of messages. Within a trace, everything is kept.
    """

    def __init__(self) -> None:
        self._inner = ParentBased(ALWAYS_ON)

    def should_sample(  # type: ignore[no-untyped-def]
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        if not parent.is_valid and kind == trace.SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return self._inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return "WorkOnlySampler"


def _exporters(
    service_name: str, trace_dir: Path | None, exporter: SpanExporter | None
) -> list[SpanExporter]:
    if exporter is not None:
        return [exporter]
    chosen: list[SpanExporter] = []
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        chosen.append(OTLPSpanExporter())
    if trace_dir is not None:
        chosen.append(JsonLinesSpanExporter(trace_dir / f"{service_name}.jsonl"))
    return chosen


def setup_logging(level: str = "INFO") -> None:
    """Plain logs on stderr with person numbers masked in every record."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # These log SQL parameters (patient data) at DEBUG; they stay quiet even in a debug session.
    for noisy in _PARAMETER_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)


_PARAMETER_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "asyncpg", "aiokafka")
