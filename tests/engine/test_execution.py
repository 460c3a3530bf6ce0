"""The fast path for plain scalar and enum fields gives exactly graphql-core's results and errors."""

from __future__ import annotations

import enum
from typing import Any

import httpx
import pytest
import strawberry
from graphql import GraphQLEnumType, GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models.enums import Role
from api.schema.engine import execution
from api.schema.engine.audience import Audience, schema_for
from api.schema.engine.ids import decode_cursor, encode_global_id
from api.schema.engine.loaders import MISSING
from api.schema.engine.registry import RECORD_NAMES
from api.schema.schema import schema
from tests.graphql import gql
from tests.proofs.world import build_world

NODE_TYPES = {t.name for t in schema._schema.type_map.values() if isinstance(t, GraphQLObjectType)
              and "Node" in [i.name for i in t.interfaces]}  # fmt: skip
VIEWERS = ["anonymous", "org_admin@A", "legal_advocate@L1", "rr_dispatcher@RR", "hospitality_volunteer@A"]


def _audience(viewer: str) -> Audience:
    if viewer == "anonymous":
        return Audience(True, frozenset())
    return Audience(False, frozenset({Role(viewer.split("@")[0].upper())}))


def _leaves(viewer: str, type_name: str) -> list[str]:
    graphql_type = schema_for(_audience(viewer))._schema.type_map.get(type_name)
    if not isinstance(graphql_type, GraphQLObjectType):
        return []
    leaves = []
    for name, field in graphql_type.fields.items():
        named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if isinstance(named, GraphQLScalarType | GraphQLEnumType) and not field.args:
            leaves.append(name)
    return leaves


