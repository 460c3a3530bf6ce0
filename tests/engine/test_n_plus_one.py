"""Nested reads run a bounded number of SQL statements, whatever the page size."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import Organization
from api.models.enums import OrganizationKind, Role
from tests import factories as f
from tests.conftest import StatementCounter
from tests.graphql import gql

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
