"""What clients see when the database fails: a fast 503 with Retry-After (JSON), never a plain 500 or a
dropped connection; and the service recovers when the database is back.

The app runs in uvicorn on a loopback port against a throw-away PostgreSQL cluster the test kills.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api import migrate, scheduler
from api.app import configure_state, create_app
from api.crypto import Sealer
from api.db import engine_from_settings, is_unavailable, session_factory
from api.models import AuditEvent
from api.models.enums import AuditAction, AuditOutcome, Role
from api.settings import Settings
from tests import factories, workflow
from tests.graphql import gid
from tests.operations.cluster import Cluster, throwaway_cluster
from tests.sanctuary import factories as fs

ANONYMOUS = "{ broadcastAlerts(first: 5) { edges { node { kind } } } }"
MEMBER = "{ congregations(first: 5) { edges { node { publicName } } } }"
FAST_S = 4.0  # pool timeout 1 s, connect timeout 1 s: every answer well within this


@dataclass
class Seen:
    """Every answer the clients got (status, content type, Retry-After, body) and every failure."""

    answers: list[tuple[int, str, str | None, Any, float]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def serving(settings: Settings, sealer: Sealer) -> AsyncIterator[str]:
    """The app (owning its engine, as in production) in uvicorn on a loopback port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(settings, sealer=sealer), lifespan="on", log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def _client_loop(base: str, token: str, seen: Seen, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        while not stop.is_set():
            for query, auth in ((ANONYMOUS, {}), (MEMBER, {"Authorization": f"Bearer {token}"})):
                started = time.monotonic()
                try:
                    response = await client.post("/graphql", json={"query": query}, headers=auth)
                except httpx.HTTPError as error:  # a dropped connection
                    seen.failures.append(type(error).__name__)
                    continue
                body = response.json() if response.headers.get("content-type") == "application/json" else None
                seen.answers.append(
                    (
                        response.status_code,
                        response.headers.get("content-type", ""),
                        response.headers.get("retry-after"),
                        body,
                        time.monotonic() - started,
                    )
                )


def _check(seen: Seen) -> None:
    assert not seen.failures, f"dropped connections: {seen.failures[:5]}"
    for status, content_type, retry_after, body, elapsed in seen.answers:
        assert status in (200, 503), (status, content_type, body)
        assert content_type == "application/json"
        assert elapsed < FAST_S
        if status == 503:
            assert retry_after == "5"
            (error,) = body["errors"]
            assert error["message"] == "The service is temporarily unavailable. Retry later."
            assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
            assert error["extensions"]["requestId"]
        else:
            assert "errors" not in body, body


async def _until(predicate: Any, timeout_s: float, failure: str = "the service did not recover") -> None:
    deadline = time.monotonic() + timeout_s
    while not await predicate():
        assert time.monotonic() < deadline, failure
        await asyncio.sleep(0.2)


async def _prepare(url: str, settings: Settings, sealer: Sealer) -> str:
    """Migrate the cluster's database and make a member with a token."""
    engine = engine_from_settings(settings, url, maintenance=True, pool_size=1)
    try:
        await migrate.upgrade(engine)
        async with session_factory(engine)() as session:
            org = await factories.organization(session)
            await factories.congregation(session, org)
            token = await factories.token_for(session, await factories.member(session, org, Role.ORGANIZER))
            await session.commit()
    finally:
        await engine.dispose()
    return token


@pytest.fixture
def cluster() -> Any:
    with throwaway_cluster() as running:
        yield running


async def test_a_database_outage_under_load_is_fast_json_503s_then_recovery(
    cluster: Cluster, settings: Settings, sealer: Sealer
) -> None:
    configured = settings.model_copy(
        update={
            "database_url": cluster.url,
            "db_pool_size": 2,
            "db_pool_timeout_s": 1.0,
            "db_connect_timeout_s": 1.0,
            "purge_interval_minutes": 0,
        }
    )
    token = await _prepare(cluster.url, configured, sealer)
    seen, stop = Seen(), asyncio.Event()
    async with serving(configured, sealer) as base, httpx.AsyncClient(base_url=base, timeout=20) as probe:
        clients = [asyncio.create_task(_client_loop(base, token, seen, stop)) for _ in range(6)]

        async def served() -> bool:  # (not a fixed time: on a busy machine the first answers may be pool timeouts)
            return any(answer[0] == 200 for answer in seen.answers)

        await _until(served, 20, "nothing was served before the outage")
        await asyncio.to_thread(cluster.kill)
        await asyncio.sleep(2.5)
        during = len(seen.answers)
        oauth = await probe.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x"})
        ready = await probe.get("/readyz")
        await asyncio.to_thread(cluster.start)

        async def serving_again() -> bool:
            return (await probe.get("/readyz")).status_code == 200 and any(a[0] == 200 for a in seen.answers[during:])

        await _until(serving_again, 20)
        stop.set()
        await asyncio.gather(*clients)
    _check(seen)
    statuses = [answer[0] for answer in seen.answers]
    assert 503 in statuses
    assert 200 in statuses[:during]
    assert statuses[-1] == 200
    assert oauth.status_code == 503
    assert oauth.headers["retry-after"] == "5"
    assert oauth.json() == {
        "error": "temporarily_unavailable",
        "error_description": "The service is temporarily unavailable. Retry later.",
    }
    assert ready.status_code == 503


async def test_an_exhausted_pool_is_a_503_after_the_pool_timeout(
    database_url: str, engine: AsyncEngine, settings: Settings, sealer: Sealer
) -> None:
    configured = settings.model_copy(update={"db_pool_size": 1, "db_pool_timeout_s": 0.5})
    small = engine_from_settings(configured, database_url, maintenance=False)
    app = create_app(configured, engine=small, sealer=sealer)
    configure_state(app, engine=small, sessionmaker=session_factory(small), sealer=sealer, settings=configured)
    try:
        async with small.connect(), small.connect():  # the pool (1) and its overflow (1) are taken
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                started = time.monotonic()
                response = await client.post("/graphql", json={"query": ANONYMOUS}, headers={"x-request-id": "r-1"})
                elapsed = time.monotonic() - started
    finally:
        await small.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "requestId": "r-1"}
    assert elapsed < 2.0


