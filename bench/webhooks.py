"""Benchmark webhook deliveries: events fanned out to endpoints and sent, signed, to a loopback receiver.

    python bench/webhooks.py [--events 500] [--endpoints 4] [--concurrency 8 32] [--exact]

In a scratch database (dropped afterwards): one rapid-response team, a dispatcher partner app with
``--endpoints`` endpoints subscribed to INCIDENT_REPORTED, all pointing at a receiver running in its own
process on loopback. ``--events`` incidents are reported (committed, with their events); then the worker's
rounds (:func:`api.webhooks.worker.run_pass`, as the service runs them) fan out and deliver until nothing is
due. Each delivery renders the endpoint's subscription document as the app (through the subscriptions' own
path), signs it and POSTs it on the worker's kept-alive connections (one :class:`Connections` across the
rounds, as a running instance keeps it). Reported per concurrency: deliveries per second (wall clock), the
fan-out's share, the CPU milliseconds the worker's process spent and the SQL statements it sent per delivery;
at the end, the connections the receiver accepted. With ``--exact`` the document reads the incident's exact
location (a T3 field: decrypted and audited).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from api import migrate
from api.auth.clients import create_client
from api.crypto import Sealer, sealer_from_settings
from api.db import create_engine
from api.models import Organization, RapidResponseIncident, Region, WebhookDelivery, WebhookEndpoint
from api.models.enums import EventKind, IncidentKind, IntakeChannel, OrganizationKind, WebhookDeliveryStatus
from api.services.shared import events
from api.settings import Settings
from api.webhooks import signing
from api.webhooks.connections import Connections
from api.webhooks.fanout import fan_out
from api.webhooks.worker import run_pass

SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgresql://postgres@127.0.0.1:5432/postgres")
COARSE = "subscription { incidentEvents { eventId kind occurredAt incident { id kind status coarseArea } } }"
EXACT = "subscription { incidentEvents { eventId kind incident { id kind status coarseArea exactLocation } } }"


@dataclass
class Result:
    """One measured run."""

    concurrency: int
    deliveries: int
    seconds: float
    fan_out_seconds: float
    cpu_ms_per_delivery: float
    statements_per_delivery: float

    def line(self) -> str:
        rate = self.deliveries / self.seconds
        return (f"concurrency {self.concurrency:>3}: {self.deliveries} deliveries in {self.seconds:.2f} s = "
                f"{rate:.0f}/s (fan-out {self.fan_out_seconds * 1000:.0f} ms), "
                f"{self.cpu_ms_per_delivery:.2f} ms CPU and {self.statements_per_delivery:.1f} statements per "
                f"delivery, load average {os.getloadavg()[0]:.2f}")  # fmt: skip


def _async(url: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def scratch_database() -> tuple[str, str]:
    """A new database on the server; its name and URL."""
    name = f"sanctuary_bench_webhooks_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(_async(SERVER), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return name, make_url(SERVER).set(database=name).render_as_string(hide_password=False)


async def drop_database(name: str) -> None:
    admin = create_async_engine(_async(SERVER), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def seed(
    sessions: async_sessionmaker[AsyncSession], sealer: Sealer, url: str, endpoints: int, document: str
) -> Organization:
    """A team in its region, its dispatcher app and ``endpoints`` endpoints pointing at ``url``."""
    async with sessions() as session:
        region = Region(id=uuid.uuid4(), name="Bench County", code=f"bench-{uuid.uuid4().hex[:6]}")
        session.add(region)
        await session.flush()
        org = Organization(id=uuid.uuid4(), kind=OrganizationKind.RAPID_RESPONSE, region_id=region.id, name="Bench RR")
        session.add(org)
        await session.flush()
        app, _secret = await create_client(session, org, name="Bench app", scopes=["read"], max_roles=["RR_DISPATCHER"])
        for _ in range(endpoints):
            endpoint = WebhookEndpoint(id=uuid.uuid4(), organization_id=org.id, app_id=app.id, url=url,
                                       event_kinds=["INCIDENT_REPORTED"], document=document)  # fmt: skip
            endpoint.secret = await sealer.seal(
                session, org.id, endpoint.id, "webhook_endpoint.secret", signing.new_secret()
            )
            session.add(endpoint)
        await session.commit()
    return org


async def report_incidents(
    sessions: async_sessionmaker[AsyncSession], sealer: Sealer, org: Organization, count: int
) -> None:
    """``count`` committed incidents of the team, each with its INCIDENT_REPORTED event."""
    async with sessions() as session:
        for n in range(count):
            row = RapidResponseIncident(
                id=uuid.uuid4(), organization_id=org.id, region_id=org.region_id, kind=IncidentKind.WORKPLACE_RAID,
                intake_channel=IntakeChannel.HOTLINE, reported_at=time_now(), coarse_area="Mill district",
            )  # fmt: skip
            row.exact_location = await sealer.seal(session, org.id, row.id, "rapid_response_incident.exact_location",
                                                   f"Dock {n}")  # fmt: skip
            session.add(row)
            await events.record(session, None, EventKind.INCIDENT_REPORTED, row)
        await session.commit()


def time_now() -> datetime:
    return datetime.now(UTC)


async def measure(
    sessions: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings
) -> tuple[float, float]:
    """Run rounds until every delivery is done; (wall seconds, of which fan-out seconds)."""
    started = time.perf_counter()
    async with sessions() as session:
        await fan_out(session, batch=100_000)
        await session.commit()
    fanned = time.perf_counter() - started
    connections = Connections(settings)
    try:
        await _rounds(sessions, sealer, settings, connections)
    finally:
        await connections.aclose()
    return time.perf_counter() - started, fanned


async def _rounds(
    sessions: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, connections: Connections
) -> None:
    while True:
        await run_pass(sessions, sealer, settings, connections=connections)
        async with sessions() as session:
            pending = await session.scalar(
                select(func.count()).where(WebhookDelivery.status == WebhookDeliveryStatus.PENDING)
            )
        if not pending:
            break


async def run(args: argparse.Namespace, target: str, workdir: Path) -> int:
    """Every run against ``target``; how many deliveries succeeded."""
    name, url = await scratch_database()
    try:
        engine = create_engine(url, pool_size=max(args.concurrency) + 4)
        sent: list[None] = []  # one entry per SQL statement the engine sends
        event.listen(engine.sync_engine, "before_cursor_execute", lambda *_: sent.append(None))
        await migrate.upgrade(engine)
        sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        sealer = sealer_from_settings(None, workdir / "master.key")
        org = await seed(sessions, sealer, target, args.endpoints, EXACT if args.exact else COARSE)
        for concurrency in args.concurrency:
            settings = Settings(database_url=url, data_dir=workdir, environment="bench", webhooks_allow_insecure=True,
                                webhooks_allow_private=True, webhooks_concurrency=concurrency,
                                webhooks_batch=max(50, concurrency * 4))  # fmt: skip
            await report_incidents(sessions, sealer, org, args.events)
            cpu, statements = time.process_time(), len(sent)
            seconds, fanned = await measure(sessions, sealer, settings)
            deliveries = args.events * args.endpoints
            cpu_ms = (time.process_time() - cpu) * 1000 / deliveries
            per_delivery = (len(sent) - statements) / deliveries
            print(Result(concurrency, deliveries, seconds, fanned, cpu_ms, per_delivery).line(), flush=True)
        async with sessions() as session:
            succeeded = await session.scalar(
                select(func.count()).where(WebhookDelivery.status == WebhookDeliveryStatus.SUCCEEDED)
            )
        await engine.dispose()
    finally:
        await drop_database(name)
    return int(succeeded or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500, help="incidents reported per run")
    parser.add_argument("--endpoints", type=int, default=4, help="endpoints subscribed to them")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32], help="webhooks_concurrency values")
    parser.add_argument("--exact", action="store_true", help="the document reads the exact location (T3)")
    args = parser.parse_args()
    print(f"webhooks: {args.events} events x {args.endpoints} endpoints, load average {os.getloadavg()[0]:.2f}")
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    port_file = workdir / "port"
    receiver = subprocess.Popen([sys.executable, str(Path(__file__).with_name("webhook_receiver.py")), str(port_file)])
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        succeeded = asyncio.run(run(args, f"http://127.0.0.1:{port_file.read_text()}/hooks", workdir))
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
    received = int(Path(f"{port_file}.count").read_text())
    connections = int(Path(f"{port_file}.connections").read_text())
    print(f"succeeded {succeeded}, received {received} (each delivery once: {succeeded == received}) "
          f"on {connections} connections")  # fmt: skip


if __name__ == "__main__":
    main()
