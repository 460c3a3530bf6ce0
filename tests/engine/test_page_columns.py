"""A connection page reads the columns its selected fields use (plus ids and timestamps), not every column."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models import AccompanimentRequest, Congregation
from api.models.enums import OrganizationKind, Role
from api.models.records import partial_record_class
from api.schema.engine.context import Context
from api.schema.engine.loaders import MISSING
from api.settings import Settings
from tests import factories as f
from tests.canaries import canary
from tests.conftest import StatementCounter
from tests.graphql import gid, gql


async def _page_sql(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, counter: StatementCounter, node: str
) -> tuple[dict[str, Any], str]:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    advocate = await f.member(db, org, Role.LEGAL_ADVOCATE)
    token = await f.token_for(db, advocate)
    guest = await f.person(db, sealer, org)
    await f.accompaniment_request(db, sealer, org, guest, notes=canary("Needs a wheelchair ramp"))
    before = counter.count
    body = await gql(client, f"{{ accompanimentRequests(first: 5) {{ edges {{ node {{ {node} }} }} }} }}", token=token)
    assert "errors" not in body, body
    page = next(s for s in counter.statements[before:] if "FROM accompaniment_request" in s and "LIMIT" in s)
    return body, page.split("FROM", 1)[0]


async def test_a_page_reads_only_the_selected_columns_and_the_ids(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter
) -> None:
    _, columns = await _page_sql(client, db, sealer, count_statements, "id kind")
    assert "accompaniment_request.kind" in columns
    assert "accompaniment_request.id" in columns
    for unread in ("notes", "place", "languages_needed", "urgency", "organization_id", "person_id"):
        assert f"accompaniment_request.{unread}" not in columns


async def test_a_field_the_field_rule_gates_brings_the_ties_the_rule_reads(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter
) -> None:
    _, columns = await _page_sql(client, db, sealer, count_statements, "id place")
    for tie in ("organization_id", "person_id", "congregation_id", "region_id"):
        assert f"accompaniment_request.{tie}" in columns


async def test_selected_fields_bring_their_columns(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter
) -> None:
    body, columns = await _page_sql(client, db, sealer, count_statements, "place notes languagesNeeded")
    for read in ("notes", "place", "languages_needed"):
        assert f"accompaniment_request.{read}" in columns
    node = body["data"]["accompanimentRequests"]["edges"][0]["node"]
    assert node["notes"] == "Needs a wheelchair ramp"


def test_a_partial_record_refuses_to_read_a_column_it_did_not_load() -> None:
    make = partial_record_class(AccompanimentRequest, ("id", "kind"))
    row = make(1, "COURT_HEARING")
    assert row.kind == "COURT_HEARING"
    with pytest.raises(AttributeError):
        _ = row.notes


async def _routed_requests(db: AsyncSession, sealer: Sealer) -> tuple[str, list[str]]:
    """A legal advocate's token and the global ids of two requests routed to two congregations."""
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    advocate = await f.member(db, org, Role.LEGAL_ADVOCATE)
    guest = await f.person(db, sealer, org)
    ids = []
    for city in ("Riverton", "Lakeside"):
        congregation = await f.congregation(db, city=city, capacity=3)
        row = await f.accompaniment_request(db, sealer, org, guest, congregation_id=congregation.id)
        ids.append(gid(row))
    return await f.token_for(db, advocate), ids


async def test_a_prefetched_relation_reads_only_the_columns_selected_on_it(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter
) -> None:
    token, _ = await _routed_requests(db, sealer)
    before = count_statements.count
    body = await gql(
        client, "{ accompanimentRequests(first: 5) { edges { node { congregation { publicName } } } } }", token=token
    )
    assert "errors" not in body, body
    statements = count_statements.statements[before:]
    prefetch = next(s for s in statements if "FROM congregation" in s)
    assert "congregation.public_name" in prefetch
    assert "congregation.id" in prefetch
    assert "congregation.city" not in prefetch
    assert "congregation.contact_phone" not in prefetch
    assert "congregation.organization_id" not in prefetch  # no gated field selected: the rules read no ties
    edges = body["data"]["accompanimentRequests"]["edges"]
    assert all(edge["node"]["congregation"]["publicName"].startswith("Grace Chapel") for edge in edges)


@pytest.mark.parametrize(
    "node", ["congregation { publicName } notes", "a: congregation { publicName } b: congregation { city capacity }"]
)
async def test_every_selection_of_a_prefetched_relation_is_served_from_one_query(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, count_statements: StatementCounter, node: str
) -> None:
    token, _ = await _routed_requests(db, sealer)
    before = count_statements.count
    body = await gql(client, f"{{ accompanimentRequests(first: 5) {{ edges {{ node {{ {node} }} }} }} }}", token=token)
    assert "errors" not in body, body
    assert len([s for s in count_statements.statements[before:] if "FROM congregation" in s]) == 1
    for edge in body["data"]["accompanimentRequests"]["edges"]:
        if "b" in edge["node"]:
            assert edge["node"]["b"]["capacity"] == 3
            assert edge["node"]["b"]["city"] in ("Riverton", "Lakeside")


async def test_a_row_prefetched_with_few_columns_is_not_served_where_more_are_selected(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    token, ids = await _routed_requests(db, sealer)
    document = """query Mixed($id: ID!) {
      accompanimentRequests(first: 5) { edges { node { congregation { publicName } } } }
      node(id: $id) { ... on AccompanimentRequest { congregation { publicName city capacity faithTradition } } }
    }"""
    body = await gql(client, document, {"id": ids[0]}, token=token)
    assert "errors" not in body, body
    congregation = body["data"]["node"]["congregation"]
    assert congregation["city"] == "Riverton"
    assert congregation["capacity"] == 3
    assert congregation["faithTradition"] == "Methodist"


async def test_the_loader_cache_serves_a_partial_row_only_to_a_selection_it_holds(
    db: AsyncSession, sealer: Sealer, settings: Settings
) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    advocate = await f.member(db, org, Role.LEGAL_ADVOCATE)
    congregation = await f.congregation(db, city="Riverton")
    viewer = Viewer(member_id=advocate.id, organization_id=org.id, organization_kind=org.kind,
                    roles=frozenset({Role.LEGAL_ADVOCATE}))  # fmt: skip
    loaders = Context(viewer, db, sealer, "test", settings).loaders
    few = ("organization_id", "public_name", "id")
    await loaders.prime(Congregation, [congregation.id], few)
    assert loaders.cached(Congregation, congregation.id, frozenset({"public_name", "id"})).public_name.startswith(
        "Grace"
    )
    assert loaders.cached(Congregation, congregation.id, frozenset({"city"})) is MISSING
    assert loaders.cached(Congregation, congregation.id) is MISSING  # a resolver that needs the whole row
    await loaders.prime(Congregation, [congregation.id])
    whole = loaders.cached(Congregation, congregation.id)
    assert whole.city == "Riverton"
    await loaders.prime(Congregation, [congregation.id], few)  # a whole row is never narrowed again
    assert loaders.cached(Congregation, congregation.id) is whole