async def test_reads_get_the_short_statement_timeout_and_maintenance_the_long_one(
    database_url: str, settings: Settings
) -> None:
    configured = settings.model_copy(update={"db_read_statement_timeout_ms": 4000, "db_statement_timeout_ms": 9000})
    shown: dict[str, object] = {}
    for maintenance in (False, True):
        engine = engine_from_settings(configured, database_url, maintenance=maintenance, pool_size=1)
        try:
            async with engine.connect() as connection:
                shown[f"maintenance={maintenance}"] = await connection.scalar(text("SHOW statement_timeout"))

            async def job(session: AsyncSession, _settings: Settings, _now: object) -> object:
                return await session.scalar(text("SHOW statement_timeout"))

            round_ = await scheduler.run_once(session_factory(engine), configured, [("show", job)])
            assert round_ is not None
            shown[f"periodic, maintenance={maintenance}"] = round_["show"]
        finally:
            await engine.dispose()
    assert shown == {
        "maintenance=False": "4s",
        "periodic, maintenance=False": "9s",
        "maintenance=True": "9s",
        "periodic, maintenance=True": "9s",
    }


async def test_a_database_that_accepts_but_never_answers_is_a_503_after_the_connect_timeout(
    settings: Settings, sealer: Sealer
) -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept the connection, say nothing
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    url = f"postgresql://postgres@127.0.0.1:{server.sockets[0].getsockname()[1]}/x"
    configured = settings.model_copy(update={"database_url": url, "db_connect_timeout_s": 0.5})
    small = engine_from_settings(configured, url, maintenance=False, pool_size=1)
    app = create_app(configured, engine=small, sealer=sealer)
    configure_state(app, engine=small, sessionmaker=session_factory(small), sealer=sealer, settings=configured)
    try:
        async with server, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            started = time.monotonic()
            response = await asyncio.wait_for(client.post("/graphql", json={"query": ANONYMOUS}), 10)
            elapsed = time.monotonic() - started
    finally:
        await small.dispose()
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert elapsed < 2.0


