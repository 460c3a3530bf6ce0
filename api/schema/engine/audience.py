"""A schema per audience: each viewer's schema holds only the types and fields its roles can ever use.

Built by pruning the full schema (``api/schema/schema.py``): a record type is kept when the
audience may read some of its rows (``api.auth.reach.may_ever_read``), a T2/T3 field when one
of the audience's roles has a grant for it (``api.auth.fields.grants``), and every other type
or field when what it returns is kept. Introspection, GraphiQL and validation then see only
that schema, so an out-of-role field fails validation exactly like a field that does not exist.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import strawberry
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
)

from api.auth.fields import may_ever_read_field
from api.auth.live import may_ever_subscribe
from api.auth.permissions import may_ever_call
from api.auth.reach import may_ever_read
from api.auth.viewer import Viewer
from api.auth.webhooks import acts_as_app_with_scope
from api.models.base import Tier
from api.models.enums import Role
from api.schema.engine.registry import RECORD_MODELS
from api.schema.schema import schema as full_schema


@dataclass(frozen=True)
class Audience:
    """What decides a viewer's schema: anonymous or not, its roles, and whether it is a partner app holding the
    ``webhooks`` scope (it then manages its own webhook endpoints)."""

    anonymous: bool
    roles: frozenset[Role]
    webhooks: bool = False

    @classmethod
    def of(cls, viewer: Viewer) -> Audience:
        roles = frozenset() if viewer.is_anonymous else viewer.roles
        return cls(viewer.is_anonymous, roles, acts_as_app_with_scope(viewer))


@lru_cache(maxsize=128)
def schema_for(audience: Audience) -> strawberry.Schema:
    """The pruned strawberry schema of an audience (cached; there are few distinct role sets)."""
    pruned = copy.copy(full_schema)
    pruned._schema = _Pruner(audience).build(full_schema._schema)
    pruned._schema._strawberry_schema = pruned  # type: ignore[attr-defined]
    return pruned


class _Pruner:
    def __init__(self, audience: Audience) -> None:
        self.audience = audience
        self.types: dict[str, GraphQLNamedType | None] = {}

    def build(self, base: GraphQLSchema) -> GraphQLSchema:
        self.base = base
        query = self.named(base.query_type)
        assert isinstance(query, GraphQLObjectType)
        mutation = self.named(base.mutation_type) if base.mutation_type else None
        if not isinstance(mutation, GraphQLObjectType) or not mutation.fields:
            mutation = None
        subscription = self.named(base.subscription_type) if base.subscription_type else None
        if not isinstance(subscription, GraphQLObjectType) or not subscription.fields:
            subscription = None
        records = [self.named(base.type_map[name]) for name in RECORD_MODELS if name in base.type_map]
        types = [t for t in records if t is not None]  # reachable through node(id:) even without a parent
        return GraphQLSchema(
            query=query, mutation=mutation, subscription=subscription, types=types, directives=base.directives
        )

    def named(self, graphql_type: Any) -> GraphQLNamedType | None:
        name = graphql_type.name
        if name not in self.types:
            self.types[name] = graphql_type if not isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType) \
                else self._object(graphql_type)  # fmt: skip
        return self.types[name]

    def _object(self, graphql_type: GraphQLObjectType | GraphQLInterfaceType) -> GraphQLNamedType | None:
        if not self._type_visible(graphql_type.name):
            return None
        kwargs: dict[str, Any] = {
            "name": graphql_type.name,
            "description": graphql_type.description,
            "fields": lambda: self._fields(graphql_type),
            "interfaces": lambda: [i for i in map(self.named, graphql_type.interfaces) if i is not None],
            "extensions": graphql_type.extensions,
        }
        if isinstance(graphql_type, GraphQLObjectType):
            return GraphQLObjectType(**kwargs, is_type_of=graphql_type.is_type_of)
        return GraphQLInterfaceType(**kwargs, resolve_type=graphql_type.resolve_type)

    def _fields(self, graphql_type: GraphQLObjectType | GraphQLInterfaceType) -> dict[str, GraphQLField]:
        kept = {}
        for name, field in graphql_type.fields.items():
            mapped = self._wrap(field.type)
            if mapped is None or not self._field_visible(graphql_type.name, name):
                continue
            kept[name] = GraphQLField(
                mapped,
                args=field.args,
                resolve=field.resolve,
                subscribe=field.subscribe,
                description=field.description,
                deprecation_reason=field.deprecation_reason,
                extensions=field.extensions,
            )
        return kept

    def _wrap(self, graphql_type: GraphQLType) -> Any:
        if isinstance(graphql_type, GraphQLNonNull | GraphQLList):
            inner = self._wrap(graphql_type.of_type)
            return None if inner is None else type(graphql_type)(inner)
        return self.named(graphql_type)

    def _type_visible(self, name: str) -> bool:
        record = name.removesuffix("Connection").removesuffix("Edge")
        model = RECORD_MODELS.get(record)
        audience = self.audience
        return model is None or may_ever_read(model, audience.anonymous, audience.roles, webhooks=audience.webhooks)

    def _field_visible(self, type_name: str, field_name: str) -> bool:
        definition = full_schema.get_type_by_name(type_name)
        field = next((f for f in getattr(definition, "fields", []) if _graphql_name(f) == field_name), None)
        metadata = getattr(field, "metadata", None) or {}
        if "mutation" in metadata:
            audience = self.audience
            return may_ever_call(audience.anonymous, audience.roles, metadata["mutation"], webhooks=audience.webhooks)
        if "live" in metadata:
            return may_ever_subscribe(self.audience.anonymous, self.audience.roles, field_name)
        tier = metadata.get("tier")
        if tier is None:
            return True
        return may_ever_read_field(self.audience.anonymous, self.audience.roles, metadata.get("column"), Tier(tier))


def _graphql_name(field: Any) -> str:
    return str(full_schema.config.name_converter.get_graphql_name(field))
