"""Rate limits: buckets per member, app and address shared by instances, headers, 429s, intake's reserve,
the in-flight cap, and /oauth/token's stricter buckets (real PostgreSQL; Redis too when it answers)."""

from __future__ import annotations

import asyncio
import random
import re
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from api import scheduler
from api.app import configure_state, create_app
from api.auth.clients import create_client
from api.crypto import Sealer
from api.models import RateLimitBucket
from api.models.enums import OrganizationKind
from api.ratelimit.buckets import digest
from api.ratelimit.policy import Policy, RateLimits
from api.settings import Settings
from tests import factories as f
from tests.rapid_response import factories as rr
from tests.rapid_response.test_workflow_rapid_response import SELECT, _report
from tests.workflow import document

READ = "{ accompanimentRequests(first: 1) { nodes { id } } }"
POLICY = re.compile(r'^"(member|app|anonymous|token_address|token_client)";q=(\d+);w=(\d+)$')
LIMIT = re.compile(r'^"(member|app|anonymous|token_address|token_client)";r=(\d+);t=(\d+)$')
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


BACKENDS = [
    pytest.param(None, id="postgresql"),
    pytest.param(
        REDIS_URL,
        id="redis",
        marks=pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379"),
    ),
]


class Apps:
    """Builds app instances on the test database with given limits, and clients with chosen addresses."""

    def __init__(
        self, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings
    ) -> None:
        self.engine, self.sessionmaker, self.sealer, self.settings = engine, sessionmaker, sealer, settings
        self.clients: list[httpx.AsyncClient] = []
        self.apps: list[Starlette] = []

    def app(self, limits: RateLimits, redis_url: str | None = None) -> Starlette:
        settings = self.settings.model_copy(update={"rate_limits": limits, "redis_url": redis_url})
        app = create_app(settings, engine=self.engine, sealer=self.sealer)
        configure_state(app, engine=self.engine, sessionmaker=self.sessionmaker, sealer=self.sealer, settings=settings)
        self.apps.append(app)
        return app

    def client(self, app: Starlette, address: str | None = None) -> httpx.AsyncClient:
        address = address or _address()
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self.clients.append(client)
        return client


def _address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.fixture
async def apps(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings
) -> AsyncIterator[Apps]:
    made = Apps(engine, sessionmaker, sealer, settings)
    yield made
    for client in made.clients:
        await client.aclose()
    for app in made.apps:
        await app.state.rate_gate.buckets.close()  # (a PostgreSQL store on the shared engine keeps it)


def _limits(**values: Any) -> RateLimits:
    base: dict[str, Any] = {
        "member": Policy(points=10_000), "app": Policy(points=10_000), "anonymous": Policy(points=10_000),
        "token_address": Policy(points=10_000), "token_client": Policy(points=10_000), "reserve": 0,
    }  # fmt: skip
    return RateLimits(**(base | values))


