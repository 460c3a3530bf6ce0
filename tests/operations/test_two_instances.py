"""Two instances of the service behind a real nginx on loopback behave as one: rate-limit buckets, revocation
and events hold across them, and the caller's address is the one the trusted proxy saw.

nginx comes from Debian (``apt-get install -y nginx``); without it these tests skip, unless
``SANCTUARY_REQUIRE_PROXY=1`` (``.ci/run``), which makes them fail instead. See ``tests/operations/proxy.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.auth.clients import create_client
from api.auth.tokens import create_personal_token
from api.crypto import generate_master_key
from api.db import create_engine, session_factory
from api.events.horizon import Horizon
from api.models import Organization, PersonalAccessToken
from api.models.enums import OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from api.services.shared import events
from tests import factories as f
from tests.canaries import CANARIES
from tests.database import MigratedTemplate
from tests.graphql import gid
from tests.live.harness import open_live
from tests.operations.proxy import PROXY_ADDRESS, Deployment, deployment, nginx_binary
from tests.rapid_response import factories as rr
from tests.rapid_response.test_workflow_rapid_response import _report
from tests.workflow import Actor, actor, document

REQUIRED = os.environ.get("SANCTUARY_REQUIRE_PROXY") == "1"
MEMBER = {"points": 20, "window_s": 86_400}  # reads stop at 5 points left (reserve 0.25): 15 reads
ANONYMOUS = {"points": 300, "window_s": 86_400}  # per address: 225 reads
PLENTY = {"points": 100_000, "window_s": 60}
LIMITS = {
    "member": MEMBER, "anonymous": ANONYMOUS, "app": PLENTY, "token_address": PLENTY, "token_client": PLENTY,
    "reserve": 0.25, "in_flight": 64, "trusted_proxies": [PROXY_ADDRESS],
}  # fmt: skip
MEMBER_READ = "{ organizations(first: 1) { nodes { id } } }"
PUBLIC_READ = "{ congregations(first: 1) { nodes { id } } }"
REPORT = document("incidentReport", "incident { id }")
INCIDENT_EVENTS = "subscription($after: String) { incidentEvents(after: $after) { eventId kind incident { id } } }"
LIMIT = re.compile(r'^"(\w+)";r=(\d+);t=(\d+)$')
BAD_TOKEN = "snt_pat_" + "0" * 43
LOOP, FLOODS = 2000, 8


@dataclass
class Deployed:
    """The two instances behind nginx, and a committed database to arrange their data in."""

    running: Deployment
    sessions: async_sessionmaker[AsyncSession]
    engine: AsyncEngine
    secrets: list[str] = field(default_factory=list)

    async def actor(self, kind: OrganizationKind, *roles: Role) -> tuple[Actor, Any]:
        """A member with ``roles`` in a new organization of ``kind``, its token, and the token's row."""
        async with self.sessions() as session:
            org = await f.organization(session, kind)
            member = await f.member(session, org, *roles)
            row, token = await create_personal_token(session, member, name="test", lifetime=timedelta(hours=1))
            await session.commit()
        self.secrets.append(token)
        return Actor(member, token), row


@pytest.fixture(scope="module")
async def deployed(template: MigratedTemplate, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Deployed]:
    if nginx_binary() is None:
        reason = "nginx is not installed (apt-get install -y nginx): two instances need a real reverse proxy"
        if REQUIRED:
            pytest.fail(f"{reason}, and SANCTUARY_REQUIRE_PROXY=1 requires this test", pytrace=False)
        pytest.skip(reason)
    tmp: Path = tmp_path_factory.mktemp("two-instances")
    key = generate_master_key()  # both instances share it, and the signing keys it seals in the database
    async with template.copy() as url:
        engine = create_engine(url, pool_size=3)
        try:
            environment = {
                "DATABASE_URL": url, "SANCTUARY_MASTER_KEY": key, "SANCTUARY_RATE_LIMITS": json.dumps(LIMITS),
                "SANCTUARY_DATA_DIR": str(tmp / "data"), "SANCTUARY_PURGE_INTERVAL_MINUTES": "0",
            }  # fmt: skip
            async with deployment(tmp, environment) as running:
                found = Deployed(running, session_factory(engine), engine)
                yield found
                logs = running.log_text()
            leaked = sum(1 for value in [*found.secrets, *CANARIES] if value in logs)  # (the count, never the values)
            assert leaked == 0, f"{leaked} secrets or sensitive values appeared in the instances' or nginx's output"
        finally:
            await engine.dispose()


