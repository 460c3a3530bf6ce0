"""Benchmark the GraphQL service against a plain asyncpg baseline, and keyset pagination depth.

    python bench/run.py --scale 100000 [--concurrency 16] [--duration 15] [--requests 200]

See bench/README.md for what is measured and how to read the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import fixtures
import hotspots
import load
import probes
import report
import servers
from database import SeedInfo, default_url, plain_url, prepare

from api.crypto import sealer_from_settings
from api.db import create_engine

DEFAULT_DATA_DIR = Path.home() / ".cache" / "sanctuary-bench"


@dataclass
class Setup:
    """Everything prepared in the database before the servers start."""

    url: str
    seed: SeedInfo
    advocate: fixtures.Advocate
    deep: fixtures.DeepPage
    plans: dict[str, list[str]]
    postgres: str
    loadavg: float = 0.0


def revision() -> str:
    """The commit of the code under test, with ``+dirty`` when api/ or migrations/ have local changes."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "api", "migrations"], capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if head.returncode == 0 else "unknown"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=2000, help="accompaniment requests to seed (N)")
    parser.add_argument(
        "--requests", type=int, default=200, help="sequential requests per deep-pagination page (interleaved)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the load generator")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds per endpoint (discarded)")
    parser.add_argument("--database-url", help="use this database (never dropped) instead of the scratch one")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="where the key file lives")
    parser.add_argument("--profile", choices=["auto", "always", "never"], default="auto",
                        help="py-spy the GraphQL server under load (auto: when GraphQL/plain < 10 %%)")  # fmt: skip
    return parser.parse_args()


async def set_up(url: str, scale: int, key_file: Path, *, scratch: bool) -> Setup:
    """Seed if needed, create the viewer and its token, find the deep page and explain both pages."""
    sealer = sealer_from_settings(None, key_file)
    seed = await prepare(url, scale, sealer, scratch=scratch)
    engine = create_engine(url, pool_size=2)
    try:
        advocate = await fixtures.create_advocate(engine)
        deep = await fixtures.deep_page(engine, sealer)
        plans = {
            "first": await fixtures.explain(engine, fixtures.page_sql(advocate, None)),
            "deep": await fixtures.explain(engine, fixtures.page_sql(advocate, deep)),
        }
        async with engine.connect() as connection:
            postgres = str((await connection.exec_driver_sql("SHOW server_version")).scalar())
    finally:
        await engine.dispose()
    return Setup(plain_url(url), seed, advocate, deep, plans, postgres)


def throughput(args: argparse.Namespace, token: str, graphql: servers.Server, plain: servers.Server) -> dict[str, Any]:
    """The same client, body and token against each endpoint in turn."""
    content = probes.body(probes.BENCH_QUERY)
    figures: dict[str, Any] = {"client": load.client_name(), "concurrency": args.concurrency}
    figures |= {"duration_s": args.duration, "warmup_s": args.warmup}
    for server in (graphql, plain):
        print(f"[bench] load on {server.name} for {args.warmup:g} + {args.duration:g} s")
        result = load.drive(
            server.graphql_url, content, token, concurrency=args.concurrency, duration=args.duration, warmup=args.warmup
        )
        figures[server.name] = asdict(result) | {"rps": result.rps}
    figures["ratio_percent"] = 100 * figures["graphql"]["rps"] / figures["plain"]["rps"]
    return figures


def deep_pagination(args: argparse.Namespace, setup: Setup, graphql: servers.Server) -> dict[str, Any]:
    """Median latency of the first page and of the page at 90 % depth, sequentially."""
    print(f"[bench] deep pagination: {args.requests} sequential requests per page")
    token = setup.advocate.token
    pages = probes.time_pages(graphql.graphql_url, token, {"first": None, "deep": setup.deep.cursor}, args.requests)
    first, deep = pages["first"], pages["deep"]
    return {
        "requests": args.requests,
        "total_incidents": setup.deep.total,
        "offset": setup.deep.offset,
        "first_page": first,
        "deep_page": deep,
        "ratio": deep["median_ms"] / first["median_ms"],
        "explain": {
            "first_summary": report.explain_summary(setup.plans["first"]),
            "deep_summary": report.explain_summary(setup.plans["deep"]),
            "first": setup.plans["first"],
            "deep": setup.plans["deep"],
        },
    }


def maybe_profile(args: argparse.Namespace, ratio: float, token: str, graphql: servers.Server) -> dict[str, Any] | None:
    """Sample the GraphQL server with py-spy under the same load, when asked or when it is slow."""
    if args.profile == "never" or (args.profile == "auto" and ratio >= 10):
        return None
    print(f"[bench] profiling the GraphQL server with py-spy for {args.duration:g} s")
    content = probes.body(probes.BENCH_QUERY)

    def drive() -> None:
        load.drive(graphql.graphql_url, content, token, concurrency=args.concurrency, duration=args.duration, warmup=0)

    return hotspots.record(graphql.process.pid, args.duration, report.OUT_DIR, drive)


def measure(args: argparse.Namespace, setup: Setup, graphql: servers.Server, plain: servers.Server) -> dict[str, Any]:
    """Check both endpoints agree, then take every figure."""
    advocate = setup.advocate
    edges = probes.verify_same(
        graphql.graphql_url, plain.graphql_url, advocate.token, min(100, advocate.organization_requests)
    )
    print(f"[bench] both endpoints return the same {edges} edges")
    load_figures = throughput(args, advocate.token, graphql, plain)
    return {
        "scale": args.scale,
        "database": setup.url.rsplit("/", 1)[-1],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": setup.postgres,
            "loadavg_at_start": setup.loadavg,
            "revision": revision(),
        },
        "seed": asdict(setup.seed),
        "viewer": {
            "role": "LEGAL_ADVOCATE",
            "organization_id": str(advocate.organization_id),
            "organization_requests": advocate.organization_requests,
        },
        "throughput": load_figures,
        "deep_pagination": deep_pagination(args, setup, graphql),
        "profile": maybe_profile(args, load_figures["ratio_percent"], advocate.token, graphql),
    }


def main() -> None:
    args = parse_args()
    key_file = args.data_dir / "master.key"
    url = args.database_url or default_url(args.scale)
    setup = asyncio.run(set_up(url, args.scale, key_file, scratch=args.database_url is None))
    setup.loadavg = os.getloadavg()[0]
    env = {"BENCH_DATABASE_URL": setup.url, "SANCTUARY_KEY_FILE": str(key_file)}
    started: list[servers.Server] = []
    try:
        started.append(servers.start("graphql", "service_app:create", env, report.OUT_DIR))
        started.append(servers.start("plain", "plain_app:create", env, report.OUT_DIR))
        for server in started:
            servers.wait_ready(server)
        results = measure(args, setup, started[0], started[1])
    finally:
        for server in started:
            servers.stop(server)
    print("\n" + report.table(results))
    print(f"\n[bench] results written to {report.write(results)}")


if __name__ == "__main__":
    main()
