"""OpenTelemetry: a span per request with its operation, cost and outcome, child spans for SQL statements
(their text, never their parameters), a span per event fan-out; request ids and trace ids correlate.
Spans go to an in-memory exporter; no canary value (tests/canaries.py) may appear anywhere in them."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.db import create_engine
from api.events.hub import EventHub
from api.models.enums import EventKind
from api.observability import tracing
from api.services.shared import events
from api.settings import Settings
from tests import factories
from tests.canaries import CANARIES, canary
from tests.graphql import gql
from tests.rapid_response import factories as rr
from tests.rapid_response.test_workflow_rapid_response import _report
from tests.workflow import ok

REQUEST = "POST /graphql"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for the test, into memory, each span exported as it ends."""
    exporter = InMemorySpanExporter()
    tracing.enable(exporter, batch=False)
    yield exporter
    tracing.disable()


@pytest.fixture
async def traced(
    spans: InMemorySpanExporter,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    settings: Settings,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app built while tracing is on (its engine instrumented)."""
    app = create_app(settings, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def _named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in spans.get_finished_spans() if span.name == name]


def _everything(span: ReadableSpan) -> str:
    """Every text a span carries: name, attributes, events, status, resource."""
    parts = [span.name, str(span.status.description), *map(str, span.attributes.values() if span.attributes else ())]
    for event in span.events:
        parts += [event.name, *map(str, (event.attributes or {}).values())]
    return "\n".join(parts)


def assert_no_canary(spans: InMemorySpanExporter) -> None:
    text = "\n".join(_everything(span) for span in spans.get_finished_spans())
    leaked = sum(1 for value in CANARIES if value in text)
    assert leaked == 0, f"{leaked} sensitive test values appeared in span attributes"


async def test_a_request_has_its_span_with_operation_cost_outcome_and_request_id(
    traced: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    query = "query Congregations($n: Int!) { congregations(first: $n) { nodes { id publicName } } }"
    response = await traced.post(
        "/graphql", json={"query": query, "variables": {"n": 5}}, headers={"x-request-id": "req-trace-1"}
    )
    assert response.status_code == 200, response.text
    (span,) = _named(spans, REQUEST)
    attributes = dict(span.attributes or {})
    assert span.kind is SpanKind.SERVER
    assert attributes["graphql.operation.name"] == "Congregations"
    assert attributes["sanctuary.operation"] == "Congregations"
    assert attributes["sanctuary.request_id"] == "req-trace-1" == response.headers["x-request-id"]
    assert attributes["sanctuary.cost_requested"] == response.json()["extensions"]["cost"]["requested"] > 0
    assert attributes["sanctuary.cost_actual"] == response.json()["extensions"]["cost"]["actual"]
    assert attributes["sanctuary.outcome"] == "ok"
    assert attributes["sanctuary.caller"] == "anonymous"
    assert attributes["http.response.status_code"] == 200
    assert "sanctuary.document_hash" in attributes


async def test_sql_statements_are_child_spans_with_placeholders_never_values(
    traced: httpx.AsyncClient, spans: InMemorySpanExporter, db: AsyncSession
) -> None:
    crew = await rr.team(db, name=f"Traced {uuid.uuid4().hex[:6]}")
    values = _report(crew)
    await ok(traced, "incidentReport", values, crew.dispatcher, "incident { id exactLocation reporterContact }")
    (request,) = _named(spans, REQUEST)
    traced_sql = [s for s in spans.get_finished_spans() if s.attributes and "db.query.text" in s.attributes]
    statements = [s for s in traced_sql if s.context.trace_id == request.context.trace_id]
    assert len(statements) >= 3, "no SQL span under the request"  # (the others: the test's own setup)
    assert all(s.parent is not None and s.parent.span_id == request.context.span_id for s in statements)
    assert all(s.kind is SpanKind.CLIENT for s in statements)
    texts = [str((s.attributes or {})["db.query.text"]) for s in statements]
    assert any(t.startswith("INSERT INTO rapid_response_incident") and "$1" in t for t in texts)
    assert values["exactLocation"] in CANARIES
    assert values["reporterContact"] in CANARIES
    assert crew.dispatcher.token in CANARIES
    assert_no_canary(spans)


async def test_a_failed_statement_records_its_error_type_never_its_message(
    spans: InMemorySpanExporter, engine: AsyncEngine
) -> None:
    secret = canary(f"not-a-number-{uuid.uuid4().hex}")
    tracing.instrument_engine(engine.sync_engine)
    async with engine.connect() as connection:
        with pytest.raises(Exception, match="invalid input syntax"):
            await connection.execute(text("SELECT CAST(CAST(:v AS text) AS integer)"), {"v": secret})
    (failed,) = [s for s in spans.get_finished_spans() if s.status.status_code is StatusCode.ERROR]
    assert (failed.attributes or {})["error.type"] == "InvalidTextRepresentationError"
    assert (failed.attributes or {})["db.response.status_code"] == "22P02"
    assert failed.status.description == "InvalidTextRepresentationError"
    assert_no_canary(spans)


async def test_log_lines_carry_the_trace_id_of_their_request(
    traced: httpx.AsyncClient, spans: InMemorySpanExporter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await traced.post("/graphql", json={"query": "query Ping { __typename }"})
    (span,) = _named(spans, REQUEST)
    (line,) = [r for r in caplog.records if getattr(r, "fields", {}).get("event") == "graphql_request"]
    assert line.trace == {"trace_id": f"{span.context.trace_id:032x}", "span_id": f"{span.context.span_id:016x}"}  # type: ignore[attr-defined]
    assert line.fields["request_id"] == response.headers["x-request-id"]  # type: ignore[attr-defined]


async def test_an_incoming_traceparent_makes_the_request_a_child_of_the_callers_trace(
    traced: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await traced.post("/graphql", json={"query": "{ __typename }"}, headers={"traceparent": parent})
    (span,) = _named(spans, REQUEST)
    assert f"{span.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == "b7ad6b7169203331"


async def test_oauth_requests_have_their_span(traced: httpx.AsyncClient, spans: InMemorySpanExporter) -> None:
    secret = canary(f"nosuchsecret{uuid.uuid4().hex}")
    response = await traced.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", secret))
    assert response.status_code == 401
    (span,) = _named(spans, "POST /oauth/token")
    assert (span.attributes or {})["sanctuary.outcome"] == "refused"
    assert (span.attributes or {})["http.response.status_code"] == 401
    assert_no_canary(spans)


async def test_the_hub_fan_out_of_an_event_is_a_span(
    spans: InMemorySpanExporter, live_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    engine = create_engine(live_engine.url.render_as_string(hide_password=False), pool_size=1)
    hub = EventHub(engine.url, poll_s=60)
    await hub.start()
    try:
        await asyncio.wait_for(hub.connected.wait(), 10)
        async with hub.subscribe() as subscription:
            async with live_sessions() as session:
                org = await factories.organization(session)
                event = await events.record(session, None, EventKind.MEMBER_DEACTIVATED, org)
                await session.commit()
            received = await asyncio.wait_for(anext(subscription), 10)
    finally:
        await hub.stop()
        await engine.dispose()
    assert received.id == event.id
    fan_outs = [s for s in _named(spans, "events.fan_out") if (s.attributes or {})["sanctuary.event.id"] == event.id]
    (span,) = fan_outs
    attributes: dict[str, Any] = dict(span.attributes or {})
    assert attributes["sanctuary.event.kind"] == "MEMBER_DEACTIVATED"
    assert attributes["sanctuary.subscribers"] == 1
    assert attributes["sanctuary.dropped"] == 0


async def test_tracing_off_records_nothing_and_costs_one_check(client: httpx.AsyncClient) -> None:
    assert not tracing.enabled()
    with tracing.server_span("x", {}, {}) as span:
        assert span is None
    assert tracing.log_fields() == {}
    assert (await gql(client, "{ __typename }"))["data"] == {"__typename": "Query"}
