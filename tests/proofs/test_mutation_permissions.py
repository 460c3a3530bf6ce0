"""The permission table is the only source of who may call a mutation, down to each role's schema.

Expectations come from the written-out table of ``tests/proofs/test_mutation_oracle.py`` (domain.md), not from
``MUTATIONS`` itself.
"""

from __future__ import annotations

import uuid

import pytest

from api.auth.permissions import MEMBERS_ONLY, MUTATIONS, may_call
from api.auth.viewer import Viewer
from api.models.enums import Role
from api.schema.engine.audience import Audience, schema_for
from api.schema.schema import schema
from tests.proofs.test_mutation_oracle import MAY_CALL, PEOPLE_ONLY


def _mutations(graphql_schema: object) -> set[str]:
    mutation_type = graphql_schema._schema.mutation_type  # type: ignore[attr-defined]
    return set(mutation_type.fields) if mutation_type else set()


def test_every_mutation_in_the_schema_is_in_the_table() -> None:
    assert _mutations(schema) <= set(MUTATIONS)


@pytest.mark.parametrize("role", list(Role))
def test_a_role_sees_exactly_the_mutations_the_table_grants_it(role: Role) -> None:
    visible = _mutations(schema_for(Audience(False, frozenset({role}))))
    assert visible == {name for name in MAY_CALL if role in MAY_CALL[name]}


def test_anonymous_viewers_have_no_mutations() -> None:
    assert _mutations(schema_for(Audience(True, frozenset()))) == set()


def test_every_mutation_in_the_table_is_in_the_schema() -> None:
    assert set(MUTATIONS) == _mutations(schema)


def test_the_people_only_mutations_are_the_written_ones() -> None:
    assert set(MEMBERS_ONLY) == PEOPLE_ONLY


@pytest.mark.parametrize("mutation", sorted(PEOPLE_ONLY))
def test_a_partner_app_never_acts_where_a_person_must(mutation: str) -> None:
    roles = MAY_CALL[mutation]
    app = Viewer(
        organization_id=uuid.uuid4(), roles=roles, client_id="snt_client_x", scopes=frozenset({"read", "write"})
    )
    person = Viewer(member_id=uuid.uuid4(), organization_id=app.organization_id, roles=roles)
    assert not may_call(app, mutation)
    assert may_call(person, mutation)
