"""Row rules at their edges, from the domain's roles table: belonging to the owning organization is no tie by
itself for an accompanier (its own assignments only) or an organizer (no protected person); an auditor reads the
audit log and no record, not even a public one, and lists only its own tokens."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import PersonalAccessToken
from api.models.enums import Role
from api.schema.engine.ids import encode_global_id
from tests import factories
from tests.graphql import gid, gql
from tests.proofs.world import World, build_world

NODE = "query Node($id: ID!) { node(id: $id) { id } }"
NODES = "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { id } }"


async def _node(client: httpx.AsyncClient, token: str, row: Any) -> Any:
    body = await gql(client, NODE, {"id": gid(row)}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]


async def _token(db: AsyncSession, world: World, org: str, *roles: Role) -> str:
    return await factories.token_for(db, await factories.member(db, world.orgs[org], *roles))


async def test_an_accompanier_of_the_submitting_organization_reads_no_request_it_is_not_on(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    request, person = world.records["R1"], world.records["P1"]  # submitted by L1; A's accompanier is on it
    colleague = await _token(db, world, "L1", Role.ACCOMPANIER)

    assert await _node(client, colleague, request) is None
    assert await _node(client, colleague, person) is None
    assert (await _node(client, world.tokens["accompanier@A"], request))["id"] == gid(request)


async def test_an_organizer_who_also_accompanies_reads_no_protected_person_of_its_organization(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    guest = world.records["P2"]  # the guest of A's sanctuary case
    organizer = await _token(db, world, "A", Role.ORGANIZER, Role.ACCOMPANIER)

    assert await _node(client, organizer, guest) is None
    assert (await _node(client, world.tokens["org_admin@A"], guest))["id"] == gid(guest)


@pytest.mark.parametrize("auditor", ["auditor@hub", "auditor@A"])
async def test_an_auditor_lists_its_own_tokens_and_through_them_nothing_else(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, auditor: str
) -> None:
    """domain.md: a personal access token is a person's own, and an auditor reads no record content. Its own
    tokens are its own credentials (it mints them for its scripts, and their expiry and last use are its to
    watch), not records of the network: it lists those, none of its colleagues', and reaches no member from
    them."""
    world = await build_world(db, sealer)
    own = (
        await db.scalars(
            select(PersonalAccessToken.id).where(PersonalAccessToken.member_id == world.members[auditor].id)
        )
    ).one()
    body = await gql(client, "{ personalAccessTokens(first: 100) { nodes { id name } } }", token=world.tokens[auditor])
    assert "errors" not in body, body
    assert [node["id"] for node in body["data"]["personalAccessTokens"]["nodes"]] == [
        encode_global_id("PersonalAccessToken", own)
    ]
    member = await gql(client, "{ personalAccessTokens(first: 1) { nodes { member { id } } } }",
                       token=world.tokens[auditor])  # fmt: skip
    assert [e["message"] for e in member["errors"]] == ["Cannot query field 'member' on type 'PersonalAccessToken'."]


@pytest.mark.parametrize("auditor", ["auditor@hub", "auditor@A"])
async def test_an_auditor_reads_no_record_not_even_a_public_one(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, auditor: str
) -> None:
    world = await build_world(db, sealer)
    names = ["I3", "AV1", "I1", "C1", "P1", "R1"]  # a public alert, a public action, then records with content
    ids = [gid(world.records[name]) for name in names]

    body = await gql(client, NODES, {"ids": ids}, token=world.tokens[auditor])

    assert "errors" not in body, body
    assert body["data"] == {"nodes": [None] * len(names)}
