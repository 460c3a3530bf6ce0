"""A connection page reads the columns its selected fields use (plus ids and timestamps), not every column."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AccompanimentRequest
from api.models.enums import OrganizationKind, Role
from api.models.records import partial_record_class
from tests import factories as f
from tests.canaries import canary
from tests.conftest import StatementCounter
from tests.graphql import gql


async def _page_sql(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, counter: StatementCounter, node: str
) -> tuple[dict[str, object], str]:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    advocate = await f.member(db, org, Role.LEGAL_ADVOCATE)
    token = await f.token_for(db, advocate)
    guest = await f.person(db, sealer, org)
    await f.accompaniment_request(db, sealer, org, guest, notes=canary("Needs a wheelchair ramp"))
    before = counter.count
    body = await gql(client, f"{{ accompanimentRequests(first: 5) {{ edges {{ node {{ {node} }} }} }} }}", token=token)
    assert "errors" not in body, body
    page = next(s for s in counter.statements[before:] if "FROM accompaniment_request" in s and "LIMIT" in s)
    return body, page.split(" FROM ")[0]


async def test_a_page_reads_only_the_selected_columns_and_the_ids(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter
) -> None:
    _, columns = await _page_sql(client, db, sealer, count_statements, "id kind")
    assert "accompaniment_request.kind" in columns
    assert "accompaniment_request.organization_id" in columns  # the rules read ids
    for unread in ("notes", "place", "languages_needed", "urgency"):
        assert f"accompaniment_request.{unread}" not in columns


async def test_selected_fields_bring_their_columns(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter
) -> None:
    body, columns = await _page_sql(client, db, sealer, count_statements, "place notes languagesNeeded")
    for read in ("notes", "place", "languages_needed"):
        assert f"accompaniment_request.{read}" in columns
    node = body["data"]["accompanimentRequests"]["edges"][0]["node"]  # type: ignore[index]
    assert node["notes"] == "Needs a wheelchair ramp"


def test_a_partial_record_refuses_to_read_a_column_it_did_not_load() -> None:
    make = partial_record_class(AccompanimentRequest, ("id", "kind"))
    row = make(1, "COURT_HEARING")
    assert row.kind == "COURT_HEARING"
    with pytest.raises(AttributeError):
        _ = row.notes
