"""Faster paths through graphql-core for the commonest fields: plain scalars and enums, and to-one relations.

graphql-core resolves every field the same way: it builds a resolve-info object, collects the
arguments, calls the resolver, checks for awaitables and completes the value by type. For a
strawberry "basic" field (no resolver, no extensions, no arguments) whose type is a scalar or enum,
all of that reduces to reading the attribute and serializing it; most fields of a list page are such
fields. A to-one relation (``to_one`` metadata, resolved by :func:`api.schema.lookup.related`) whose
row the page already prefetched reduces to a lookup in the request's loaders, then graphql-core's own
completion of the object. This execution context does exactly that and hands everything else (a value
it cannot serialize, a null in a non-null field, a relation not loaded yet) to graphql-core unchanged,
so results and errors are the same as without it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.schema.loaders import MISSING


class _Leaf(NamedTuple):
    attribute: str
    serialize: Any
    non_null: bool


class _Relation(NamedTuple):
    model: Any
    foreign_key: str


_NOT_FAST = _Leaf("", None, False)
_LEAVES: dict[int, _Leaf] = {}  # by id(GraphQLField): fields live as long as their (cached) schemas
_RELATIONS: dict[int, _Relation | None] = {}


def _relation(field_def: GraphQLField) -> _Relation | None:
    key = id(field_def)
    if key not in _RELATIONS:
        definition = (field_def.extensions or {}).get("strawberry-definition")
        metadata = getattr(definition, "metadata", None) or {}
        plain = definition is not None and not field_def.args and not definition.extensions
        _RELATIONS[key] = _Relation(*metadata["to_one"]) if plain and "to_one" in metadata else None
    return _RELATIONS[key]


def _leaf(field_def: GraphQLField) -> _Leaf:
    found = _LEAVES.get(id(field_def))
    if found is None:
        found = _LEAVES[id(field_def)] = _classify(field_def)
    return found


def _classify(field_def: GraphQLField) -> _Leaf:
    definition = (field_def.extensions or {}).get("strawberry-definition")
    if definition is None or field_def.args or not getattr(field_def.resolve, "_is_default", False):
        return _NOT_FAST
    graphql_type = field_def.type
    non_null = isinstance(graphql_type, GraphQLNonNull)
    named = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return _NOT_FAST
    return _Leaf(definition.python_name, named.serialize, non_null)


class FastLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context with a direct path for plain scalar and enum fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager  # extensions with a `resolve` hook must see every field
        self._direct = manager is None or manager._middleware_resolvers is None

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        node = field_details_list[0].node
        field_def = self.schema.get_field(parent_type, node.name.value)
        if self._direct and field_def is not None and not node.arguments:
            leaf = _leaf(field_def)
            if leaf.serialize is not None:
                try:
                    value = getattr(source, leaf.attribute)
                    if value is not None:
                        serialized = leaf.serialize(value)
                        if serialized is not Undefined and serialized is not None:
                            return serialized
                    elif not leaf.non_null:
                        return None
                except Exception:  # noqa: S110 (graphql-core below reports it as it always does)
                    pass
            relation = _relation(field_def)
            if relation is not None:
                found = self._prefetched(relation, source)
                if found is not MISSING and (found is not None or not isinstance(field_def.type, GraphQLNonNull)):
                    info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
                    return self.complete_value(field_def.type, field_details_list, info, path, found, position_context)
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _prefetched(self, relation: _Relation, source: Any) -> Any:
        """The related row as :func:`api.schema.lookup.related` would return it, or MISSING if not loaded."""
        record_id = getattr(source, relation.foreign_key, None)
        if record_id is None:
            return None
        return self.context_value.loaders.cached(relation.model, record_id)
