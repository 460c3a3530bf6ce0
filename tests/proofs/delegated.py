"""The access matrix through a partner frontend acting for a member: a real delegated token (authorization code
+ PKCE, consent, exchange) of an app whose ceiling covers the member's roles, and every cell observed in a few
aliased documents, to compare with what the member's own token observed."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Member, Organization
from api.schema.engine.ids import encode_global_id
from tests.graphql import gql
from tests.oauth.flows import browser, partner_app, tokens_for

CHUNK = 25  # aliases per document (the limit is 30)
SCHEMA = "{ __schema { types { name fields { name } } mutationType { fields { name } } } }"


async def delegated_token(app: object, db: AsyncSession, member: Member) -> str:
    """An access token a partner frontend of the member's organization (ceiling: the member's roles) obtained for
    them through the authorization code flow."""
    organization = await db.get_one(Organization, member.organization_id)
    row, _secret = await partner_app(db, organization, list(member.roles), scopes=["read"])
    async with browser(app) as person:
        token = await tokens_for(db, person, member, row.client_id)
    return str(token["access_token"])


async def schema_of(client: httpx.AsyncClient, token: str) -> Any:
    """The schema a token sees (types, fields, mutations): what decides the matrix's X cells."""
    body = await gql(client, SCHEMA, token=token)
    assert "errors" not in body, body
    return body["data"]


async def observe_all(client: httpx.AsyncClient, token: str, cells: list[tuple[str, Any, str]]) -> list[Any]:
    """Each (type, record, field) cell's outcome (V with its value, W, A, or NULL), as the matrix reads it."""
    outcomes: list[Any] = []
    for start in range(0, len(cells), CHUNK):
        chunk = cells[start : start + CHUNK]
        variables = {
            f"id{i}": encode_global_id(type_name, record.id) for i, (type_name, record, _f) in enumerate(chunk)
        }
        selections = " ".join(
            f"c{i}: node(id: $id{i}) {{ ... on {type_name} {{ {field} }} }}"
            for i, (type_name, _record, field) in enumerate(chunk)
        )
        document = "query Cells(" + ", ".join(f"$id{i}: ID!" for i in range(len(chunk))) + ") { " + selections + " }"
        body = await gql(client, document, variables, token=token)
        assert "errors" not in body, body
        withheld = {tuple(w["path"]) for w in body.get("extensions", {}).get("withheld", [])}
        for i, (_type_name, _record, field) in enumerate(chunk):
            node = body["data"][f"c{i}"]
            if node is None:
                outcomes.append(("A", None))
            elif node[field] is None:
                outcomes.append(("W" if (f"c{i}", field) in withheld else "NULL", None))
            else:
                outcomes.append(("V", node[field]))
    return outcomes