async def test_a_statement_timing_out_during_execution_is_a_503_not_a_masked_error(
    database_url: str, engine: AsyncEngine, settings: Settings, sealer: Sealer, caplog: pytest.LogCaptureFixture
) -> None:
    configured = settings.model_copy(update={"db_read_statement_timeout_ms": 300})
    slow = engine_from_settings(configured, database_url, maintenance=False, pool_size=1)
    app = create_app(configured, engine=slow, sealer=sealer)
    configure_state(app, engine=slow, sessionmaker=session_factory(slow), sealer=sealer, settings=configured)
    try:
        async with engine.connect() as blocker, blocker.begin():
            # the resolver's query waits for this lock until its statement timeout cancels it
            await blocker.execute(text("LOCK TABLE rapid_response_incident IN ACCESS EXCLUSIVE MODE"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                response = await client.post("/graphql", json={"query": ANONYMOUS})
    finally:
        await slow.dispose()
    # the statement failed inside a resolver (strawberry caught it), and still the answer is a 503
    assert any(r.name == "api.graphql" and "unexpected DBAPIError at" in r.getMessage() for r in caplog.records)
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_a_mutation_cut_short_by_the_database_is_a_503_and_audited_as_failed(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    db: AsyncSession,
    settings: Settings,
    sealer: Sealer,
) -> None:
    configured = settings.model_copy(update={"db_statement_timeout_ms": 300})
    app = create_app(configured, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=configured)
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    await db.commit()
    starts = datetime.now(UTC) + timedelta(days=2)
    shift = {"caseId": gid(case), "startsAt": starts.isoformat(), "endsAt": (starts + timedelta(hours=4)).isoformat()}
    async with engine.connect() as blocker, blocker.begin():
        # the mutation's INSERT waits for this lock until its statement timeout cancels it
        await blocker.execute(text("LOCK TABLE hospitality_shift IN ACCESS EXCLUSIVE MODE"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            document = workflow.document("hospitalityShiftCreate", "hospitalityShift { id }")
            headers = {"Authorization": f"Bearer {where.coordinator.token}"}
            response = await client.post(
                "/graphql",
                json={"query": document, "variables": {"input": {**shift, "neededVolunteers": 2}}},
                headers=headers,
            )
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    events = await db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.MUTATION, AuditEvent.actor_member_id == where.coordinator.id
        )
    )
    assert [(event.operation_name, event.outcome) for event in events] == [("Do", AuditOutcome.FAILED)]


async def test_too_many_connections_is_a_503(
    database_url: str, engine: AsyncEngine, settings: Settings, sealer: Sealer
) -> None:
    role = f"sanctuary_full_{uuid.uuid4().hex[:8]}"
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 0'))  # every connection: 53300
        await connection.commit()
    url = make_url(database_url).set(username=role).render_as_string(hide_password=False)
    full = engine_from_settings(settings, url, maintenance=False, pool_size=1)
    app = create_app(settings, engine=full, sealer=sealer)
    configure_state(app, engine=full, sessionmaker=session_factory(full), sealer=sealer, settings=settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.post("/graphql", json={"query": ANONYMOUS})
    finally:
        await full.dispose()
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP ROLE "{role}"'))
            await connection.commit()
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


def test_a_connection_the_driver_invalidated_is_unavailable_and_a_plain_database_error_is_not() -> None:
    assert is_unavailable(DBAPIError("SELECT 1", None, Exception("connection lost"), connection_invalidated=True))
    assert not is_unavailable(DBAPIError("SELECT 1", None, Exception("a bug")))
