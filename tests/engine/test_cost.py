"""A document's cost is counted before it runs, refused over the limit, reported, and can be asked for."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, get_named_type, parse
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.models import Training
from api.models.enums import OrganizationKind, Role, TrainingKind
from api.schema.engine.cost import requested_cost
from api.schema.engine.limits import DEFAULT_LIMITS, Limits
from api.schema.engine.registry import RECORD_MODELS
from api.schema.engine.relay import MAX_PAGE_SIZE
from api.schema.schema import schema
from api.settings import Settings
from tests import factories as f
from tests.conftest import StatementCounter
from tests.graphql import error_codes, gql

LEVELS = "edges { node { congregation { organization { region { name } } } } }"
EXAMPLE = "{ " + " ".join(f"a{i}: accompanimentRequests(first: 100) {{ {LEVELS} }}" for i in range(30)) + " }"
PAGE = "query Page($n: Int = 10) { organizations(first: $n) { nodes { id } pageInfo { hasNextPage } } }"


def cost(document: str, variables: dict[str, Any] | None = None) -> int:
    return requested_cost(schema._schema, parse(document), None, variables)


async def _member_token(db: AsyncSession, *roles: Role) -> str:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    token = await f.token_for(db, await f.member(db, org, *roles))
    await db.commit()
    return token


async def test_the_30_alias_example_is_refused_before_any_statement(
    client: httpx.AsyncClient, db: AsyncSession, count_statements: StatementCounter
) -> None:
    token = await _member_token(db, Role.LEGAL_ADVOCATE)
    before = count_statements.count
    body = await gql(client, EXAMPLE, token=token)
    assert count_statements.count == before  # not even the token lookup
    assert body["data"] is None
    assert error_codes(body) == ["COST_LIMIT_EXCEEDED"]
    error = body["errors"][0]
    assert (error["extensions"]["cost"], error["extensions"]["limit"]) == (30 * 501, DEFAULT_LIMITS.cost)
    assert "15030" in error["message"]
    assert str(DEFAULT_LIMITS.cost) in error["message"]
    assert "accompanimentRequests" not in error["message"]
    assert "a29" not in error["message"]
    assert body["extensions"]["cost"] == {"requested": 30 * 501, "actual": 0}


async def test_a_normal_document_reports_its_requested_and_actual_cost(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    token = await _member_token(db, Role.LEGAL_ADVOCATE)
    body = await gql(client, PAGE, {"n": 5}, token=token)
    nodes = body["data"]["organizations"]["nodes"]
    assert 1 <= len(nodes) <= 5
    # the connection, 5 nodes, pageInfo; actually: the connection, the nodes returned, pageInfo
    assert body["extensions"]["cost"] == {"requested": 7, "actual": 2 + len(nodes)}
    anonymous = await gql(client, "{ __typename }")
    assert anonymous["extensions"]["cost"] == {"requested": 0, "actual": 0}


def test_variables_and_their_defaults_drive_first() -> None:
    assert cost(PAGE, {"n": 1}) == 3
    assert cost(PAGE, {"n": 100}) == 102
    assert cost(PAGE) == 12  # the variable's default
    assert cost(PAGE, {"n": 10_000}) == 102  # counted at most at the largest page (which is refused anyway)
    nested = "query($n: Int!, $m: Int!) { congregations(first: $n) { nodes { hostedCases(first: $m) { id } } } }"
    assert cost(nested, {"n": 10, "m": 3}) == 1 + 10 + 10 * 3
    assert cost(nested, {"n": 10, "m": 30}) == 1 + 10 + 10 * 30
    default = "{ congregations(first: 10) { nodes { hostedCases { id } } } }"
    assert cost(default) == 1 + 10 + 10 * 20  # a bounded list counts its default `first`


def test_fragments_inline_fragments_and_directives_are_followed() -> None:
    plain = "{ congregations(first: 10) { nodes { organization { region { name } } } } }"
    spread = """{ congregations(first: 10) { nodes { ...C } } }
        fragment C on Congregation { organization { ...O } }  fragment O on Organization { region { name } }"""
    inline = "{ congregations(first: 10) { nodes { ... on Congregation { organization { region { name } } } } } }"
    assert cost(plain) == cost(spread) == cost(inline) == 1 + 10 + 10 * 2
    skipped = "query($s: Boolean!) { congregations(first: 10) { nodes { organization @skip(if: $s) { id } } } }"
    assert (cost(skipped, {"s": True}), cost(skipped, {"s": False})) == (11, 21)
    assert cost("{ congregations(first: 10) { nodes { organization @include(if: false) { id } } } }") == 11
    assert cost("{ __schema { types { name fields { name type { name } } } } }") == 1  # introspection is cheap


def test_a_fragment_bomb_is_costed_in_linear_time() -> None:
    fragments = " ".join(
        f"fragment F{i} on Organization {{ region {{ id }} ...F{i + 1} ...F{i + 1} }}" for i in range(40)
    )
    document = '{ node(id: "x") { ...F0 } } ' + fragments + " fragment F40 on Organization { id }"
    started = time.perf_counter()
    assert cost(document) > 0
    assert time.perf_counter() - started < 0.5


def test_costing_a_typical_document_takes_microseconds() -> None:
    document = parse("query($c: String) { accompanimentRequests(first: 100, after: $c) { " + LEVELS + " } }")
    runs = 500
    started = time.perf_counter()
    for _ in range(runs):
        requested_cost(schema._schema, document, None, {"c": None})
    per_document = (time.perf_counter() - started) / runs
    print(f"cost of a typical document computed in {per_document * 1e6:.1f} µs")
    assert per_document < 0.001


async def test_query_cost_estimates_without_running_against_the_callers_schema(
    client: httpx.AsyncClient, db: AsyncSession, count_statements: StatementCounter
) -> None:
    token = await _member_token(db, Role.LEGAL_ADVOCATE)
    ask = "query($d: String!, $v: JSON) { queryCost(document: $d, variables: $v) { requested limit } }"
    body = await gql(client, ask, {"d": PAGE, "v": {"n": 7}}, token=token)
    assert body["data"]["queryCost"] == {"requested": 9, "limit": DEFAULT_LIMITS.cost}
    before = count_statements.count
    refused = await gql(client, ask, {"d": EXAMPLE}, token=token)
    assert refused["data"]["queryCost"] == {"requested": 30 * 501, "limit": DEFAULT_LIMITS.cost}
    statements = count_statements.statements[before:]
    assert not any("accompaniment_request" in s for s in statements)  # the document was not run
    audit = "{ auditEvents(first: 5) { nodes { id } } }"
    unknown = await gql(client, ask, {"d": audit}, token=token)  # not in a legal advocate's schema
    assert error_codes(unknown) == ["INVALID_DOCUMENT"]
    assert "auditEvents" not in unknown["errors"][0]["message"]
    broken = await gql(client, ask, {"d": "{ organizations(first: "}, token=token)
    assert error_codes(broken) == ["INVALID_DOCUMENT"]


def _record_lists() -> list[tuple[str, str, Any]]:
    """Every field of the schema returning a list of records (or of Nodes)."""
    found = []
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            item = get_named_type(field.type).name
            if isinstance(inner, GraphQLList) and (item in RECORD_MODELS or item == "Node"):
                found.append((type_.name, name, field))
    return found


def test_every_list_of_records_is_paginated_or_bounded() -> None:
    lists = _record_lists()
    assert {"hostedCases", "assignments", "timeline", "trainings"} <= {name for _, name, _ in lists}
    unbounded = []
    for parent, name, field in lists:
        if parent.endswith("Connection") and name in ("edges", "nodes"):
            continue  # a page of a connection: its `first`/`last` bound it
        argument = field.args.get("first") or field.args.get("ids")
        bounded = field.args.get("first") is not None and isinstance(field.args["first"].default_value, int)
        if not (bounded and 1 <= field.args["first"].default_value <= MAX_PAGE_SIZE) and not (
            argument is not None and name == "nodes" and parent == "Query"
        ):
            unbounded.append(f"{parent}.{name}")
    assert unbounded == []


async def test_a_bounded_list_returns_at_most_first(client: httpx.AsyncClient, db: AsyncSession) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    member = await f.member(db, org, Role.LEGAL_ADVOCATE)
    now = datetime.now(UTC)
    for days in (3, 2, 1):
        db.add(Training(id=uuid.uuid4(), member_id=member.id, kind=TrainingKind.ACCOMPANIMENT,
                        completed_at=now - timedelta(days=days)))  # fmt: skip
    token = await f.token_for(db, member)
    await db.commit()
    body = await gql(client, "{ me { trainings(first: 2) { completedAt } all: trainings { id } } }", token=token)
    assert len(body["data"]["me"]["trainings"]) == 2
    assert len(body["data"]["me"]["all"]) == 3
    assert body["extensions"]["cost"]["requested"] == 1 + 2 + 20
    too_many = await gql(client, "{ me { trainings(first: 101) { id } } }", token=token)
    assert error_codes(too_many) == ["PAGE_SIZE_OUT_OF_RANGE"]


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANCTUARY_GRAPHQL_LIMITS", orjson.dumps({"cost": 50_000}).decode())
    assert Settings().graphql_limits.cost == 50_000


async def test_a_lower_limit_refuses_a_cheaper_document(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    settings: Settings,
    connection: AsyncConnection,
) -> None:
    strict = settings.model_copy(update={"graphql_limits": Limits(cost=10)})
    app = create_app(strict, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=strict)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        refused = await gql(client, PAGE, {"n": 9})  # 11
        allowed = await gql(client, PAGE, {"n": 8})  # 10: anonymous callers meet the schema's own errors
    assert error_codes(refused) == ["COST_LIMIT_EXCEEDED"]
    assert refused["errors"][0]["extensions"]["limit"] == 10
    assert "COST_LIMIT_EXCEEDED" not in error_codes(allowed)
