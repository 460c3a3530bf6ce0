"""Bad input gets a clear GraphQL error: never a 500, a stack trace or SQL text."""

from __future__ import annotations

import base64
import uuid

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.models.enums import OrganizationKind, Role
from api.schema.engine.ids import decode_global_id, encode_global_id
from tests import factories as f
from tests.graphql import error_codes, gql

CASES = [
    ('{ node(id: "not-an-id!") { id } }', "INVALID_ID"),
    ('{ node(id: "Zm9vOmJhcg") { id } }', "INVALID_ID"),  # "foo:bar"
    ("{ congregations(first: 100000) { nodes { id } } }", "PAGE_SIZE_OUT_OF_RANGE"),
    ("{ congregations(first: 0) { nodes { id } } }", "PAGE_SIZE_OUT_OF_RANGE"),
    ("{ congregations { nodes { id } } }", "PAGE_SIZE_REQUIRED"),
    ("{ congregations(first: 5, last: 5) { nodes { id } } }", "PAGE_SIZE_REQUIRED"),
    ('{ congregations(first: 5, after: "garbage") { nodes { id } } }', "INVALID_CURSOR"),
    ('{ congregations(first: 5, before: "x") { nodes { id } } }', "INVALID_CURSOR"),
    ('{ congregations(first: 5, region: "bm9wZQ") { nodes { id } } }', "INVALID_ID"),
]


@pytest.mark.parametrize(("query", "code"), CASES)
async def test_malformed_arguments_are_client_errors(client: httpx.AsyncClient, query: str, code: str) -> None:
    body = await gql(client, query)
    assert error_codes(body) == [code]
    assert body["data"] is None or all(v is None for v in body["data"].values())
    text = orjson.dumps(body).decode()
    assert "Traceback" not in text
    assert "SELECT" not in text


async def test_cursor_from_another_connection_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    await f.congregation(db)
    member = await f.member(db, await f.organization(db, OrganizationKind.LEGAL_AID), Role.LEGAL_ADVOCATE)
    token = await f.token_for(db, member)
    await db.commit()
    page = await gql(client, "{ organizations(first: 1) { pageInfo { endCursor } } }", token=token)
    cursor = page["data"]["organizations"]["pageInfo"]["endCursor"]

    body = await gql(
        client, "query($c: String) { congregations(first: 1, after: $c) { nodes { id } } }", {"c": cursor}, token=token
    )
    assert error_codes(body) == ["INVALID_CURSOR"]
    other_order = await gql(
        client, "query($c: String) { organizations(first: 1, after: $c, orderBy: UPDATED_AT) { nodes { id } } }",
        {"c": cursor}, token=token,
    )  # fmt: skip
    assert error_codes(other_order) == ["INVALID_CURSOR"]


async def test_forged_well_formed_cursor_is_refused(client: httpx.AsyncClient) -> None:
    forged = base64.urlsafe_b64encode(orjson.dumps(["congregations:CREATED_AT", "yesterday", "x"])).decode()
    body = await gql(client, "query($c: String) { congregations(first: 1, after: $c) { nodes { id } } }", {"c": forged})
    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_unknown_but_well_formed_id_is_null(client: httpx.AsyncClient) -> None:
    unknown = base64.urlsafe_b64encode(b"Congregation:00000000-0000-4000-8000-000000000000").decode()
    body = await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": unknown})
    assert body == {"data": {"node": None}, "extensions": {"cost": {"requested": 1, "actual": 0}}}


async def test_invalid_variable_value_is_not_echoed(client: httpx.AsyncClient) -> None:
    body = await gql(client, "query($n: Int) { congregations(first: $n) { nodes { id } } }", {"n": "secret-value-42"})
    assert body["errors"]
    assert "secret-value-42" not in orjson.dumps(body).decode()


async def test_too_many_node_ids_is_refused(client: httpx.AsyncClient) -> None:
    ids = [base64.urlsafe_b64encode(f"Region:{uuid.uuid4()}".encode()).decode() for _ in range(101)]
    body = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert error_codes(body) == ["TOO_MANY_IDS"]


async def test_updated_since_needs_an_offset(client: httpx.AsyncClient) -> None:
    body = await gql(client, '{ congregations(first: 1, updatedSince: "2026-01-01T00:00:00") { nodes { id } } }')
    assert error_codes(body) == ["INVALID_DATE"]


@pytest.mark.parametrize("type_name", ["X", "Ab", "Region", "Congregation", "AccompanimentRequest"])
def test_global_ids_are_unpadded_base64url_of_type_and_uuid_and_read_back(type_name: str) -> None:
    for _ in range(50):  # every padding length and both url-safe characters turn up
        record_id = uuid.uuid4()
        opaque = encode_global_id(type_name, record_id)
        assert opaque == base64.urlsafe_b64encode(f"{type_name}:{record_id}".encode()).decode().rstrip("=")
        assert decode_global_id(opaque) == (type_name, record_id)