async def _post(client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


def _remaining(response: httpx.Response, policy: str) -> int:
    """The points left for reads that the response's RateLimit field reports for ``policy``."""
    match = LIMIT.match(response.headers["ratelimit"])
    assert match is not None, response.headers["ratelimit"]
    assert match.group(1) == policy
    return int(match.group(2))


def _assert_refused(response: httpx.Response, policy: str, limits: dict[str, int]) -> None:
    """A 429 of ``policy`` with nothing left, and a Retry-After of at most one point's refill."""
    assert response.status_code == 429, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert _remaining(response, policy) == 0
    assert response.headers["ratelimit-policy"] == f'"{policy}";q={limits["points"]};w={limits["window_s"]}'
    assert 1 <= int(response.headers["retry-after"]) <= limits["window_s"] / limits["points"]


async def test_a_members_bucket_is_one_bucket_across_both_instances(deployed: Deployed) -> None:
    who, _ = await deployed.actor(OrganizationKind.LEGAL_AID, Role.LEGAL_ADVOCATE)
    upstreams, remaining = set(), []
    async with deployed.running.client("127.0.0.2") as client:
        for _ in range(15):
            response = await _post(client, MEMBER_READ, who.token)
            assert response.status_code == 200, response.text
            upstreams.add(response.headers["x-test-upstream"])
            remaining.append(_remaining(response, "member"))
        assert upstreams == {url.removeprefix("http://") for url in deployed.running.instances}  # round robin
        assert remaining == list(range(14, -1, -1))  # one count, whichever instance served
        _assert_refused(await _post(client, MEMBER_READ, who.token), "member", MEMBER)
    for url in deployed.running.instances:  # each instance, asked directly, sees the spent bucket
        async with deployed.running.client("127.0.0.2", url) as direct:
            _assert_refused(await _post(direct, MEMBER_READ, who.token), "member", MEMBER)


async def test_the_callers_address_is_the_one_the_trusted_proxy_saw(deployed: Deployed) -> None:
    running = deployed.running
    async with running.client("127.0.0.3") as caller, running.client("127.0.0.4") as other:
        assert _remaining(await _post(caller, PUBLIC_READ), "anonymous") == 224
        forged = await caller.post("/graphql", json={"query": PUBLIC_READ}, headers={"X-Forwarded-For": "127.0.0.33"})
        assert _remaining(forged, "anonymous") == 223  # nginx appended the real address: still the caller's bucket
        assert _remaining(await _post(other, PUBLIC_READ), "anonymous") == 224  # not nginx's one bucket for all
    for url in running.instances:  # straight to an instance from loopback: its X-Forwarded-For is not believed
        async with running.client("127.0.0.1", url) as direct:
            response = await direct.post(
                "/graphql", json={"query": PUBLIC_READ}, headers={"X-Forwarded-For": "127.0.0.44"}
            )
            assert response.status_code == 200
    async with running.client("127.0.0.44") as named, running.client("127.0.0.33") as forged_one:
        assert _remaining(await _post(named, PUBLIC_READ), "anonymous") == 224  # never spent by the forgeries
        assert _remaining(await _post(forged_one, PUBLIC_READ), "anonymous") == 224


async def test_a_personal_token_revoked_on_one_instance_is_refused_by_the_other(deployed: Deployed) -> None:
    who, row = await deployed.actor(OrganizationKind.LEGAL_AID, Role.LEGAL_ADVOCATE)
    admin = await _admin_of(deployed, who)
    first, second = deployed.running.instances
    async with deployed.running.client("127.0.0.5", first) as one, deployed.running.client("127.0.0.5", second) as two:
        for client in (one, two):
            assert (await _post(client, MEMBER_READ, who.token)).status_code == 200
        revoke = document("personalAccessTokenRevoke", "personalAccessToken { id }")
        done = await _post(one, revoke, admin.token, input={"id": encode_global_id("PersonalAccessToken", row.id)})
        assert done.status_code == 200, done.text
        assert done.json()["data"]["personalAccessTokenRevoke"]["userErrors"] == []
        refused = await _post(two, MEMBER_READ, who.token)  # the other instance, the very next request
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await _post(one, MEMBER_READ, who.token)).status_code == 401


async def _admin_of(deployed: Deployed, who: Actor) -> Actor:
    async with deployed.sessions() as session:
        org = await session.get_one(Organization, who.member.organization_id)
        admin = await f.member(session, org, Role.ORG_ADMIN)
        _row, token = await create_personal_token(session, admin, name="admin", lifetime=timedelta(hours=1))
        await session.commit()
    deployed.secrets.append(token)
    return Actor(admin, token)


