"""Prometheus metrics, served on a port of their own (``SANCTUARY_METRICS_PORT``; off by default).

Every hook below is a no-op until :func:`start` (or :func:`enable`) ran: with metrics off the request path
pays one check. Labels are bounded: outcomes, policies and kinds come from fixed sets (anything else is
counted as ``other``), and operation names are capped (:class:`OperationLabels`). No label ever holds a
value, a variable, an id or a token.

Hooks for other parts of the service (call them freely; they never raise):

- :func:`graphql_request` (the view), :func:`oauth_request` (api.observability.access),
  :func:`rate_limited` (api.ratelimit.gate), :func:`event_received` (api.events.hub);
- :func:`webhook_delivery` ``(outcome)`` for the webhook delivery worker;
- :func:`event_delivered` ``(channel, outcome)`` for each event handed to a receiver (subscription or webhook);
- :func:`subscription_opened` / :func:`subscription_closed` around a GraphQL subscription connection;
- :func:`key_rotation_progress` ``(done, estimated)`` from the re-encryption of sealed values.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

OUTCOMES = frozenset({"ok", "errors", "refused", "rate_limited", "failed", "disconnected"})
POLICIES = frozenset({"member", "app", "anonymous", "token_address", "token_client", "in_flight"})
WEBHOOK_OUTCOMES = frozenset({"delivered", "failed", "retried", "gave_up", "refused", "skipped"})
DELIVERY_CHANNELS = frozenset({"subscription", "webhook"})
DELIVERY_OUTCOMES = frozenset({"delivered", "withheld", "dropped", "failed"})
OAUTH_ENDPOINTS = frozenset({"token", "revoke", "introspect", "authorize", "device", "consent", "end_session"})
ANONYMOUS, OTHER = "anonymous", "other"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def bounded(value: str, allowed: frozenset[str]) -> str:
    """``value`` when it is one of ``allowed``, else ``other``."""
    return value if value in allowed else OTHER


class OperationLabels:
    """The operation label of a request, from a capped set.

    A trusted document's operation (registered by an org admin) is always labelled by its name; an ad-hoc
    document's named operation only while fewer than ``cap`` names were labelled, and only for an
    authenticated caller (an anonymous caller cannot fill the set); an unnamed operation is ``anonymous``;
    anything else ``other``.
    """

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, name: str | None, *, trusted: bool, authenticated: bool) -> str:
        if not name:
            return ANONYMOUS
        if name in self._known or trusted:
            return name
        if not authenticated:
            return OTHER
        with self._lock:
            if len(self._known) >= self.cap:
                return OTHER
            self._known.add(name)
        return name


@dataclass
class Metrics:
    """The service's series, in their own registry."""

    operations: OperationLabels
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter(
            "sanctuary_graphql_requests", "GraphQL requests by operation and outcome.", ["operation", "outcome"], registry=r
        )  # fmt: skip
        self.latency = Histogram(
            "sanctuary_graphql_request_duration_seconds", "GraphQL request latency.", ["operation"],
            buckets=LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.cost = Counter(
            "sanctuary_graphql_cost", "Cost points of GraphQL requests (requested before, actual after).",
            ["operation", "measure"], registry=r,
        )  # fmt: skip
        self.oauth = Counter(
            "sanctuary_oauth_requests", "OAuth endpoint requests by outcome.", ["endpoint", "outcome"], registry=r
        )  # fmt: skip
        self.refusals = Counter(
            "sanctuary_rate_limit_refusals", "Requests refused (429) by rate-limit policy.", ["policy"], registry=r
        )  # fmt: skip
        self.events = Counter("sanctuary_events_received", "Events read by this instance's hub.", ["kind"], registry=r)
        self.deliveries = Counter(
            "sanctuary_event_deliveries", "Events handed to receivers.", ["channel", "outcome"], registry=r
        )  # fmt: skip
        self.webhooks = Counter("sanctuary_webhook_deliveries", "Webhook delivery attempts.", ["outcome"], registry=r)
        self.subscriptions = Gauge("sanctuary_subscription_connections", "Open GraphQL subscriptions.", registry=r)
        self.rotation = Gauge(
            "sanctuary_key_rotation_rows", "Re-encryption of sealed values: rows done and estimated.", ["state"],
            registry=r,
        )  # fmt: skip
        r.register(_PoolCollector())


_metrics: Metrics | None = None
_server: tuple[WSGIServer, threading.Thread] | None = None
_pools: dict[str, Any] = {}  # name: the SQLAlchemy pool of that name built last


def enable(operation_cap: int = 100) -> Metrics:
    """Start recording (idempotent); the series live in :attr:`Metrics.registry`."""
    global _metrics
    if _metrics is None:
        _metrics = Metrics(OperationLabels(operation_cap))
    return _metrics


def start(host: str, port: int, operation_cap: int = 100) -> int:
    """Record, and serve ``/metrics`` on ``host:port`` in a thread of this process; the port bound."""
    global _server
    metrics = enable(operation_cap)
    if _server is None:
        _server = start_http_server(port, addr=host, registry=metrics.registry)
    return int(_server[0].server_port)


def stop() -> None:
    """Stop serving and recording (tests; the process's end)."""
    global _metrics, _server
    if _server is not None:
        _server[0].shutdown()
        _server[0].server_close()
        _server[1].join(timeout=5)
        _server = None
    _metrics = None


def current() -> Metrics | None:
    """The metrics being recorded, or None when they are off."""
    return _metrics


def watch_pool(name: str, pool: Any) -> None:
    """Report a SQLAlchemy pool's connections in use and its size (read at each scrape, when metrics are on)."""
    _pools[name] = pool


class _PoolCollector(Collector):
    """``sanctuary_db_pool_connections{pool, state}``: in_use, size and overflow of each watched pool."""

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "sanctuary_db_pool_connections", "Database pool connections by state.", labels=["pool", "state"]
        )
        for name, pool in list(_pools.items()):
            for state, read in (("in_use", "checkedout"), ("size", "size"), ("overflow", "overflow")):
                reader = getattr(pool, read, None)
                if reader is not None:
                    family.add_metric([name, state], max(0, int(reader())))
        yield family


