"""Access lines: one structured log line per GraphQL and OAuth request, with its metrics and span attributes.

A line's fields (JSON keys in production): ``event``, ``request_id``, ``operation``, ``document_id``,
``document_hash``, ``cost_requested``, ``cost_actual``, ``outcome``, ``status``, ``duration_ms``, ``caller``
(its kind: anonymous | unauthenticated (a credential that failed) | unknown (a credential not looked at:
refused before) | member | app; never an id or a token), plus ``trace_id`` when tracing is on. Never a value, a variable, a query string or a credential.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.trace import Span
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import is_unavailable
from api.logs import request_id as request_id_var
from api.observability import metrics, tracing

logger = logging.getLogger("api.request")
_REQUEST_ID = re.compile(r"[^A-Za-z0-9._-]")
OAUTH_PREFIX = "/oauth/"


def new_request_id(header: str | None) -> str:
    """The caller's ``X-Request-Id`` (its safe characters, at most 64), or a new one."""
    return _REQUEST_ID.sub("", header or "")[:64] or uuid.uuid4().hex


@dataclass
class Observed:
    """What one request did, filled in as it runs."""

    request_id: str
    started: float = field(default_factory=time.perf_counter)
    status: int = 0  # 0 until answered
    refused: bool = False  # answered without running (a limit, authentication, a missing scope)
    caller: str = "anonymous"
    operation: str | None = None  # only the name of an operation the document holds
    document_id: str | None = None  # a trusted document's id, when the request named one
    document_hash: str | None = None
    cost_requested: int = 0
    cost_actual: int = 0
    errors: int = 0
    unexpected_error: bool = False
    span: Span | None = None

    @property
    def outcome(self) -> str:
        """ok | errors | refused | rate_limited | failed | disconnected."""
        if self.status == 429:
            return "rate_limited"
        if self.status == 499:
            return "disconnected"
        if self.status >= 500 or self.status == 0 or self.unexpected_error:
            return "failed"
        if self.refused or self.status >= 400:
            return "refused"
        return "errors" if self.errors else "ok"

    def duration_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)

    def fields(self) -> dict[str, Any]:
        """The access line's fields."""
        return {
            "event": "graphql_request",
            "request_id": self.request_id,
            "operation": self.operation,
            "document_id": self.document_id,
            "document_hash": self.document_hash[:16] if self.document_hash else None,
            "cost_requested": self.cost_requested,
            "cost_actual": self.cost_actual,
            "outcome": self.outcome,
            "status": self.status,
            "duration_ms": self.duration_ms(),
            "caller": self.caller,
        }


@contextlib.contextmanager
def graphql_request(request: Request) -> Iterator[Observed]:
    """Observe one /graphql request: its request id (set for the logs), its span, then its access line,
    metrics and span attributes, whatever happens."""
    observed = Observed(new_request_id(request.headers.get("x-request-id")))
    observed.caller = "unknown" if "authorization" in request.headers else "anonymous"  # until authenticated
    request_id_var.set(observed.request_id)
    request.state.observed = observed
    attributes = _http(request, observed) if tracing.enabled() else {}
    with tracing.server_span(f"{request.method} /graphql", request.headers, attributes) as span:
        observed.span = span
        try:
            yield observed
        except Exception as error:  # a status already set came with the error (a 400 strawberry answers)
            observed.status = observed.status or (503 if is_unavailable(error) else 500)
            raise
        finally:
            finish(observed)


def finish(observed: Observed) -> None:
    """Write the request's access line, count it, and put its attributes on its span."""
    fields = observed.fields()
    logger.info("graphql request", extra={"fields": fields})
    authenticated = observed.caller in ("member", "app")
    costs = (observed.cost_requested, observed.cost_actual)
    metrics.graphql_request(
        observed.operation,
        fields["outcome"],
        fields["duration_ms"] / 1000,
        costs,
        trusted=observed.document_id is not None,
        authenticated=authenticated,
    )
    if observed.span is not None:
        attributes = {f"sanctuary.{k}": v for k, v in fields.items() if v is not None and k != "event"}
        if observed.operation:
            attributes["graphql.operation.name"] = observed.operation
        attributes["http.response.status_code"] = observed.status
        observed.span.set_attributes(attributes)


def _http(request: Request, observed: Observed) -> dict[str, Any]:
    return {
        "http.request.method": request.method,
        "http.route": request.url.path,
        "sanctuary.request_id": observed.request_id,
    }


class OAuthAccess:
    """ASGI middleware: an access line, a span and a count for every request to ``/oauth/*``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(OAUTH_PREFIX):
            await self.app(scope, receive, send)
            return
        endpoint = path[len(OAUTH_PREFIX) :].split("/", 1)[0] or "-"
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = new_request_id(headers.get("x-request-id"))
        request_id_var.set(request_id)
        observed = Observed(request_id)

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                observed.status = int(message["status"])
            await send(message)

        method, route = scope.get("method", "-"), f"{OAUTH_PREFIX}{endpoint}"
        attributes = {"http.request.method": method, "http.route": route, "sanctuary.request_id": request_id}
        with tracing.server_span(f"{method} {route}", headers, attributes) as span:
            try:
                await self.app(scope, receive, watch)
            except Exception as error:  # api.unavailable answers it (503) or the server does (500)
                observed.status = observed.status or (503 if is_unavailable(error) else 500)
                raise
            finally:
                _oauth_line(endpoint, observed, span)


def _oauth_line(endpoint: str, observed: Observed, span: Span | None) -> None:
    name, outcome = endpoint if endpoint in metrics.OAUTH_ENDPOINTS else "other", observed.outcome
    fields = {
        "event": "oauth_request",
        "request_id": observed.request_id,
        "endpoint": name,
        "outcome": outcome,
        "status": observed.status,
        "duration_ms": observed.duration_ms(),
    }
    logger.info("oauth request", extra={"fields": fields})
    metrics.oauth_request(name, outcome)
    if span is not None:
        span.set_attributes({"http.response.status_code": observed.status, "sanctuary.outcome": outcome})
