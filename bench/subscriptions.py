"""Benchmark live delivery: S WebSocket subscribers across the roles, one incident event, time to the last one.

    python bench/subscriptions.py [--subscribers 1000] [--members 100] [--events 5] [--instances 1]

The real service (``bench/service_app.py``, production settings) runs as a uvicorn subprocess on a scratch
database ``sanctuary_bench_live`` (dropped and created again each run). ``--members`` distinct members
(dispatchers of the incident's region, responders, coordinators, admins, volunteers, in turn) and anonymous
callers hold the connections, one subscription each: dispatchers ``incidentEvents``, everyone else
``broadcastAlerts``. Each event is a confirmed incident broadcast in the dispatchers' region, so every
subscriber receives it. Latency is from just after the event's transaction committed (in this process) to
the moment each subscriber's message is read (the subscribers run in this process too, on one event loop);
per event, then over every delivery of every event, and over those after the first event (whose renders are the
first on each pooled connection: asyncpg prepares its statements there).
With ``--instances K``, K such services share the database and the subscribers connect to them in turn (as
behind a load balancer); server CPU and memory are their sums. Cost per subscriber: the servers' resident
memory (VmRSS) before and after the subscribers connected, divided by their number; per-delivery database
work: PostgreSQL transactions and statements on the database while one event is delivered
(``pg_stat_database``), and what they amount to per subscriber.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import servers
from database import DEFAULT_SERVER, plain_url
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from api import migrate
from api.auth.tokens import create_personal_token
from api.crypto import sealer_from_settings
from api.db import create_engine, session_factory
from api.models import Member, Organization, RapidResponseIncident, Region
from api.models.enums import EventKind, IncidentKind, IntakeChannel, OrganizationKind, Role, Verification
from api.services.shared import events

DATABASE = "sanctuary_bench_live"
DATA_DIR = Path.home() / ".cache" / "sanctuary-bench"
OUT_DIR = Path(__file__).resolve().parent / "out"
ROLES = (Role.RR_DISPATCHER, Role.RR_RESPONDER, Role.ORG_ADMIN, Role.ACCOMPANIMENT_COORDINATOR,
         Role.HOSPITALITY_VOLUNTEER)  # fmt: skip
DISPATCHER_QUERY = "subscription { incidentEvents { eventId kind incident { id coarseArea exactLocation } } }"
PROTOCOL = "graphql-transport-ws"
NEXT = b'{"id":"1","type":"next",'  # how the service begins a `next` message of subscription "1"
ALERT_QUERY = "subscription { broadcastAlerts { eventId kind incident { id coarseArea } } }"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=1000, help="WebSocket connections, one subscription each")
    parser.add_argument("--members", type=int, default=100, help="distinct members among them (the rest anonymous)")
    parser.add_argument("--anonymous", type=float, default=0.2, help="share of anonymous subscribers")
    parser.add_argument("--events", type=int, default=5, help="events delivered one after the other")
    parser.add_argument(
        "--instances",
        type=int,
        default=1,
        help="service instances on the database (subscribers spread over them in turn, as a load balancer would)",
    )
    parser.add_argument(
        "--affinity",
        choices=("connection", "member"),
        default="connection",
        help="with several instances: connections spread in turn, or each member's on one instance (as a balancer "
        "hashing the client's address places one person's devices on one network)",
    )
    return parser.parse_args()


async def recreate(url: str) -> None:
    maintenance = await asyncpg.connect(f"{DEFAULT_SERVER}/postgres")
    try:
        await maintenance.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await maintenance.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await maintenance.close()
    engine = create_engine(url, pool_size=1)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def seed(url: str, members: int) -> tuple[uuid.UUID, list[tuple[Role, str]]]:
    """One region with a rapid-response team and a congregation; ``members`` members with tokens."""
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as db:
            region = Region(id=uuid.uuid4(), name="Bench County", code="bench")
            db.add(region)
            await db.flush()
            team = Organization(id=uuid.uuid4(), kind=OrganizationKind.RAPID_RESPONSE, region_id=region.id, name="RR")
            church = Organization(id=uuid.uuid4(), kind=OrganizationKind.CONGREGATION, region_id=region.id, name="C")
            db.add_all([team, church])
            await db.flush()
            tokens = []
            for index in range(members):
                role = ROLES[index % len(ROLES)]
                org = team if role in (Role.RR_DISPATCHER, Role.RR_RESPONDER) else church
                member = Member(id=uuid.uuid4(), organization_id=org.id, roles=[role.value],
                                email=f"m{index}@bench.test", alias=f"M{index}", legal_name="Bench")  # fmt: skip
                db.add(member)
                await db.flush()
                _row, secret = await create_personal_token(db, member, name="bench", lifetime=timedelta(days=1))
                tokens.append((role, secret))
            await db.commit()
            return team.id, tokens
    finally:
        await engine.dispose()


class Tally:
    """How many subscribers have the current event; ``done`` once they all have it."""

    def __init__(self) -> None:
        self.count, self.target, self.done = 0, 0, asyncio.Event()

    def expect(self, target: int) -> None:
        self.count, self.target = 0, target
        self.done.clear()

    def arrived(self) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()


TALLY = Tally()


class Subscriber(WSListener):
    """One connection (picows: its frames are parsed in C, so that 1,000 of them in one process measure the server,
    not this client) and the moments its `next` messages arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.errors = 0  # `next` messages carrying errors (none expected)
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()  # the protocol's other messages
        self.transport: WSTransport | None = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is not WSMsgType.TEXT:
            return
        arrived = time.perf_counter()
        payload = frame.get_payload_as_bytes()
        if payload.startswith(NEXT):  # as the server writes them: no need to parse it to count it
            self.next(arrived, b'"errors":' in payload and "errors" in orjson.loads(payload)["payload"])
            return
        message = orjson.loads(payload)
        if message.get("type") == "next":
            self.next(arrived, "errors" in message["payload"])
        elif message.get("type") == "ping":
            transport.send(WSMsgType.TEXT, b'{"type":"pong"}')
        else:
            self.replies.put_nowait(message)

    def next(self, arrived: float, failed: bool) -> None:
        self.arrivals.append(arrived)
        self.errors += failed
        TALLY.arrived()

    def send(self, message: dict[str, Any]) -> None:
        assert self.transport is not None
        self.transport.send(WSMsgType.TEXT, orjson.dumps(message))

    async def reply(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.replies.get(), 60)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.disconnect()


