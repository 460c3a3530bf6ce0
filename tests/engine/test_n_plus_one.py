"""Nested reads run a bounded number of SQL statements, whatever the page size."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from api.crypto import Sealer
from api.models import Organization
from api.models.enums import OrganizationKind, Role
from tests import factories as f
from tests.conftest import StatementCounter
from tests.graphql import gid, gql

NESTED = """{ accompanimentRequests(first: 100) { edges { node {
  id kind place notes
  person { preferredName legalName }
  congregation { publicName organization { name region { name } } }
  assignments(first: 5) { role member { alias trainings(first: 5) { kind } } }
} } } }"""


async def _seed(db: AsyncSession, sealer: Sealer, count: int) -> str:
    legal = await f.organization(db, OrganizationKind.LEGAL_AID)
    host = await f.congregation(db)
    volunteer = await f.member(db, await db.get_one(Organization, host.organization_id), Role.ACCOMPANIER)
    for i in range(count):
        guest = await f.person(db, sealer, legal, legal_name=f"Guest {i}")
        request = await f.accompaniment_request(db, sealer, legal, guest, congregation_id=host.id, notes=f"note {i}")
        await f.assignment(db, request, volunteer)
    token = await f.token_for(db, await f.member(db, legal, Role.LEGAL_ADVOCATE))
    await db.commit()
    return token


async def _count(client: httpx.AsyncClient, counter: StatementCounter, token: str) -> tuple[int, int]:
    before = counter.count
    body = await gql(client, NESTED, token=token)
    assert "errors" not in body
    return len(body["data"]["accompanimentRequests"]["edges"]), counter.count - before


async def test_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter
) -> None:
    token = await _seed(db, sealer, 100)
    rows, statements = await _count(client, count_statements, token)
    assert rows == 100
    # token lookup, page, person, congregation, assignments, organization, member, region, trainings,
    # audit insert (+ savepoint bookkeeping of the test harness): one per nesting level, not per row
    print(f"{statements} statements for {rows} requests")
    assert statements <= 14, count_statements.statements[-statements:]


CHILDREN = """query($n: Int!) { accompanimentRequests(first: 10) { nodes {
  id few: assignments(first: 2) { id } more: assignments(first: $n) { id }
} } }"""
ONE = "query($id: ID!) { node(id: $id) { ... on AccompanimentRequest { assignments(first: 3) { id } } } }"


class RowCounter:
    """The rows PostgreSQL returned for each statement reading ``table`` (its ``SELECT n`` status)."""

    def __init__(self, table: str) -> None:
        self.table, self.rows = table, list[int]()

    def __call__(self, conn: object, cursor: Any, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {self.table}" in statement:
            self.rows.append(cursor.rowcount)


@pytest.fixture
def assignment_rows(connection: AsyncConnection) -> Iterator[RowCounter]:
    counter = RowCounter("accompaniment_assignment")
    sync = connection.sync_connection
    assert sync is not None
    event.listen(sync, "after_cursor_execute", counter)
    yield counter
    event.remove(sync, "after_cursor_execute", counter)


async def test_only_first_children_per_parent_are_fetched(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sealer: Sealer,
    count_statements: StatementCounter,
    assignment_rows: RowCounter,
) -> None:
    legal = await f.organization(db, OrganizationKind.LEGAL_AID)
    volunteers = [await f.member(db, legal, Role.ACCOMPANIER) for _ in range(12)]
    requests = []
    for _ in range(3):  # three parents with 12 children each
        request = await f.accompaniment_request(db, sealer, legal, await f.person(db, sealer, legal))
        requests.append(request)
        for volunteer in volunteers:
            await f.assignment(db, request, volunteer)
    token = await f.token_for(db, await f.member(db, legal, Role.LEGAL_ADVOCATE))
    await db.commit()
    await gql(client, "{ __typename }", token=token)  # the token's first use is written (once a minute): not compared
    before = count_statements.count
    everything = await gql(client, CHILDREN, {"n": 100}, token=token)
    statements = count_statements.count - before
    assert assignment_rows.rows == [36]  # the whole lists: one statement, every row
    complete = {
        node["id"]: [a["id"] for a in node["more"]] for node in everything["data"]["accompanimentRequests"]["nodes"]
    }
    assert sorted(len(ids) for ids in complete.values())[-3:] == [12, 12, 12]

    before = count_statements.count
    body = await gql(client, CHILDREN, {"n": 4}, token=token)
    assert count_statements.count - before == statements  # as many statements as for whole lists
    assert assignment_rows.rows[1:] == [3 * 4]  # one statement for both aliases: the larger page per parent
    for node in body["data"]["accompanimentRequests"]["nodes"]:  # the same children, oldest first, cut
        assert [a["id"] for a in node["few"]] == complete[node["id"]][:2]
        assert [a["id"] for a in node["more"]] == complete[node["id"]][:4]

    one = await gql(client, ONE, {"id": gid(requests[0])}, token=token)  # the dataloader's path (no page)
    assert assignment_rows.rows[2:] == [3]
    assert [a["id"] for a in one["data"]["node"]["assignments"]] == complete[gid(requests[0])][:3]
