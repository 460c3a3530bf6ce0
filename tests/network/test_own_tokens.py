"""Personal access tokens are one's own: minted right after a sign-in only; org admins list and revoke theirs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import PersonalAccessToken
from api.schema.engine.ids import encode_global_id
from api.schema.schema import schema
from tests.graphql import gql
from tests.proofs.world import build_world
from tests.recent_signin import sign_in_every_member

CREATE = """mutation { personalAccessTokenCreate(input: {name: "script", expiresInDays: 7}) {
  token personalAccessToken { id member { alias } } userErrors { code field } } }"""
TOKENS = (
    "{ personalAccessTokens(first: 100) { nodes { id name createdAt expiresAt revokedAt lastUsedAt member { id } } } }"
)
APPS = "{ partnerApps(first: 100) { nodes { id name clientId } } }"


async def _create(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(client, CREATE, token=token))["data"]["personalAccessTokenCreate"]
    return payload


async def _count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(PersonalAccessToken)) or 0)


@pytest.mark.parametrize(
    ("how", "refused"),
    [
        ("a personal access token alone", True),
        ("a sign-in 11 minutes ago", True),
        ("a partner app acting for the person", True),
        ("GraphiQL right after a sign-in", False),
    ],
)
async def test_only_a_recent_sign_in_through_graphiql_mints_a_token(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, monkeypatch: pytest.MonkeyPatch, how: str,
    refused: bool,
) -> None:  # fmt: skip
    world = await build_world(db, sealer)
    if how == "a sign-in 11 minutes ago":
        sign_in_every_member(monkeypatch, ago=timedelta(minutes=11))
    elif how == "a partner app acting for the person":
        sign_in_every_member(monkeypatch, client_id="legal-aid-portal")
    elif how.startswith("GraphiQL"):
        sign_in_every_member(monkeypatch, client_id="graphiql")
    before = await _count(db)

    payload = await _create(client, world.tokens["legal_advocate@L1"])  # any member, not only admins

    if refused:
        assert payload == {"token": None, "personalAccessToken": None,
                           "userErrors": [{"code": "RECENT_SIGNIN_REQUIRED", "field": None}]}  # fmt: skip
        assert await _count(db) == before
    else:
        assert payload["userErrors"] == []
        assert payload["token"].startswith("snt_pat_")
        assert await _count(db) == before + 1


async def test_org_admins_list_their_organizations_tokens_and_apps_members_their_own(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    pat = encode_global_id("PersonalAccessToken", world.records["PAT_A"].id)
    app = encode_global_id("PartnerApp", world.records["APP_A"].id)

    def ids(body: dict[str, Any], field: str) -> set[str]:
        return {node["id"] for node in body["data"][field]["nodes"]}

    admin_a = await gql(client, TOKENS, token=world.tokens["org_admin@A"])
    assert pat in ids(admin_a, "personalAccessTokens")
    assert len(ids(admin_a, "personalAccessTokens")) > 1  # every member of A
    assert pat not in ids(await gql(client, TOKENS, token=world.tokens["org_admin@L1"]), "personalAccessTokens")
    own = ids(await gql(client, TOKENS, token=world.tokens["accompanier@A"]), "personalAccessTokens")
    assert own == {pat}
    assert app in ids(await gql(client, APPS, token=world.tokens["org_admin@A"]), "partnerApps")
    assert ids(await gql(client, APPS, token=world.tokens["org_admin@L1"]), "partnerApps") == set()
    assert "errors" in await gql(client, APPS, token=world.tokens["accompanier@A"])  # not in its schema


def test_no_secret_or_hash_is_a_field_of_a_token_or_an_app() -> None:
    for type_name in ("PersonalAccessToken", "PartnerApp"):
        definition = schema._schema.type_map[type_name]
        names = {name.lower() for name in definition.fields}  # type: ignore[attr-defined]
        assert not any(word in name for name in names for word in ("secret", "hash", "token"))
