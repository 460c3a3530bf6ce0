"""A NUL character (PostgreSQL cannot store it) in any text is the caller's error, never a server error."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    get_named_type,
    get_nullable_type,
)
from sqlalchemy.ext.asyncio import AsyncSession

from api.models.enums import OrganizationKind, Role
from api.schema.engine.errors import MASKED_MESSAGE
from api.schema.schema import schema
from tests import factories as f
from tests.graphql import gql
from tests.workflow import actor, document

NUL = "before\x00after"
GRAPHQL = schema._schema
SAMPLES = {"DateTime": "2030-01-01T10:00:00+00:00", "Decimal": "1.5", "Int": 1, "Float": 1.5, "Boolean": True}
Path = tuple[str | int, ...]


def sample(type_: GraphQLInputType) -> Any:
    """A value of ``type_`` that GraphQL accepts (every optional field filled too)."""
    if isinstance(type_, GraphQLNonNull):
        return sample(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [sample(type_.of_type)]
    if isinstance(type_, GraphQLInputObjectType):
        return {name: sample(field.type) for name, field in type_.fields.items()}
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return SAMPLES.get(type_.name, "text")


def text_paths(value: Any, type_: GraphQLInputType, path: Path = ()) -> Iterator[Path]:
    """Where ``value`` holds a String or ID."""
    named = get_named_type(type_)
    if isinstance(value, list):
        listed = get_nullable_type(type_)
        assert isinstance(listed, GraphQLList)
        yield from text_paths(value[0], listed.of_type, (*path, 0))
    elif isinstance(named, GraphQLInputObjectType):
        for name, field in named.fields.items():
            yield from text_paths(value[name], field.type, (*path, name))
    elif named.name in {"String", "ID"}:
        yield path


def with_nul(value: Any, path: Path) -> Any:
    changed = copy.deepcopy(value)
    target = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = NUL
    return changed


def mutation_cases() -> Iterator[tuple[str, Path]]:
    mutation_type = GRAPHQL.mutation_type
    assert mutation_type is not None
    for name, field in mutation_type.fields.items():
        input_type = field.args["input"].type
        for path in text_paths(sample(input_type), input_type):
            yield name, path


MUTATION_CASES = list(mutation_cases())


def test_every_mutation_with_text_is_covered() -> None:
    assert len({name for name, _ in MUTATION_CASES}) > 40
    assert any(path == ("idempotencyKey",) for _, path in MUTATION_CASES)


async def test_a_nul_in_any_mutation_text_is_an_invalid_input_user_error(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    everyone = await actor(db, org, *Role)
    await db.commit()
    for name, path in MUTATION_CASES:
        input_type = GRAPHQL.mutation_type.fields[name].args["input"].type  # type: ignore[union-attr]
        values = with_nul(sample(input_type), path)
        body = await gql(client, document(name, ""), {"input": values}, token=everyone.token)
        assert "errors" not in body, (name, path, body)
        errors = body["data"][name]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID_INPUT", path[0])], (name, path, errors)


def query_cases() -> Iterator[tuple[str, str, str]]:
    query_type = GRAPHQL.query_type
    assert query_type is not None
    for name, field in query_type.fields.items():
        for arg_name, arg in field.args.items():
            if get_named_type(arg.type).name in {"String", "ID"}:
                yield name, arg_name, str(arg.type)


@pytest.mark.parametrize(("field", "argument", "type_name"), list(query_cases()))
async def test_a_nul_in_a_query_argument_is_a_clear_graphql_error(
    client: httpx.AsyncClient, db: AsyncSession, field: str, argument: str, type_name: str
) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    everyone = await actor(db, org, *Role)
    await db.commit()
    page = ", first: 1" if "first" in GRAPHQL.query_type.fields[field].args else ""  # type: ignore[union-attr]
    value: Any = [NUL] if type_name.startswith("[") else NUL
    others = "".join(  # other required strings (queryCost's document) get a harmless value
        f', {name}: "{{ __typename }}"'
        for name, arg in GRAPHQL.query_type.fields[field].args.items()  # type: ignore[union-attr]
        if name != argument and isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
    )
    query = f"query($v: {type_name}) {{ {field}({argument}: $v{page}{others}) {{ __typename }} }}"
    body = await gql(client, query, {"v": value}, token=everyone.token)
    assert body.get("errors"), body
    assert [e["message"] for e in body["errors"] if e["message"] == MASKED_MESSAGE] == [], body
    assert all(e.get("extensions", {}).get("code") for e in body["errors"]), body


VALID: dict[str, dict[str, Any]] = {
    "regionCreate": {"name": "North Valley", "code": "NV-9", "idempotencyKey": "key-1"},
    "personCreate": {
        "preferredName": "Ana",
        "legalName": "Ana Example",
        "aNumber": "A123456789",
        "countryOfOrigin": "MX",
        "languages": ["es"],
        "idempotencyKey": "key-2",
    },
}


@pytest.mark.parametrize(("name", "field"), [(name, field) for name, values in VALID.items() for field in values])
async def test_a_nul_in_otherwise_valid_text_is_refused_before_the_database(
    client: httpx.AsyncClient, db: AsyncSession, name: str, field: str
) -> None:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    everyone = await actor(db, org, *Role)
    await db.commit()
    values = dict(VALID[name])
    values[field] = [NUL] if isinstance(values[field], list) else NUL
    body = await gql(client, document(name, ""), {"input": values}, token=everyone.token)
    assert "errors" not in body, body
    assert body["data"][name]["userErrors"][0]["code"] == "INVALID_INPUT"
    assert body["data"][name]["userErrors"][0]["field"] == field
