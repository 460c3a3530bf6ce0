"""The connection's own rules: origin, protocol, authentication at init and again while it is open, limits,
and shutdown. Close codes are exact (the protocol's and README's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from api.auth.tokens import create_personal_token, revoke_personal_token
from api.crypto import Sealer
from api.models import Member, OAuthClient, PersonalAccessToken, TrustedDocument
from api.models.enums import EventKind, OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from api.settings import Settings
from tests import factories as f
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.live import world as w
from tests.live.harness import PROTOCOL, Live, Served, open_live, serving

INCIDENTS = "subscription { incidentEvents { kind incident { id } } }"
TOKENS = "{ personalAccessTokens(first: 10) { nodes { lastUsedAt member { id } } } }"


@pytest.fixture
async def dispatcher(live_sessions: async_sessionmaker[AsyncSession]) -> tuple[Member, str]:
    async with live_sessions() as db:
        org = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
        member = await f.member(db, org, Role.RR_DISPATCHER)
        token = await f.token_for(db, member)
        await db.commit()
    return member, token


async def test_a_browser_from_another_origin_is_refused_before_the_handshake(served: Served) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(served.url, subprotocols=[PROTOCOL], origin="https://evil.example")  # type: ignore[list-item,arg-type]
    assert refused.value.response.status_code == 403
    allowed = await open_live(served.url, origin="http://127.0.0.1:8000")  # the origin of SANCTUARY_PUBLIC_URL
    await allowed.close()
    no_origin = await open_live(served.url)  # not a browser
    await no_origin.close()


async def test_the_legacy_protocol_is_refused(served: Served) -> None:
    ws = await connect(served.url, subprotocols=["graphql-ws"])  # type: ignore[list-item]
    assert await Live(ws).closed_with() == 4406


async def test_a_connection_that_never_initialises_is_closed(served: Served) -> None:
    ws = await connect(served.url, subprotocols=[PROTOCOL])  # type: ignore[list-item]
    assert await Live(ws).closed_with() == 4408


async def test_an_invalid_token_is_refused_at_init(served: Served) -> None:
    live = await open_live(served.url, "snt_pat_" + "x" * 43, ack=False)
    assert await live.closed_with() == 4401


async def test_opening_a_connection_notes_the_tokens_use(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    async with live_sessions() as db:
        team = await f.organization(db, OrganizationKind.RAPID_RESPONSE, region_id=(await f.region(db)).id)
        admin, dispatcher = await f.member(db, team, Role.ORG_ADMIN), await f.member(db, team, Role.RR_DISPATCHER)
        admin_token, token = await f.token_for(db, admin), await f.token_for(db, dispatcher)
        await db.commit()

    async def last_use() -> Any:  # as its organization's admin sees it (with a token of its own)
        async with httpx.AsyncClient(base_url=served.http) as client:
            nodes = (await gql(client, TOKENS, token=admin_token))["data"]["personalAccessTokens"]["nodes"]
        [used] = [node["lastUsedAt"] for node in nodes if node["member"]["id"] == gid(dispatcher)]
        return used

    assert await last_use() is None  # never used
    live = await open_live(served.url, token)
    assert await last_use() is not None  # noted by connection_init (before its ack)
    op = await live.subscribe(INCIDENTS)  # and the connection serves its viewer as before
    async with live_sessions() as db:
        await w.emit(db, EventKind.INCIDENT_REPORTED, await w.incident(db, live_sealer, team))
    assert (await live.next_for(op))["payload"]["data"]["incidentEvents"]["kind"] == "INCIDENT_REPORTED"
    await live.close()


async def test_a_revoked_token_closes_the_connection(
    served: Served, dispatcher: tuple[Member, str], live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    member, token = dispatcher
    live = await open_live(served.url, token)
    await live.subscribe(INCIDENTS)
    async with live_sessions() as db:
        token_id = await db.scalar(select(PersonalAccessToken.id).where(PersonalAccessToken.member_id == member.id))
        assert token_id is not None
        assert await revoke_personal_token(db, token_id)
        await db.commit()
    assert await live.closed_with() == 4403


async def test_a_deactivated_member_is_disconnected(
    served: Served, dispatcher: tuple[Member, str], live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    member, token = dispatcher
    live = await open_live(served.url, token)
    async with live_sessions() as db:
        await db.execute(update(Member).where(Member.id == member.id).values(active=False))
        await db.commit()
    assert await live.closed_with() == 4403


async def test_an_expired_token_closes_the_connection_with_4401(
    served: Served, dispatcher: tuple[Member, str], live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    member, _ = dispatcher
    async with live_sessions() as db:
        _row, token = await create_personal_token(db, member, name="short", lifetime=timedelta(seconds=2))
        canary(token)
        await db.commit()
    live = await open_live(served.url, token)
    await live.subscribe(INCIDENTS)
    assert await live.closed_with() == 4401


async def test_a_disabled_app_is_disconnected(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    world = await w.build(live_sessions, live_sealer)
    live = await open_live(served.url, await w.app_token(served.http, world))
    async with live_sessions() as db:
        await db.execute(
            update(OAuthClient).where(OAuthClient.client_id == world.app[0]).values(disabled_at=datetime.now(UTC))
        )
        await db.commit()
    assert await live.closed_with() == 4403


async def test_a_dispatcher_whose_region_changes_stops_receiving_it_at_the_next_event(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    async with live_sessions() as db:
        home, patch, elsewhere = (await f.region(db), await f.region(db), await f.region(db))
        team = await f.organization(db, OrganizationKind.RAPID_RESPONSE, region_id=home.id)
        member = await f.member(db, team, Role.RR_DISPATCHER, region_id=patch.id)  # its own region: patch
        token = await f.token_for(db, member)
        await db.commit()
    live = await open_live(served.url, token)
    op = await live.subscribe(INCIDENTS)
    async with live_sessions() as db:
        first = await w.incident(db, live_sealer, team, region_id=patch.id)
        await w.emit(db, EventKind.INCIDENT_REPORTED, first)
    assert (await live.next_for(op))["payload"]["data"]["incidentEvents"]["incident"]["id"] is not None
    async with live_sessions() as db:
        await db.execute(update(Member).where(Member.id == member.id).values(region_id=elsewhere.id))
        await db.commit()
        after_move = await w.incident(db, live_sealer, team, region_id=patch.id)
        await w.emit(db, EventKind.INCIDENT_REPORTED, after_move)
        marker = await w.incident(db, live_sealer, team, region_id=elsewhere.id)
        await w.emit(db, EventKind.INCIDENT_REPORTED, marker)
    received = (await live.next_for(op))["payload"]["data"]["incidentEvents"]["incident"]["id"]
    assert received == encode_global_id("RapidResponseIncident", marker.id)  # the patch's incident never came
    await live.close()


async def test_subscriptions_are_not_served_over_http(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.http) as client:
        response = await client.post("/graphql", json={"query": "subscription { broadcastAlerts { kind } }"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_OVER_HTTP"


@pytest.fixture
def narrow(live_settings: Settings) -> Settings:
    return live_settings.model_copy(
        update={"live_max_subscriptions": 2, "live_max_connections_per_member": 1, "live_max_message_bytes": 1024}
    )


async def test_limits_are_refused_with_their_codes(narrow: Settings, dispatcher: tuple[Member, str]) -> None:
    _, token = dispatcher
    with serving(narrow) as limited:
        live = await open_live(limited.url, token)
        second = await open_live(limited.url, token, ack=False)
        assert await second.closed_with() == 4429  # connections per member
        ops = [await live.subscribe(INCIDENTS) for _ in range(2)]
        third = await live.subscribe(INCIDENTS)
        refused = await live.next_for(third)
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        await live.send({"id": ops[0], "type": "subscribe", "payload": {"query": INCIDENTS}})
        assert await live.closed_with() == 4409  # an id in use
        again = await open_live(limited.url, token)
        await again.send({"type": "connection_init", "payload": {}})
        assert await again.closed_with() == 4429  # a second init
        big = await open_live(limited.url, token)
        await big.send({"type": "ping", "payload": {"pad": "x" * 2_000}})
        assert await big.closed_with() == 1009  # over the message size cap


async def test_shutdown_tells_clients_to_reconnect(live_settings: Settings) -> None:
    with serving(live_settings) as running:
        live = await open_live(running.url)
        await live.subscribe("subscription { broadcastAlerts { kind } }")
        running.server.should_exit = True  # what SIGTERM does
        assert await live.closed_with() == 1012


async def test_deactivation_disconnects_at_its_event_without_waiting_for_the_recheck(
    live_settings: Settings, dispatcher: tuple[Member, str], live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    member, token = dispatcher
    slow = live_settings.model_copy(update={"live_recheck_s": 60.0})  # longer than the client waits (WAIT_S)
    with serving(slow) as running:
        live = await open_live(running.url, token)
        async with live_sessions() as db:
            row = await db.get(Member, member.id)
            assert row is not None
            row.active = False
            await w.emit(db, EventKind.MEMBER_DEACTIVATED, row)
        assert await live.closed_with() == 4403


async def test_an_app_sending_only_trusted_documents_subscribes_by_document_id_only(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    world = await w.build(live_sessions, live_sealer)
    registered = "subscription Mine { myDispatches { kind } }"
    async with live_sessions() as db:
        app = await db.scalar(select(OAuthClient).where(OAuthClient.client_id == world.app[0]))
        assert app is not None
        app.trusted_documents_only = True
        db.add(TrustedDocument(client_id=app.id, document_hash=sha256(registered.encode()).hexdigest(),
                               document=registered, operation_names=["Mine"]))  # fmt: skip
        await db.commit()
    live = await open_live(served.url, await w.app_token(served.http, world))
    refused = [await live.next_for(await live.subscribe(text)) for text in (registered, INCIDENTS)]
    assert [m["payload"][0]["extensions"]["code"] for m in refused] == ["TRUSTED_DOCUMENTS_ONLY"] * 2
    unknown = "sha256:" + sha256(b"subscription { broadcastAlerts { kind } }").hexdigest()
    for payload in (
        {"documentId": unknown},
        {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown[7:]}}},
    ):
        await live.send({"id": "u", "type": "subscribe", "payload": payload})
        message = await live.next_for("u")
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] in {"DOCUMENT_NOT_FOUND", "PERSISTED_QUERY_NOT_FOUND"}
    await live.send(
        {
            "id": "ok",
            "type": "subscribe",
            "payload": {"documentId": "sha256:" + sha256(registered.encode()).hexdigest()},
        }
    )
    await live.sync()
    assert all(m.get("id") != "ok" for m in live.early)  # accepted: no error, no complete
    await live.close()
