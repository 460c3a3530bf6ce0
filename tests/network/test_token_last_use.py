"""A personal access token's last use is written when a request is made with it: at most once a minute, as a plain
UPDATE that changes nothing else about the token, and never making two requests with one token conflict or wait."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.tokens import viewer_for_personal_token
from api.models import PersonalAccessToken
from api.models.enums import OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from tests import factories
from tests.graphql import gid, gql
from tests.workflow import Actor, actor

TOKENS = "{ personalAccessTokens(first: 100) { nodes { lastUsedAt member { id } } } }"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
REVOKE = "mutation($id: ID!) { personalAccessTokenRevoke(input: {id: $id}) { userErrors { code } } }"


async def _listed_last_use(client: httpx.AsyncClient, reader: Actor, owner: Actor) -> Any:
    nodes = (await gql(client, TOKENS, token=reader.token))["data"]["personalAccessTokens"]["nodes"]
    [last_used] = [node["lastUsedAt"] for node in nodes if node["member"]["id"] == gid(owner.member)]
    return last_used


async def _state(db: AsyncSession, member_id: uuid.UUID) -> Any:
    columns = (PersonalAccessToken.last_used_at, PersonalAccessToken.version, PersonalAccessToken.updated_at)
    return (await db.execute(select(*columns).where(PersonalAccessToken.member_id == member_id))).one()


async def test_a_tokens_last_use_appears_in_the_listing_once_it_is_used(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    admin, advocate = await actor(db, org, Role.ORG_ADMIN), await actor(db, org, Role.LEGAL_ADVOCATE)
    await db.commit()
    assert await _listed_last_use(client, admin, advocate) is None  # never used

    await gql(client, "{ __typename }", token=advocate.token)

    used = await _listed_last_use(client, admin, advocate)
    assert used is not None
    assert await _listed_last_use(client, advocate, advocate) == used  # its own listing says the same


async def test_use_is_written_at_most_once_a_minute_and_changes_nothing_else(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    advocate = await actor(db, org, Role.LEGAL_ADVOCATE)
    stale = update(PersonalAccessToken).where(PersonalAccessToken.member_id == advocate.id)
    await db.execute(stale.values(updated_at=LONG_AGO))  # (this transaction's now() is the row's creation time)
    await db.commit()

    await gql(client, "{ __typename }", token=advocate.token)
    first = await _state(db, advocate.id)
    assert first.last_used_at is not None
    assert (first.version, first.updated_at) == (1, LONG_AGO)  # not a change of the token
    noted = first.last_used_at

    await db.execute(stale.values(last_used_at=noted.replace(microsecond=0)))  # within the minute: kept
    await gql(client, "{ __typename }", token=advocate.token)
    assert (await _state(db, advocate.id)).last_used_at == noted.replace(microsecond=0)

    await db.execute(stale.values(last_used_at=LONG_AGO))  # due again
    await gql(client, "{ __typename }", token=advocate.token)
    assert (await _state(db, advocate.id)).last_used_at == noted


async def test_two_requests_with_one_token_at_once_both_succeed(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with live_sessions() as db:
        admin = await actor(db, await factories.organization(db, OrganizationKind.LEGAL_AID), Role.ORG_ADMIN)
        await db.commit()
    headers = {"Authorization": f"Bearer {admin.token}"}
    nowhere = {"id": encode_global_id("PersonalAccessToken", uuid.uuid4())}
    requests = [{"query": "{ __typename }"}, {"query": REVOKE, "variables": nowhere}]  # a read, and a write (its own
    # transaction, holding the token's row from its note of the use until it commits)
    responses = await asyncio.gather(*(live_client.post("/graphql", json=body, headers=headers) for body in requests))

    assert [(r.status_code, "errors" in r.json()) for r in responses] == [(200, False), (200, False)]
    async with live_sessions() as db:
        token = (await db.scalars(select(PersonalAccessToken).where(PersonalAccessToken.member_id == admin.id))).one()
        assert (token.last_used_at is not None, token.version) == (True, 1)
        token.name = "renamed"  # a versioned write still finds the version it read
        await db.commit()


async def test_noting_a_use_never_waits_for_another_request_holding_the_token(
    live_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with live_sessions() as db:
        advocate = await actor(db, await factories.organization(db, OrganizationKind.LEGAL_AID), Role.LEGAL_ADVOCATE)
        await db.commit()
    async with live_sessions() as first, live_sessions() as second:
        assert await viewer_for_personal_token(first, advocate.token, note_use=True) is not None  # holds the row
        await second.execute(text("SET LOCAL lock_timeout = '10s'"))  # waiting for it would fail, not hang
        assert await viewer_for_personal_token(second, advocate.token, note_use=True) is not None
        await second.commit()
        await first.commit()
    async with live_sessions() as db:
        state = await _state(db, advocate.id)
    assert (state.last_used_at is not None, state.version) == (True, 1)
