"""Keyset pagination: stable, complete, in both directions, and incremental sync by update time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Congregation
from api.schema import relay
from tests import factories as f
from tests.graphql import gql

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
    await db.commit()

    body = await gql(client, PAGE, {"first": 100, "order": "UPDATED_AT", "since": "2029-12-31T00:00:00Z"})

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
