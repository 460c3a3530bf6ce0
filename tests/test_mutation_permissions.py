"""The permission table is the only source of who may call a mutation, down to each role's schema."""

from __future__ import annotations

import pytest

from api.auth.permissions import MUTATIONS
from api.models.enums import Role
from api.schema.audience import Audience, schema_for
from api.schema.schema import schema


def _mutations(graphql_schema: object) -> set[str]:
    mutation_type = graphql_schema._schema.mutation_type  # type: ignore[attr-defined]
    return set(mutation_type.fields) if mutation_type else set()


def test_every_mutation_in_the_schema_is_in_the_table() -> None:
    assert _mutations(schema) <= set(MUTATIONS)


@pytest.mark.parametrize("role", list(Role))
def test_a_role_sees_exactly_the_mutations_the_table_grants_it(role: Role) -> None:
    visible = _mutations(schema_for(Audience(False, frozenset({role}))))
    assert visible == {name for name in _mutations(schema) if role in MUTATIONS[name]}


def test_anonymous_viewers_have_no_mutations() -> None:
    assert _mutations(schema_for(Audience(True, frozenset()))) == set()


def test_every_mutation_in_the_table_is_in_the_schema() -> None:
    assert set(MUTATIONS) == _mutations(schema)