async def _bodies(client: httpx.AsyncClient, viewer: str, token: str | None, records: dict[str, Any]) -> list[Any]:
    bodies = []
    for row in records.values():
        type_name = RECORD_NAMES.get(type(row))
        leaves = _leaves(viewer, type_name) if type_name in NODE_TYPES else []
        if not leaves:
            continue
        document = f"query One($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {' '.join(leaves)} }} }} }}"
        bodies.append(await gql(client, document, {"id": encode_global_id(str(type_name), row.id)}, token=token))
    return bodies


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_every_leaf_of_every_record_reads_the_same_with_and_without_the_fast_path(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(db, sealer)
    token = world.tokens.get(viewer)
    taken: list[GraphQLField] = []
    classify = execution._path

    def spy(field: GraphQLField) -> execution._Path:
        taken.append(field)
        return classify(field)

    monkeypatch.setattr(execution, "_path", spy)
    fast = await _bodies(client, viewer, token, world.records)
    assert taken  # the fast path was consulted
    monkeypatch.setattr(execution.DirectExecutionContext, "enabled", False)
    plain = await _bodies(client, viewer, token, world.records)
    assert len(fast) > 3
    assert all("errors" not in body for body in fast)
    assert fast == plain


def test_only_plain_fields_and_to_one_relations_take_the_direct_paths() -> None:
    request = schema._schema.type_map["AccompanimentRequest"]
    assert isinstance(request, GraphQLObjectType)
    assert execution._classify(request.fields["kind"]).kind == execution.LEAF
    assert execution._classify(request.fields["notes"]).kind == execution.OTHER  # gated T3: its own resolver
    assert execution._classify(request.fields["congregation"]).kind == execution.RELATION
    edge = schema._schema.type_map["AccompanimentRequestEdge"]
    assert isinstance(edge, GraphQLObjectType)
    assert execution._classify(edge.fields["node"]).kind == execution.OBJECT


def _relations(viewer: str, type_name: str) -> list[str]:
    graphql_type = schema_for(_audience(viewer))._schema.type_map.get(type_name)
    if not isinstance(graphql_type, GraphQLObjectType):
        return []
    found = []
    for name, field in graphql_type.fields.items():
        definition = (field.extensions or {}).get("strawberry-definition")
        if definition is not None and "to_one" in (definition.metadata or {}):
            found.append(f"{name} {{ id }}")
    return found


def _connections(viewer: str) -> dict[str, str]:
    """Root connection fields of the viewer's schema -> their node type."""
    query = schema_for(_audience(viewer))._schema.query_type
    assert query is not None
    found = {}
    for name, field in query.fields.items():
        named = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if isinstance(named, GraphQLObjectType) and named.name.endswith("Connection") and "first" in field.args:
            found[name] = named.name.removesuffix("Connection")
    return found


async def _pages(client: httpx.AsyncClient, viewer: str, token: str | None) -> list[Any]:
    bodies = []
    for root, type_name in sorted(_connections(viewer).items()):
        selection = " ".join(_leaves(viewer, type_name) + _relations(viewer, type_name))
        document = f"{{ {root}(first: 50) {{ edges {{ node {{ {selection} }} }} }} }}"
        bodies.append(await gql(client, document, token=token))
    return bodies


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_every_connection_page_with_its_relations_reads_the_same_with_and_without_the_fast_paths(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(db, sealer)
    token = world.tokens.get(viewer)
    served = []
    prefetched = execution.DirectExecutionContext._related

    def counting(self: Any, model: Any, source: Any, foreign_key: str, needs: Any) -> Any:
        found = prefetched(self, model, source, foreign_key, needs)
        served.append(found is not MISSING)
        return found

    monkeypatch.setattr(execution.DirectExecutionContext, "_related", counting)
    fast = await _pages(client, viewer, token)
    assert all("errors" not in body for body in fast), [b for b in fast if "errors" in b][:1]
    assert sum(len(edges) for body in fast for edges in [next(iter(body["data"].values()))["edges"]]) > 0
    assert viewer == "anonymous" or any(served)  # relations were served from the page's prefetch
    monkeypatch.setattr(execution.DirectExecutionContext, "enabled", False)
    assert await _pages(client, viewer, token) == fast


def _plain_selection(viewer: str, type_name: str) -> str:
    """The fields of ``type_name`` that plans complete: plain leaves and to-one relations."""
    graphql_type = schema_for(_audience(viewer))._schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    leaves = [
        name for name in _leaves(viewer, type_name) if execution._path(graphql_type.fields[name]).kind == execution.LEAF
    ]
    return " ".join(["__typename", *leaves, *_relations(viewer, type_name)])


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_objects_completed_by_plans_read_the_same_as_field_by_field(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(db, sealer)
    token = world.tokens.get(viewer)
    planned: list[execution._Plan] = []
    run = execution.DirectExecutionContext._run

    def spy(self: execution.DirectExecutionContext, plan: execution._Plan, *a: Any) -> dict[str, Any]:
        planned.append(plan)
        return run(self, plan, *a)

    monkeypatch.setattr(execution.DirectExecutionContext, "_run", spy)
    roots = sorted(_connections(viewer).items())
    documents = [
        f"{{ {root}(first: 50) {{ edges {{ cursor node {{ {_plain_selection(viewer, type_name)} }} }} }} }}"
        for root, type_name in roots
    ]
    fast = [await gql(client, document, token=token) for document in documents]
    assert all("errors" not in body for body in fast), [b for b in fast if "errors" in b][:1]
    assert any(next(iter(body["data"].values()))["edges"] for body in fast)
    assert planned
    monkeypatch.setattr(execution.DirectExecutionContext, "enabled", False)
    slow = [await gql(client, document, token=token) for document in documents]
    assert _opened(sealer, roots, slow) == _opened(sealer, roots, fast)


def _opened(sealer: Sealer, roots: list[tuple[str, str]], bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bodies with each (sealed, freshly nonced) cursor replaced by the position it points at."""
    for (root, _type), body in zip(roots, bodies, strict=True):
        order = "" if root == "auditEvents" else ":CREATED_AT"
        for edge in body["data"][root]["edges"]:
            edge["cursor"] = decode_cursor(sealer.cursor_keys, root + order, edge["cursor"])
    return bodies


@strawberry.enum(description="A colour.")
class _Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type(description="A leaf holder.")
class _Item:
    name: str = strawberry.field(description="Never null.")
    colour: _Colour = strawberry.field(description="An enum.")
    note: str | None = strawberry.field(description="Nullable.")


@strawberry.type(description="An edge.")
class _Edge:
    item: _Item = strawberry.field(description="Never null.")


def _items() -> list[_Edge]:
    return [
        _Edge(item=_Item(name="one", colour=_Colour.RED, note=None)),
        _Edge(item=_Item(name=None, colour=_Colour.BLUE, note="x")),  # type: ignore[arg-type]  # a broken row
        _Edge(item=_Item(name="three", colour="purple", note=None)),  # type: ignore[arg-type]  # does not serialize
        _Edge(item=_Item(name="four", colour=_Colour.BLUE, note="y")),
    ]


@strawberry.type(description="Root.")
class _Query:
    @strawberry.field(description="Edges, some broken.")
    def edges(self) -> list[_Edge | None]:
        return list(_items())

    @strawberry.field(description="Whole edges or none.")
    def whole(self, missing: bool) -> list[_Edge]:
        edges = [edge for edge in _items() if edge.item.name is not None and isinstance(edge.item.colour, _Colour)]
        return [*edges, None] if missing else edges  # type: ignore[list-item]  # a broken list

    @strawberry.field(description="Edges with gaps.")
    def gaps(self) -> list[_Edge | None]:
        return [None, *_items()[:1], None]


@pytest.mark.parametrize(
    ("document", "errors"),
    [
        ("{ edges { item { name colour note __typename } } }", 2),
        ("{ edges { __typename a: item { n: name } b: item { colour } item { name } } }", 2),
        ("{ edges { ... on Edge { item { name } } item { ... F note } } } fragment F on Item { colour }", 2),
        ("query Q($show: Boolean!) { edges { item { name @include(if: $show) colour @skip(if: $show) } } }", 1),
        ("{ edges { item { note } } }", 0),
        ("{ whole(missing: false) { item { name colour } } }", 0),
        ("{ whole(missing: true) { item { name } } }", 1),
        ("{ gaps { __typename item { name } } }", 0),
    ],
)
async def test_plans_give_graphql_cores_results_and_errors_for_broken_values(
    document: str, errors: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    test_schema = strawberry.Schema(query=_Query, execution_context_class=execution.DirectExecutionContext)
    planned: list[execution._Plan] = []
    run = execution.DirectExecutionContext._run

    def spy(self: execution.DirectExecutionContext, plan: execution._Plan, *a: Any) -> dict[str, Any]:
        planned.append(plan)
        return run(self, plan, *a)

    monkeypatch.setattr(execution.DirectExecutionContext, "_run", spy)
    fast = await test_schema.execute(document, variable_values={"show": True})
    assert planned
    monkeypatch.setattr(execution.DirectExecutionContext, "enabled", False)
    plain = await test_schema.execute(document, variable_values={"show": True})
    assert fast.data == plain.data
    assert [(e.message, e.path) for e in fast.errors or []] == [(e.message, e.path) for e in plain.errors or []]
    assert len(fast.errors or []) == errors
