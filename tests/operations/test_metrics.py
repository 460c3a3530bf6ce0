"""Prometheus metrics on their own loopback port: after some requests, a real scrape shows the series
(requests by operation and outcome, latency, cost, rate-limit refusals, the pool, events, webhooks,
subscriptions, key rotation), with operation labels capped and no value of the caller's in any label."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.observability import metrics
from api.ratelimit.policy import Policy
from api.services.protection.reencrypt import reseal
from api.settings import Settings
from tests import factories
from tests.canaries import CANARIES, canary
from tests.workflow import actor

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def port() -> Iterator[int]:
    """Metrics recorded and served on a free loopback port, operation labels capped at 3."""
    bound = metrics.start("127.0.0.1", 0, operation_cap=3)
    yield bound
    metrics.stop()


@pytest.fixture
async def limited(
    port: int, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client (from an address of its own) of an app whose members get 4 points an hour."""
    limits = settings.rate_limits.model_copy(update={"member": Policy(points=4, window_s=3600), "reserve": 0})
    limited_settings = settings.model_copy(update={"rate_limits": limits})
    app = create_app(limited_settings, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=limited_settings)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await app.state.rate_gate.buckets.close()


async def _scrape(port: int) -> Samples:
    async with httpx.AsyncClient() as scraper:
        response = await scraper.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    leaked = sum(1 for value in CANARIES if value in response.text)
    assert leaked == 0, f"{leaked} sensitive test values appeared in the metrics"
    return samples


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def _post(client: httpx.AsyncClient, query: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


async def test_requests_outcomes_latency_cost_and_refusals_are_scraped(
    port: int, limited: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await actor(db, await factories.organization(db))
    statuses = [(await _post(limited, "query Ping { __typename }", member.token)).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # 4 points for 4 requests, then the member's bucket is spent
    samples = await _scrape(port)
    assert _value(samples, "sanctuary_graphql_requests_total", operation="Ping", outcome="ok") == 4
    assert _value(samples, "sanctuary_graphql_requests_total", operation="Ping", outcome="rate_limited") == 1
    assert _value(samples, "sanctuary_rate_limit_refusals_total", policy="member") == 1
    assert _value(samples, "sanctuary_graphql_request_duration_seconds_count", operation="Ping") == 5
    assert _value(samples, "sanctuary_graphql_cost_total", operation="Ping", measure="actual") == 0
    assert ("sanctuary_graphql_cost_total", frozenset({("operation", "Ping"), ("measure", "requested")})) in samples
    assert _value(samples, "sanctuary_db_pool_connections", pool="service", state="size") >= 1
    assert ("sanctuary_db_pool_connections", frozenset({("pool", "service"), ("state", "in_use")})) in samples


async def test_errors_refusals_and_cost_are_counted_by_outcome(
    port: int, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await actor(db, await factories.organization(db))
    assert (await _post(client, "query Broken { noSuchField }", member.token)).json()["errors"]
    assert (await _post(client, "query Bad { __typename }", token="not-a-token")).status_code == 401
    costly = "query Costly { congregations(first: 50) { nodes { id } } }"
    assert (await _post(client, costly, member.token)).status_code == 200
    samples = await _scrape(port)
    assert _value(samples, "sanctuary_graphql_requests_total", operation="Broken", outcome="errors") == 1
    assert _value(samples, "sanctuary_graphql_requests_total", operation="other", outcome="refused") == 1
    assert _value(samples, "sanctuary_graphql_cost_total", operation="Costly", measure="requested") >= 50


async def test_operation_labels_are_capped_and_an_anonymous_caller_cannot_fill_them(
    port: int, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await actor(db, await factories.organization(db))
    free_text = f"Anything{uuid.uuid4().hex}"
    await _post(client, f"query {free_text} {{ __typename }}")  # anonymous: never a label of its own
    for name in ("One", "Two", "Three", "Four", "Five"):
        await _post(client, f"query {name} {{ __typename }}", member.token)
    await _post(client, "{ __typename }", member.token)
    await _post(client, "query One { __typename }")  # a name already labelled keeps its label
    samples = await _scrape(port)
    assert not any(free_text in str(labels) for _name, labels in samples)
    operations = {dict(labels)["operation"] for name, labels in samples if name == "sanctuary_graphql_requests_total"}
    assert operations == {"One", "Two", "Three", "other", "anonymous"}
    assert _value(samples, "sanctuary_graphql_requests_total", operation="other", outcome="ok") == 3  # 1 anonymous
    assert _value(samples, "sanctuary_graphql_requests_total", operation="One", outcome="ok") == 2


async def test_the_hooks_of_webhooks_subscriptions_events_and_oauth(port: int, client: httpx.AsyncClient) -> None:
    metrics.webhook_delivery("delivered")
    metrics.webhook_delivery("retried")
    metrics.webhook_delivery(canary(f"free text {uuid.uuid4().hex}"))  # not a known outcome: "other"
    metrics.event_delivered("subscription")
    metrics.event_delivered("webhook", "withheld")
    metrics.subscription_opened()
    metrics.subscription_opened()
    metrics.subscription_closed()
    metrics.event_received("INCIDENT_REPORTED")
    await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "wrong"))
    samples = await _scrape(port)
    assert _value(samples, "sanctuary_webhook_deliveries_total", outcome="delivered") == 1
    assert _value(samples, "sanctuary_webhook_deliveries_total", outcome="retried") == 1
    assert _value(samples, "sanctuary_webhook_deliveries_total", outcome="other") == 1
    assert _value(samples, "sanctuary_event_deliveries_total", channel="subscription", outcome="delivered") == 1
    assert _value(samples, "sanctuary_event_deliveries_total", channel="webhook", outcome="withheld") == 1
    assert _value(samples, "sanctuary_subscription_connections") == 1
    assert _value(samples, "sanctuary_events_received_total", kind="INCIDENT_REPORTED") == 1
    assert _value(samples, "sanctuary_oauth_requests_total", endpoint="token", outcome="refused") == 1


async def test_key_rotation_progress_is_a_gauge(
    port: int, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    await reseal(sessionmaker, sealer, batch=50)
    samples = await _scrape(port)
    assert ("sanctuary_key_rotation_rows", frozenset({("state", "done")})) in samples


async def test_metrics_are_off_by_default(settings: Settings, client: httpx.AsyncClient) -> None:
    assert settings.metrics_port is None
    assert metrics.current() is None
    await _post(client, "query Ping { __typename }")
    metrics.webhook_delivery("delivered")  # a hook with metrics off does nothing
    assert metrics.current() is None
