"""OpenTelemetry tracing: off unless an OTLP endpoint is configured (``SANCTUARY_OTEL_ENDPOINT`` or the
standard ``OTEL_EXPORTER_OTLP_ENDPOINT``).

Spans: one per request (``POST /graphql``, ``POST /oauth/token``, ...: operation name, document id and hash,
cost, outcome, caller kind, request id), one per SQL statement under it (the statement text, whose values
are placeholders: parameters are never recorded, and a failed statement records its error type, never its
message) and one per fan-out of an event by the hub. With tracing off every entry point costs one check.

The service keeps its own tracer provider (not the global one): nothing else in the process emits spans
into the service's exporter, and tests swap in an in-memory exporter with :func:`enable`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.propagate import extract
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # the SDK is imported when tracing is switched on
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

SCOPE = "sanctuary-api"
_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None


def enable(exporter: SpanExporter, *, service_name: str = "sanctuary-api", batch: bool = True) -> None:
    """Trace from now on into ``exporter`` (batched; ``batch=False`` exports each span as it ends: tests)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    global _provider, _tracer
    disable()
    _provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    _provider.add_span_processor(BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter))
    _tracer = _provider.get_tracer(SCOPE)


def enable_otlp(endpoint: str, service_name: str) -> None:
    """Trace into an OTLP/HTTP collector: ``endpoint`` is its base URL (``/v1/traces`` is added if missing)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    url = endpoint if endpoint.rstrip("/").endswith("/v1/traces") else endpoint.rstrip("/") + "/v1/traces"
    enable(OTLPSpanExporter(endpoint=url), service_name=service_name)


def disable() -> None:
    """Stop tracing; spans not yet exported are flushed."""
    global _provider, _tracer
    if _provider is not None:
        _provider.shutdown()
    _provider = _tracer = None


def enabled() -> bool:
    """Whether spans are being recorded."""
    return _tracer is not None


@contextlib.contextmanager
def server_span(name: str, headers: Mapping[str, str], attributes: dict[str, Any]) -> Iterator[Span | None]:
    """The span of one incoming request (a child of the caller's ``traceparent``, if any), made current;
    None when tracing is off."""
    if _tracer is None:
        yield None
        return
    with _tracer.start_as_current_span(
        name, context=extract(headers), kind=SpanKind.SERVER, record_exception=False, set_status_on_exception=False
    ) as span:
        span.set_attributes(attributes)
        with _error_type(span):
            yield span


@contextlib.contextmanager
def internal_span(name: str, attributes: dict[str, Any]) -> Iterator[Span | None]:
    """A span of the service's own work (event fan-out), made current; None when tracing is off."""
    if _tracer is None:
        yield None
        return
    with (
        _tracer.start_as_current_span(
            name, kind=SpanKind.INTERNAL, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as span,
        _error_type(span),
    ):
        yield span


@contextlib.contextmanager
def _error_type(span: Span) -> Iterator[None]:
    """An exception marks the span failed with its type only (OpenTelemetry's default records its message)."""
    try:
        yield
    except BaseException as error:
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.set_attribute("error.type", type(error).__name__)
        raise


def log_fields() -> dict[str, str]:
    """The current trace and span ids, for a log line (empty when tracing is off or no span is current)."""
    if _tracer is None:
        return {}
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": format(context.trace_id, "032x"), "span_id": format(context.span_id, "016x")}


def instrument_engine(engine: Engine) -> None:
    """A child span per SQL statement run on ``engine`` (its sync engine), while tracing is on."""
    if not event.contains(engine, "before_cursor_execute", _before):
        event.listen(engine, "before_cursor_execute", _before)
        event.listen(engine, "after_cursor_execute", _after)
        event.listen(engine, "handle_error", _failed)


def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if _tracer is None or context is None:
        return
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
    attributes = {"db.system.name": "postgresql", "db.operation.name": verb, "db.query.text": statement}
    context._sanctuary_span = _tracer.start_span(verb, kind=SpanKind.CLIENT, attributes=attributes)


def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    span: Span | None = getattr(context, "_sanctuary_span", None)
    if span is not None:
        span.end()
        context._sanctuary_span = None


def _failed(exception_context: Any) -> None:
    span: Span | None = getattr(exception_context.execution_context, "_sanctuary_span", None)
    if span is not None:  # the driver error's type and SQLSTATE only: its message may quote the values
        error = exception_context.original_exception
        error = getattr(error, "__cause__", None) or error  # the driver's own (asyncpg) error under the adapter's
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        span.set_attribute("error.type", type(error).__name__)
        if isinstance(sqlstate := getattr(error, "sqlstate", None), str):
            span.set_attribute("db.response.status_code", sqlstate)
        span.end()
        exception_context.execution_context._sanctuary_span = None