def graphql_request(
    operation: str | None,
    outcome: str,
    duration_s: float,
    cost: tuple[int, int],
    *,
    trusted: bool = False,
    authenticated: bool = False,
) -> None:
    """Count one /graphql request (``cost``: requested and actual)."""
    if _metrics is None:
        return
    label = _metrics.operations(operation, trusted=trusted, authenticated=authenticated)
    _metrics.requests.labels(label, bounded(outcome, OUTCOMES)).inc()
    _metrics.latency.labels(label).observe(duration_s)
    _metrics.cost.labels(label, "requested").inc(cost[0])
    _metrics.cost.labels(label, "actual").inc(cost[1])


def oauth_request(endpoint: str, outcome: str) -> None:
    """Count one request to an OAuth endpoint."""
    if _metrics is not None:
        _metrics.oauth.labels(bounded(endpoint, OAUTH_ENDPOINTS), bounded(outcome, OUTCOMES)).inc()


def rate_limited(policy: str) -> None:
    """Count one 429 of ``policy`` (a bucket's policy name, or ``in_flight``)."""
    if _metrics is not None:
        _metrics.refusals.labels(bounded(policy, POLICIES)).inc()


def event_received(kind: str) -> None:
    """Count one event the hub read from the outbox (``kind``: an EventKind value)."""
    if _metrics is not None:
        _metrics.events.labels(kind).inc()


def event_delivered(channel: str, outcome: str = "delivered", *, count: int = 1) -> None:
    """Count ``count`` events handed to receivers: ``channel`` subscription | webhook, ``outcome`` delivered |
    withheld (the receiver may not read it) | dropped | failed."""
    if _metrics is not None and count:
        _metrics.deliveries.labels(bounded(channel, DELIVERY_CHANNELS), bounded(outcome, DELIVERY_OUTCOMES)).inc(count)


def webhook_delivery(outcome: str) -> None:
    """Count one webhook delivery attempt: delivered | failed | retried | gave_up | refused | skipped."""
    if _metrics is not None:
        _metrics.webhooks.labels(bounded(outcome, WEBHOOK_OUTCOMES)).inc()


def subscription_opened() -> None:
    """A GraphQL subscription started (pair with :func:`subscription_closed`)."""
    if _metrics is not None:
        _metrics.subscriptions.inc()


def subscription_closed() -> None:
    """A GraphQL subscription ended."""
    if _metrics is not None:
        _metrics.subscriptions.dec()


def key_rotation_progress(done: int, estimated: int | None) -> None:
    """Rows a re-encryption run went through so far, and the rows estimated in all (the catalogue's estimate)."""
    if _metrics is not None:
        _metrics.rotation.labels("done").set(done)
        if estimated is not None:
            _metrics.rotation.labels("estimated").set(estimated)