async def _post(client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def _assert_refused(response: httpx.Response, policy: str) -> None:
    """A 429 with Retry-After, the RateLimit fields of ``policy`` (nothing left) and a RATE_LIMITED error."""
    assert response.status_code == 429, response.text
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert response.json()["data"] is None
    assert (m := LIMIT.match(response.headers["ratelimit"]))
    assert m.group(1) == policy
    assert m.group(2) == "0"
    assert (p := POLICY.match(response.headers["ratelimit-policy"]))
    assert p.group(1) == policy


@pytest.mark.parametrize("redis_url", BACKENDS)
async def test_reads_meet_429s_while_incident_intake_still_succeeds(
    apps: Apps, db: AsyncSession, redis_url: str | None
) -> None:
    crew = await rr.team(db, name=f"Limits {random.randrange(10**6)}")
    await db.commit()
    limits = _limits(member=Policy(points=40, window_s=3600), reserve=0.25)  # reads stop at 10 points left
    client = apps.client(apps.app(limits, redis_url))
    statuses = []
    for _ in range(60):  # (2,000 with the defaults: the same loop, longer)
        response = await _post(client, READ, crew.dispatcher.token)
        statuses.append(response.status_code)
        if response.status_code == 429:
            _assert_refused(response, "member")
    assert statuses == [200] * 30 + [429] * 30
    for _ in range(3):  # raid reports spend the reserve the reads could not
        body = await _post(client, document("incidentReport", SELECT), crew.dispatcher.token, input=_report(crew))
        assert body.status_code == 200, body.text
        assert "errors" not in body.json()
        assert body.json()["data"]["incidentReport"]["userErrors"] == []
    assert (await _post(client, READ, crew.dispatcher.token)).status_code == 429


async def test_headers_follow_the_ietf_draft_syntax_and_count_down(apps: Apps, db: AsyncSession) -> None:
    who = await f.member(db, await f.organization(db, OrganizationKind.LEGAL_AID))
    token = await f.token_for(db, who)
    await db.commit()
    client = apps.client(apps.app(_limits(member=Policy(points=100, window_s=60), reserve=0.1)))
    remaining = []
    for _ in range(3):
        response = await _post(client, READ, token)
        assert response.status_code == 200
        assert POLICY.match(response.headers["ratelimit-policy"]).groups() == ("member", "100", "60")  # type: ignore[union-attr]
        match = LIMIT.match(response.headers["ratelimit"])
        assert match
        assert match.group(1) == "member"
        assert int(match.group(3)) <= 60
        remaining.append(int(match.group(2)))
    assert remaining == [89, 88, 87]  # 100 points, 10 kept for intake, one spent per request


async def test_a_costly_document_spends_more_points(apps: Apps, db: AsyncSession) -> None:
    who = await f.member(db, await f.organization(db, OrganizationKind.LEGAL_AID))
    token = await f.token_for(db, who)
    await db.commit()
    client = apps.client(apps.app(_limits(member=Policy(points=100, window_s=60), reserve=0)))
    costly = "{ a: congregations(first: 100) { nodes { id } } b: congregations(first: 100) { nodes { id } } }"
    response = await _post(client, costly, token)
    assert response.status_code == 200, response.text
    requested = response.json()["extensions"]["cost"]["requested"]
    match = LIMIT.match(response.headers["ratelimit"])
    assert match
    assert requested >= 200
    assert int(match.group(2)) == 100 - (1 + requested // 100)  # 1 point, and 1 per 100 objects it may return


async def test_members_apps_and_addresses_have_separate_buckets(apps: Apps, db: AsyncSession) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    first = await f.token_for(db, await f.member(db, org))
    second = await f.token_for(db, await f.member(db, org))
    row, secret = await create_client(db, org, name="Partner app", scopes=["read"], max_roles=["LEGAL_ADVOCATE"])
    await db.commit()
    policy = Policy(points=3, window_s=3600)
    app = apps.app(_limits(member=policy, app=policy, anonymous=policy))
    one, other = apps.client(app), apps.client(app)
    for _ in range(3):
        assert (await _post(one, READ, first)).status_code == 200
        assert (await _post(one, READ)).status_code == 200
    _assert_refused(await _post(one, READ, first), "member")
    _assert_refused(await _post(one, READ), "anonymous")
    _assert_refused(await _post(one, READ, "not-a-token"), "anonymous")  # failing tokens pay as the address
    assert (await _post(one, READ, second)).status_code == 200  # another member
    assert (await _post(other, READ)).status_code == 200  # another address
    issued = await one.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret))
    app_token = issued.json()["access_token"]
    for _ in range(3):
        assert (await _post(one, READ, app_token)).status_code == 200
    _assert_refused(await _post(other, READ, app_token), "app")  # the app's bucket, from any address


@pytest.mark.parametrize("redis_url", BACKENDS)
async def test_two_instances_share_the_buckets(apps: Apps, redis_url: str | None) -> None:
    limits = _limits(anonymous=Policy(points=4, window_s=3600))
    address = _address()
    first, second = (apps.client(apps.app(limits, redis_url), address) for _ in range(2))
    statuses = [(await _post(client, READ)).status_code for client in (first, second) * 3]
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_the_in_flight_cap_answers_at_once_while_slow_requests_hold_their_slots(apps: Apps) -> None:
    app = apps.app(_limits(in_flight=2))
    address = _address()
    slow, release = apps.client(app, address), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:  # a client that sends its request slowly
        yield b'{"query": "{ __typename }"'
        await release.wait()
        yield b"}"

    async def slow_request() -> httpx.Response:
        return await slow.post("/graphql", content=body(), headers={"content-type": "application/json"})

    held = [asyncio.create_task(slow_request()) for _ in range(2)]
    await asyncio.sleep(0.2)
    started = time.perf_counter()
    refused = await asyncio.wait_for(_post(apps.client(app, address), READ), timeout=2)
    assert time.perf_counter() - started < 1
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert (await _post(apps.client(app), READ)).status_code == 200  # the alert feed: other callers are served
    release.set()
    assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
    assert (await _post(apps.client(app, address), READ)).status_code == 200  # slots are given back


