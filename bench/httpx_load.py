"""Fallback load generator (when wrk is not installed): asyncio + httpx, run as its own process.

Prints one line ``BENCH_RESULT {json}`` in the same format as the wrk script of ``load.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx


async def _worker(
    client: httpx.AsyncClient, url: str, body: bytes, deadline: float, out: dict[str, list[float]]
) -> None:
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            response = await client.post(url, content=body)
        except httpx.HTTPError:
            out["socket"].append(0.0)
            continue
        out["latency"].append(time.perf_counter() - start)
        if response.status_code >= 400:
            out["status"].append(float(response.status_code))


async def run(url: str, body: bytes, token: str, concurrency: int, duration: float) -> dict[str, float]:
    """Drive ``concurrency`` connections for ``duration`` seconds; latency figures in milliseconds."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    out: dict[str, list[float]] = {"latency": [], "status": [], "socket": []}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        deadline = started + duration
        await asyncio.gather(*(_worker(client, url, body, deadline, out) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies = sorted(out["latency"]) or [0.0]
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "requests": len(out["latency"]),
        "duration_s": elapsed,
        "p50_ms": statistics.median(latencies) * 1e3,
        "p95_ms": cuts[94] * 1e3,
        "status_errors": len(out["status"]),
        "socket_errors": len(out["socket"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=15.0)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.body_file.read_bytes(), args.token, args.concurrency, args.duration))
    print("BENCH_RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
