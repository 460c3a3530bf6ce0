"""Sequential requests: the start-up equality check and the deep-pagination timings."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx
import orjson

BENCH_QUERY = "query Bench { accompanimentRequests(first: 100) { edges { node { id kind status congregation { publicName } } } } }"
DEEP_QUERY = (
    "query Deep($c: String) { rapidResponseIncidents(first: 100, after: $c) "
    "{ edges { node { id kind coarseArea status } } pageInfo { endCursor hasNextPage } } }"
)


def body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    """A GraphQL POST body."""
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    return orjson.dumps(payload)


def post(client: httpx.Client, url: str, token: str, content: bytes) -> Any:
    """POST and return the parsed JSON; raise on a non-200 status."""
    response = client.post(url, content=content, headers=_headers(token))
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")
    return orjson.loads(response.content)


def verify_same(graphql_url: str, plain_url: str, token: str, expected_edges: int) -> int:
    """Fail loudly unless both endpoints return the same JSON (parsed) for the benchmark query."""
    content = body(BENCH_QUERY)
    with httpx.Client(timeout=30) as client:
        real, plain = post(client, graphql_url, token, content), post(client, plain_url, token, content)
    if "errors" in real or real.get("data") is None:
        raise SystemExit(f"GraphQL returned errors: {orjson.dumps(real)[:2000].decode()}")
    edges = real["data"]["accompanimentRequests"]["edges"]
    real = {key: value for key, value in real.items() if key != "extensions"}  # cost: the plain endpoint has none
    if real != plain:
        raise SystemExit("The plain baseline and GraphQL disagree:\n" + _first_difference(real, plain))
    if len(edges) != expected_edges:
        raise SystemExit(f"Expected {expected_edges} edges, got {len(edges)}")
    return len(edges)


def _first_difference(real: Any, plain: Any) -> str:
    if set(real) != set(plain) or not isinstance(real.get("data"), dict) or not isinstance(plain.get("data"), dict):
        return f"graphql: {orjson.dumps(real)[:800].decode()}\nplain:   {orjson.dumps(plain)[:800].decode()}"
    a = real["data"]["accompanimentRequests"]["edges"]
    b = plain["data"]["accompanimentRequests"]["edges"]
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return f"edge {index}:\n  graphql: {x}\n  plain:   {y}"
    return f"edge counts differ: graphql {len(a)}, plain {len(b)}"


def time_pages(
    url: str, token: str, cursors: dict[str, str | None], requests: int, warmup: int = 10
) -> dict[str, dict[str, float]]:
    """Latency (ms) of ``requests`` sequential requests of each incidents page, interleaved (A B A B ...)
    so that both pages see the same conditions; checks each page is full."""
    contents = {name: body(DEEP_QUERY, {"c": cursor}) for name, cursor in cursors.items()}
    latencies: dict[str, list[float]] = {name: [] for name in cursors}
    with httpx.Client(timeout=60) as client:
        for content in contents.values():
            _check_page(post(client, url, token, content))
        for index in range(warmup + requests):
            for name, content in contents.items():
                started = time.perf_counter()
                post(client, url, token, content)
                if index >= warmup:
                    latencies[name].append((time.perf_counter() - started) * 1e3)
    return {name: _stats(values) for name, values in latencies.items()}


def _stats(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=20)
    return {"median_ms": statistics.median(latencies), "p95_ms": cuts[18], "min_ms": min(latencies)}


def _check_page(result: Any) -> None:
    if "errors" in result or result.get("data") is None:
        raise SystemExit(f"rapidResponseIncidents returned errors: {orjson.dumps(result)[:2000].decode()}")
    edges = result["data"]["rapidResponseIncidents"]["edges"]
    if len(edges) != 100:
        raise SystemExit(f"rapidResponseIncidents page has {len(edges)} edges, expected 100")


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