async def test_oauth_token_has_stricter_buckets_per_address_and_per_client(apps: Apps, db: AsyncSession) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    row, secret = await create_client(db, org, name="Partner app", scopes=["read"], max_roles=["LEGAL_ADVOCATE"])
    await db.commit()
    app = apps.app(_limits(token_address=Policy(points=2, window_s=600), token_client=Policy(points=3, window_s=600)))
    form, auth = {"grant_type": "client_credentials"}, (row.client_id, secret)
    one = apps.client(app)
    assert [(await one.post("/oauth/token", data=form, auth=auth)).status_code for _ in range(2)] == [200, 200]
    refused = await one.post("/oauth/token", data=form, auth=auth)
    assert refused.status_code == 429
    assert refused.json()["error"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    assert LIMIT.match(refused.headers["ratelimit"])
    assert (await apps.client(app).post("/oauth/token", data=form, auth=auth)).status_code == 200  # 3rd for it
    refused = await apps.client(app).post("/oauth/token", data=form, auth=auth)  # a new address, same client
    assert refused.status_code == 429
    assert refused.headers["ratelimit"].startswith('"token_client";r=0;')


async def test_naming_a_client_id_without_its_secret_spends_nothing_of_its_bucket(apps: Apps, db: AsyncSession) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    row, secret = await create_client(db, org, name="Partner app", scopes=["read"], max_roles=["LEGAL_ADVOCATE"])
    await db.commit()
    app = apps.app(_limits(token_client=Policy(points=2, window_s=600)))
    form = {"grant_type": "client_credentials"}
    for _ in range(5):  # someone who knows the app's public id, from ever new addresses
        forged = await apps.client(app).post("/oauth/token", data=form, auth=(row.client_id, "not-its-secret"))
        assert forged.status_code == 401
    statuses = [(await apps.client(app).post("/oauth/token", data=form, auth=(row.client_id, secret))).status_code
                for _ in range(3)]  # fmt: skip
    assert statuses == [200, 200, 429]  # the app's own two tokens, then its bucket is spent


async def test_forwarded_addresses_count_only_behind_a_trusted_proxy(apps: Apps) -> None:
    limits = _limits(anonymous=Policy(points=1, window_s=3600))
    proxy = _address()
    direct = apps.client(apps.app(limits), proxy)
    forwarded = {"x-forwarded-for": _address()}
    assert (await direct.post("/graphql", json={"query": READ}, headers=forwarded)).status_code == 200
    other = {"x-forwarded-for": _address()}  # not believed: the same (proxy's) address pays again
    assert (await direct.post("/graphql", json={"query": READ}, headers=other)).status_code == 429
    trusted = RateLimits.model_validate(limits.model_dump() | {"trusted_proxies": [proxy]})
    behind = apps.client(apps.app(trusted), proxy)
    for _ in range(2):
        caller = {"x-forwarded-for": f"{_address()}, {proxy}"}  # each a new caller behind the proxy
        assert (await behind.post("/graphql", json={"query": READ}, headers=caller)).status_code == 200


async def test_idle_buckets_are_forgotten_by_the_periodic_jobs(
    db: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    now = datetime.now(UTC)
    idle, busy = digest("anonymous", _address()), digest("anonymous", _address())
    db.add(RateLimitBucket(key=idle, tokens=1.0, granted=True, updated_at=now - timedelta(days=30)))
    db.add(RateLimitBucket(key=busy, tokens=1.0, granted=True, updated_at=now))
    await db.commit()
    results = await scheduler.run_once(sessionmaker, settings)
    assert results is not None
    assert results["ratelimit.forget_idle_buckets"] >= 1  # type: ignore[operator]
    kept = set(await db.scalars(select(RateLimitBucket.key).where(RateLimitBucket.key.in_([idle, busy]))))
    assert kept == {busy}


async def test_an_unreachable_bucket_store_lets_requests_through(apps: Apps) -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    client = apps.client(apps.app(_limits(anonymous=Policy(points=1, window_s=3600)), f"redis://127.0.0.1:{port}/0"))
    for _ in range(2):
        response = await _post(client, READ)
        assert response.status_code == 200
        assert "ratelimit" not in response.headers