async def test_an_access_token_revoked_on_one_instance_is_refused_by_the_other(deployed: Deployed) -> None:
    async with deployed.sessions() as session:
        org = await f.organization(session, OrganizationKind.LEGAL_AID)
        app, secret = await create_client(session, org, name="Partner", scopes=["read"], max_roles=["LEGAL_ADVOCATE"])
        await session.commit()
    deployed.secrets.append(secret)
    first, second = deployed.running.instances
    async with deployed.running.client("127.0.0.8", first) as one, deployed.running.client("127.0.0.8", second) as two:
        issued = await one.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(app.client_id, secret))
        assert issued.status_code == 200, issued.text
        token = issued.json()["access_token"]
        deployed.secrets.append(token)
        assert (await _post(two, MEMBER_READ, token)).status_code == 200  # signed by one, verified by the other
        revoked = await two.post("/oauth/revoke", data={"token": token}, auth=(app.client_id, secret))
        assert revoked.status_code == 200
        refused = await _post(one, MEMBER_READ, token)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_events_written_through_either_instance_reach_subscribers_of_both(deployed: Deployed) -> None:
    async with deployed.sessions() as session:
        crew = await rr.team(session, name=f"Two instances {uuid.uuid4().hex[:6]}")
        watcher = await actor(session, crew.org, Role.RR_DISPATCHER)  # subscribes; crew.dispatcher reports
        row = await session.scalar(select(PersonalAccessToken).where(PersonalAccessToken.member_id == watcher.id))
        await session.commit()
        after = Horizon(await events.last_id(session)).cursor()  # none missed, however late a subscription starts
    deployed.secrets += [crew.dispatcher.token, crew.responder.token, watcher.token]
    proxied = deployed.running.proxy.replace("http://", "ws://") + "/graphql"
    subscribers = [await open_live(proxied, watcher.token) for _ in range(2)]  # nginx: one to each instance
    try:
        served = {live.ws.response.headers["x-test-upstream"] for live in subscribers}  # type: ignore[union-attr]
        assert served == {url.removeprefix("http://") for url in deployed.running.instances}
        for live in subscribers:
            await live.subscribe(INCIDENT_EVENTS, {"after": after})
        reported = []
        for url in deployed.running.instances:  # one report written through each instance
            async with deployed.running.client("127.0.0.9", url) as client:
                response = await _post(client, REPORT, crew.dispatcher.token, input=_report(crew))
                assert response.status_code == 200, response.text
                reported.append(response.json()["data"]["incidentReport"]["incident"]["id"])
        for live in subscribers:  # each subscriber, on either instance, receives both
            received = [(await live.receive())["payload"]["data"]["incidentEvents"] for _ in reported]
            assert [event["incident"]["id"] for event in received] == reported
            assert {event["kind"] for event in received} == {"INCIDENT_REPORTED"}
        admin = await _admin_of(deployed, watcher)  # the watcher's token revoked through the first instance:
        async with deployed.running.client("127.0.0.9", deployed.running.instances[0]) as client:
            revoke = document("personalAccessTokenRevoke", "personalAccessToken { id }")
            done = await _post(client, revoke, admin.token, input={"id": gid(row)})
            assert done.json()["data"]["personalAccessTokenRevoke"]["userErrors"] == []
        for live in subscribers:  # both live connections, on either instance, are closed at their next check
            assert await live.closed_with() == 4403
    finally:
        for live in subscribers:
            await live.close()


async def test_2000_requests_meet_429s_while_raid_reports_still_succeed(deployed: Deployed) -> None:
    async with deployed.sessions() as session:
        crew = await rr.team(session, name=f"Loop {uuid.uuid4().hex[:6]}")
        await session.commit()
    deployed.secrets += [crew.dispatcher.token, crew.responder.token]
    statuses: list[int] = []

    async def flood(caller: httpx.AsyncClient, token: str | None) -> None:
        for _ in range(LOOP // FLOODS):
            response = await _post(caller, PUBLIC_READ, token)
            statuses.append(response.status_code)
            if response.status_code == 429:
                _assert_refused(response, "anonymous", ANONYMOUS)

    async with deployed.running.client("127.0.0.6") as caller, deployed.running.client("127.0.0.7") as hotline:
        while (await _post(hotline, MEMBER_READ, crew.dispatcher.token)).status_code == 200:
            pass  # the dispatcher's reads are spent down to the reserve
        # one caller's address, anonymous and with a bad token (both pay from the address's bucket), several
        # requests in flight at once (fewer than the in-flight cap) so that the loop takes seconds, not minutes
        floods = [asyncio.create_task(flood(caller, None if i % 2 else BAD_TOKEN)) for i in range(FLOODS)]
        for _ in range(4):  # raid reports meanwhile, from the reserve that reads cannot spend
            reported = await _post(hotline, REPORT, crew.dispatcher.token, input=_report(crew))
            assert reported.status_code == 200, reported.text
            assert reported.json()["data"]["incidentReport"]["userErrors"] == []
            await asyncio.sleep(0.5)
        await asyncio.gather(*floods)
    assert len(statuses) == LOOP
    assert statuses.count(429) == LOOP - 225  # 225 reads (300 points, 75 kept in reserve), the rest refused
    assert set(statuses) == {200, 401, 429}  # anonymous reads served, bad tokens refused, until the bucket ran dry