async def subscribe(url: str, token: str | None, query: str) -> Subscriber:
    _transport, subscriber = await ws_connect(
        Subscriber, url, websocket_handshake_timeout=60, extra_headers={"Sec-WebSocket-Protocol": PROTOCOL}
    )
    assert isinstance(subscriber, Subscriber)
    subscriber.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}})
    assert (await subscriber.reply())["type"] == "connection_ack"
    subscriber.send({"id": "1", "type": "subscribe", "payload": {"query": query}})
    subscriber.send({"type": "ping"})
    assert (await subscriber.reply())["type"] == "pong"  # handled in order: the subscription is registered
    return subscriber


def plan(args: argparse.Namespace, tokens: list[tuple[Role, str]]) -> list[tuple[str | None, str]]:
    anonymous = int(args.subscribers * args.anonymous)
    chosen: list[tuple[str | None, str]] = [(None, ALERT_QUERY)] * anonymous
    for index in range(args.subscribers - anonymous):
        role, token = tokens[index % len(tokens)]
        chosen.append((token, DISPATCHER_QUERY if role is Role.RR_DISPATCHER else ALERT_QUERY))
    return chosen


def cpu_ms(pid: int) -> float:
    """CPU time the process has used so far (user and system), in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def database_work(connection: asyncpg.Connection) -> tuple[int, int]:
    row = await connection.fetchrow(
        "SELECT xact_commit + xact_rollback AS transactions, tup_returned + tup_fetched AS tuples"
        " FROM pg_stat_database WHERE datname = $1",
        DATABASE,
    )
    return int(row["transactions"]), int(row["tuples"])


async def broadcast(url: str, team_id: uuid.UUID, sealer: Any) -> tuple[float, float]:
    """Commit a broadcast incident and its event; the moments just before and just after the commit."""
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as db:
            team = await db.get(Organization, team_id)
            assert team is not None
            incident = RapidResponseIncident(
                id=uuid.uuid4(), organization_id=team.id, region_id=team.region_id, kind=IncidentKind.WORKPLACE_RAID,
                intake_channel=IntakeChannel.HOTLINE, reported_at=datetime.now(UTC), coarse_area="Bench district",
                verification=Verification.CONFIRMED, broadcast_at=datetime.now(UTC),
            )  # fmt: skip
            db.add(incident)
            await db.flush()
            await events.record(db, None, EventKind.INCIDENT_BROADCAST, incident)
            started = time.perf_counter()
            await db.commit()
            return started, time.perf_counter()
    finally:
        await engine.dispose()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    url = plain_url(f"{DEFAULT_SERVER}/{DATABASE}")
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key_file = DATA_DIR / "master.key"
    sealer = sealer_from_settings(None, key_file)
    await recreate(url)
    team_id, tokens = await seed(url, args.members)
    env = {
        "BENCH_DATABASE_URL": url, "SANCTUARY_KEY_FILE": str(key_file), "SANCTUARY_PURGE_INTERVAL_MINUTES": "0",
        "SANCTUARY_LIVE_MAX_CONNECTIONS_PER_MEMBER": str(args.subscribers),
        "SANCTUARY_RATE_LIMITS": '{"member": {"points": 1000000000}, "anonymous": {"points": 1000000000}, '
        '"in_flight": 100000}',
    }  # fmt: skip
    # as `sanctuary-api serve` runs it: no permessage-deflate (see api/cli_serve.py)
    started = [servers.start(f"live{i}", "service_app:create", env, OUT_DIR, ("--ws-per-message-deflate", "false"))
               for i in range(args.instances)]  # fmt: skip
    pids = [server.process.pid for server in started]
    try:
        for server in started:
            servers.wait_ready(server)
        idle = sum(rss_kib(pid) for pid in pids)
        ws_urls = [f"ws://127.0.0.1:{server.port}/graphql" for server in started]
        gate = asyncio.Semaphore(50)

        placed: dict[str | None, int] = {}  # with --affinity member: each member's connections on one instance

        async def one(index: int, token: str | None, query: str) -> Subscriber:
            if args.affinity == "member" and token is not None:
                index = placed.setdefault(token, len(placed))
            async with gate:
                return await subscribe(ws_urls[index % len(ws_urls)], token, query)

        connecting = time.perf_counter()
        subscribers = await asyncio.gather(*(one(i, t, q) for i, (t, q) in enumerate(plan(args, tokens))))
        connect_s = time.perf_counter() - connecting
        await asyncio.sleep(1.0)
        loaded = sum(rss_kib(pid) for pid in pids)
        stats = await asyncpg.connect(url)
        rounds: list[dict[str, Any]] = []
        every: list[list[float]] = []  # each event's latencies, for the figures over all deliveries
        for round_index in range(args.events):
            before = await database_work(stats)
            TALLY.expect(len(subscribers))
            server_cpu, client_cpu = sum(cpu_ms(pid) for pid in pids), time.process_time()
            begun, committed = await broadcast(url, team_id, sealer)
            await asyncio.wait_for(TALLY.done.wait(), 120)
            server_cpu = sum(cpu_ms(pid) for pid in pids) - server_cpu
            client_cpu = (time.process_time() - client_cpu) * 1000
            await asyncio.sleep(0.5)  # let the statistics collector catch up
            after = await database_work(stats)
            latencies = [(s.arrivals[round_index] - committed) * 1000 for s in subscribers]
            every.append(latencies)
            rounds.append({
                "p50_ms": statistics.median(latencies), "p95_ms": percentile(latencies, 0.95),
                "last_ms": max(latencies), "commit_ms": (committed - begun) * 1000,
                "server_cpu_ms": server_cpu, "client_cpu_ms": client_cpu, "transactions": after[0] - before[0], "tuples": after[1] - before[1],
            })  # fmt: skip
        await stats.close()
        for subscriber in subscribers:
            subscriber.close()
        if failed := sum(s.errors for s in subscribers):
            raise SystemExit(f"{failed} deliveries carried errors")
        return {
            "subscribers": args.subscribers, "members": args.members, "instances": args.instances, "anonymous": int(args.subscribers * args.anonymous),
            "connect_s": connect_s, "rss_idle_kib": idle, "rss_loaded_kib": loaded,
            "kib_per_subscriber": (loaded - idle) / args.subscribers, "rounds": rounds,
            "all_events": overall(every), "after_the_first": overall(every[1:]),
            "cpus": os.cpu_count(), "loadavg": os.getloadavg()[0],
        }  # fmt: skip
    finally:
        for server in started:
            servers.stop(server)


def overall(events: list[list[float]]) -> dict[str, float] | None:
    """p50, p95 and the slowest over every delivery of ``events`` (None without any)."""
    latencies = [latency for event in events for latency in event]
    if not latencies:
        return None
    return {"deliveries": len(latencies), "p50_ms": statistics.median(latencies),
            "p95_ms": percentile(latencies, 0.95), "last_ms": max(latencies)}  # fmt: skip


def summary(results: dict[str, Any]) -> str:
    lines = [
        f"{results['subscribers']} subscribers ({results['members']} members, {results['anonymous']} anonymous) on "
        f"{results['instances']} instance(s), "
        f"{results['cpus']} CPUs, load average {results['loadavg']:.2f}; connected in {results['connect_s']:.1f} s",
        f"Server memory: {results['rss_idle_kib'] / 1024:.1f} MiB idle, {results['rss_loaded_kib'] / 1024:.1f} MiB "
        f"with the subscribers: {results['kib_per_subscriber']:.1f} KiB per subscriber",
        f"  {'event':<8}{'p50 ms':>10}{'p95 ms':>10}{'last ms':>10}{'commit ms':>11}{'server CPU':>12}"
        f"{'client CPU':>12}{'xacts':>8}{'xacts/sub':>11}",
    ]
    for index, row in enumerate(results["rounds"], 1):
        per = row["transactions"] / results["subscribers"]
        lines.append(
            f"  {index:<8}{row['p50_ms']:>10.1f}{row['p95_ms']:>10.1f}{row['last_ms']:>10.1f}{row['commit_ms']:>11.1f}"
            f"{row['server_cpu_ms']:>12.0f}{row['client_cpu_ms']:>12.0f}{row['transactions']:>8}{per:>11.3f}"
        )
    for label, key in (("every delivery of every event", "all_events"), ("after the first event", "after_the_first")):
        if figures := results[key]:
            lines.append(
                f"  {label} ({figures['deliveries']}): p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                f"slowest {figures['last_ms']:.1f} ms"
            )
    return "\n".join(lines)


def main() -> None:
    args = parse_args()
    results = asyncio.run(measure(args))
    OUT_DIR.mkdir(exist_ok=True)
    (OUT_DIR / "subscriptions.json").write_text(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode() + "\n")
    print(summary(results))


if __name__ == "__main__":
    main()
