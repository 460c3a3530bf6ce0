"""The schema contract: committed SDL, descriptions everywhere, every field classified."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from api.models.base import Tier
from api.schema.engine.registry import FLOORS
from api.schema.export import SCHEMA_FILE, render
from api.schema.schema import schema

GRAPHQL = schema._schema
OWN_TYPES = {
    name: t for name, t in GRAPHQL.type_map.items() if not name.startswith("__") and name not in {"String", "Int",
    "Boolean", "ID", "Float", "DateTime", "Decimal"}
}  # fmt: skip


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == render(), "run `python -m api.schema.export` and commit schema.graphql"


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    missing = []
    for name, graphql_type in OWN_TYPES.items():
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in graphql_type.values.items() if not value.description]
    assert missing == []


def _strawberry_fields(type_name: str) -> dict[str, object]:
    definition = schema.get_type_by_name(type_name)
    assert definition is not None
    return {schema.config.name_converter.get_graphql_name(f): f for f in definition.fields}  # type: ignore[union-attr]


def test_every_field_of_a_record_type_is_classified_and_plain_fields_do_not_exceed_the_floor() -> None:
    problems = []
    for type_name, floor in FLOORS.items():
        for name, field in _strawberry_fields(type_name).items():
            metadata = getattr(field, "metadata", {}) or {}
            if name == "id" or (getattr(field, "base_resolver", None) is not None and "tier" not in metadata):
                continue  # ids and relations: the related rows go through their own read function
            tier = metadata.get("tier")
            if tier is None:
                problems.append(f"{type_name}.{name}: no tier")
            elif tier > floor and not metadata.get("gated"):
                problems.append(f"{type_name}.{name}: {Tier(tier).name} above floor {floor.name} but not gated")
    assert problems == []


def test_every_critical_schema_field_is_gated() -> None:
    for type_name in FLOORS:
        for name, field in _strawberry_fields(type_name).items():
            metadata = getattr(field, "metadata", {}) or {}
            if metadata.get("tier") == Tier.T3:
                assert metadata.get("gated"), f"{type_name}.{name}"
