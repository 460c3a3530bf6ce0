"""Keyset pagination: stable, complete, in both directions, on every connection, with sealed cursors bound to
their connection and ordering; and incremental sync by update time."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Kek, Sealer, generate_master_key
from api.models import Congregation
from api.models.enums import Role
from api.schema.engine import relay
from api.schema.engine.errors import BadRequestError
from api.schema.engine.ids import decode_cursor, encode_cursor
from api.schema.schema import schema
from tests import factories as f
from tests.graphql import gql
from tests.proofs.world import build_world

PAGE = """query($first: Int, $after: String, $last: Int, $before: String, $order: ConnectionOrder!, $since: DateTime) {
  congregations(first: $first, after: $after, last: $last, before: $before, orderBy: $order, updatedSince: $since) {
    edges { cursor node { publicName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def _walk(client: httpx.AsyncClient, forward: bool, **variables: Any) -> list[str]:
    names: list[str] = []
    cursor = None
    while True:
        args = {"first": 3, "after": cursor} if forward else {"last": 3, "before": cursor}
        body = await gql(client, PAGE, {"order": "CREATED_AT", **variables, **args})
        page = body["data"]["congregations"]
        batch = [edge["node"]["publicName"] for edge in page["edges"]]
        names = names + batch if forward else batch + names
        info = page["pageInfo"]
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            return names
        cursor = info["endCursor"] if forward else info["startCursor"]


async def test_walks_every_row_once_forward_and_backward(client: httpx.AsyncClient, db: AsyncSession) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    created = []
    for i in range(10):
        row = await f.congregation(db, public_name=f"C{i:02d}")
        # two rows share each timestamp: ties must be broken by id
        await db.execute(
            update(Congregation).where(Congregation.id == row.id).values(created_at=base + timedelta(i // 2))
        )
        created.append(row)
    await db.commit()

    forward = await _walk(client, forward=True)
    backward = await _walk(client, forward=False)

    assert sorted(forward) == sorted(c.public_name for c in created)
    assert forward == backward
    assert len(set(forward)) == 10


async def test_updated_since_with_update_order_returns_changes_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    old = await f.congregation(db, public_name="Unchanged")
    changed = await f.congregation(db, public_name="Changed")
    await db.execute(
        update(Congregation).where(Congregation.id == old.id).values(updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    )
    await db.execute(
        update(Congregation).where(Congregation.id == changed.id).values(updated_at=datetime(2030, 1, 1, tzinfo=UTC))
    )
    token = await f.token_for(db, await f.member(db, await f.organization(db), Role.ORG_ADMIN))
    await db.commit()

    body = await gql(client, PAGE, {"first": 100, "order": "UPDATED_AT", "since": "2029-12-31T00:00:00Z"}, token=token)

    assert [e["node"]["publicName"] for e in body["data"]["congregations"]["edges"]] == ["Changed"]


async def test_cursors_selected_through_fragments_are_real(client: httpx.AsyncClient, db: AsyncSession) -> None:
    for i in range(3):
        await f.congregation(db, public_name=f"F{i}")
    await db.commit()
    query = """fragment E on CongregationEdge { cursor }
      { congregations(first: 3) { edges { ...E node { publicName } } } }"""

    edges = (await gql(client, query))["data"]["congregations"]["edges"]

    assert all(edge["cursor"] for edge in edges)
    after = await gql(client, "query($c: String) { congregations(first: 1, after: $c) { nodes { publicName } } }",
                      {"c": edges[1]["cursor"]})  # fmt: skip
    assert after["data"]["congregations"]["nodes"] == [{"publicName": edges[2]["node"]["publicName"]}]


async def test_unfiltered_pages_reuse_one_statement_and_filtered_ones_are_not_kept(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for _ in range(3):
        await f.congregation(db)
    document = "query($c: [Commitment!]) { congregations(first: 2, commitment: $c) { edges { node { id } } } }"
    assert "errors" not in await gql(client, document)  # the statement of this page shape is kept
    kept, hits = relay._keyset.cache_info().currsize, relay._keyset.cache_info().hits
    assert "errors" not in await gql(client, document)
    assert relay._keyset.cache_info().hits == hits + 1  # the same statement object, its cache key known
    for _ in range(3):  # a filter's values are the request's own: such statements are built, not kept
        assert "errors" not in await gql(client, document, {"c": ["HOST"]})
    assert relay._keyset.cache_info().currsize == kept


# Every connection of the schema, with a viewer of tests/proofs/world.py that reads some of its rows.
CONNECTIONS = {
    "regions": "org_admin@A", "organizations": "org_admin@A", "congregations": "org_admin@A",
    "members": "org_admin@A", "persons": "legal_advocate@L1", "sanctuaryCases": "sanctuary_coordinator@A",
    "hospitalityShifts": "sanctuary_coordinator@A", "accompanimentRequests": "legal_advocate@L1",
    "rapidResponseIncidents": "rr_dispatcher@RR", "broadcastAlerts": "anonymous", "advocacyActions": "anonymous",
    "auditEvents": "auditor+organizer@CG",  # an auditor alone has no other connection to try a cursor on
    "personalAccessTokens": "org_admin@A", "partnerApps": "org_admin@A",
    "webhookEndpoints": "org_admin@A",
}  # fmt: skip


def test_every_connection_is_walked() -> None:
    query_type = schema._schema.query_type
    assert query_type is not None
    names = {name for name, field in query_type.fields.items() if str(field.type).endswith("Connection!")}
    assert names == set(CONNECTIONS)


async def _page(
    client: httpx.AsyncClient, token: str | None, connection: str, arguments: str, cursor: str | None = None
) -> dict[str, Any]:
    node = "occurredAt" if connection == "auditEvents" else "id"
    body = await gql(client, f"query($c: String) {{ {connection}({arguments}) {{ nodes {{ {node} }} "
                     "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }", {"c": cursor}, token=token)  # fmt: skip
    assert "errors" not in body, body["errors"]
    page: dict[str, Any] = body["data"][connection]
    return page


async def _pages(client: httpx.AsyncClient, token: str | None, connection: str, order: str, forward: bool) -> list[Any]:
    seen: list[Any] = []
    cursor: str | None = None
    while True:
        position = "first: 1, after: $c" if forward else "last: 1, before: $c"
        page = await _page(client, token, connection, position + order, cursor)
        seen = seen + page["nodes"] if forward else page["nodes"] + seen
        if not page["pageInfo"]["hasNextPage" if forward else "hasPreviousPage"]:
            assert len(seen) < 100
            return seen
        cursor = page["pageInfo"]["endCursor" if forward else "startCursor"]


@pytest.mark.parametrize("name", CONNECTIONS)
async def test_every_connection_pages_with_sealed_cursors_bound_to_it(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, name: str
) -> None:
    world = await build_world(db, sealer)
    token = world.tokens.get(CONNECTIONS[name])
    orders = [""] if name in ("auditEvents", "broadcastAlerts") else [", orderBy: CREATED_AT", ", orderBy: UPDATED_AT"]
    for order in orders:
        everything = (await _page(client, token, name, "first: 100, after: $c" + order))["nodes"]
        assert everything, name
        assert await _pages(client, token, name, order, forward=True) == everything
        if name != "auditEvents":  # the audit log pages forward only, newest first
            assert await _pages(client, token, name, order, forward=False) == everything
    cursor = (await _page(client, token, name, "first: 1, after: $c"))["pageInfo"]["endCursor"]
    other = "advocacyActions" if name == "congregations" else "congregations"
    body = await gql(client, f"query($c: String) {{ {other}(first: 1, after: $c) {{ nodes {{ id }} }} }}",
                     {"c": cursor}, token=token)  # fmt: skip
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_CURSOR"]
    assert cursor not in orjson.dumps(body).decode()


CURSORS = """query($c: String) { congregations(first: 2, after: $c) { edges { cursor node { id } } } }"""


async def test_a_cursor_reveals_neither_the_time_nor_the_id_of_its_row(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    row = await f.congregation(db, public_declaration=True)
    created = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    await db.execute(update(Congregation).where(Congregation.id == row.id).values(created_at=created))
    await db.commit()
    cursors = [(await gql(client, CURSORS))["data"]["congregations"]["edges"][0]["cursor"] for _ in range(2)]

    assert cursors[0] != cursors[1]  # sealed with a fresh nonce: equal positions do not even compare equal
    micros = int((created - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
    clear = [row.id.bytes, str(row.id).encode(), row.id.hex.encode(), created.isoformat().encode(), b"2026",
             micros.to_bytes(8, "big"), int(created.timestamp()).to_bytes(4, "big"), b"congregations"]  # fmt: skip
    for cursor in cursors:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        assert [part for part in clear if part in raw or part in cursor.encode()] == []


async def test_a_cursor_with_any_bit_flipped_is_refused_without_being_quoted(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    for _ in range(3):
        await f.congregation(db, public_declaration=True)
    await db.commit()
    cursor = (await gql(client, CURSORS))["data"]["congregations"]["edges"][0]["cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    accepted = []
    for index in range(len(raw)):
        flipped = bytearray(raw)
        flipped[index] ^= 0x01
        forged = base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("=")
        body = await gql(client, CURSORS, {"c": forged})
        if "errors" not in body:
            accepted.append(index)
            continue
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_CURSOR"]
        assert forged not in orjson.dumps(body).decode()
    assert accepted == []


def test_instances_sharing_the_key_encryption_key_read_each_others_cursors_and_no_other() -> None:
    kek, other = Kek.from_text(generate_master_key()), Kek.from_text(generate_master_key())
    when, record_id = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor(Sealer([kek]).cursor_keys, "persons:CREATED_AT", when, record_id)
    for reader in (Sealer([kek]), Sealer([other, kek])):  # another instance; one already rotating to a new key
        assert decode_cursor(reader.cursor_keys, "persons:CREATED_AT", cursor) == (when, record_id)
    with pytest.raises(BadRequestError, match="not issued by this API"):
        decode_cursor(Sealer([other]).cursor_keys, "persons:CREATED_AT", cursor)
    with pytest.raises(BadRequestError, match="another connection or ordering"):
        decode_cursor(Sealer([kek]).cursor_keys, "persons:UPDATED_AT", cursor)


def test_an_instance_rotating_its_key_encryption_key_seals_cursors_the_new_key_alone_reads() -> None:
    new, old = Kek.from_text(generate_master_key()), Kek.from_text(generate_master_key())
    when, record_id = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor(Sealer([new, old]).cursor_keys, "persons:CREATED_AT", when, record_id)
    assert decode_cursor(Sealer([new]).cursor_keys, "persons:CREATED_AT", cursor) == (when, record_id)
