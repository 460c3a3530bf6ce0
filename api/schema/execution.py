"""Faster paths through graphql-core for the commonest fields: plain attributes and to-one relations.

graphql-core resolves every field the same way: it builds a resolve-info object, collects the
arguments, calls the resolver (strawberry's wrapper around ours), checks for awaitables and completes
the value by type. For three kinds of field most of that is not needed:

- a strawberry "basic" field (no resolver, no extensions, no arguments) holding a scalar or enum:
  read the attribute and serialize it;
- a basic field holding an object (an edge's ``node``): read the attribute, then let graphql-core
  complete the object;
- a to-one relation (``to_one`` metadata, resolved by :func:`api.schema.lookup.related`) whose row
  the page already prefetched: look it up in the request's loaders, then let graphql-core complete it.

Everything else, and any case these paths are not sure of (a value that does not serialize, a null in
a non-null field, a relation not loaded yet), goes to graphql-core unchanged, so results and errors
are the same as without them (``tests/test_execution.py`` compares both).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import GraphQLEnumType, GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.schema.loaders import MISSING

LEAF, OBJECT, RELATION, OTHER = range(4)


class _Path(NamedTuple):
    """How a field may be resolved directly (``kind``), with what it needs."""

    kind: int
    attribute: str = ""
    serialize: Any = None
    non_null: bool = False
    model: Any = None


_SLOW = _Path(OTHER)


def _path(field_def: GraphQLField) -> _Path:
    found: _Path | None = field_def.__dict__.get("_direct_path")
    if found is None:
        found = field_def.__dict__["_direct_path"] = _classify(field_def)
    return found


def _classify(field_def: GraphQLField) -> _Path:
    definition = (field_def.extensions or {}).get("strawberry-definition")
    if definition is None or field_def.args or definition.extensions:
        return _SLOW
    graphql_type = field_def.type
    non_null = isinstance(graphql_type, GraphQLNonNull)
    named = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
    metadata = definition.metadata or {}
    if "to_one" in metadata:
        model, foreign_key = metadata["to_one"]
        return _Path(RELATION, foreign_key, non_null=non_null, model=model)
    if not getattr(field_def.resolve, "_is_default", False):
        return _SLOW
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return _Path(LEAF, definition.python_name, _serializer(named), non_null)
    if isinstance(named, GraphQLObjectType):
        return _Path(OBJECT, definition.python_name, non_null=non_null)
    return _SLOW


def _serializer(named: GraphQLScalarType | GraphQLEnumType) -> Any:
    """The type's serializer; for a strawberry enum, a dict lookup from member to name (strawberry scans
    the values for each one; a miss returns None, which hands the value to strawberry)."""
    members = getattr(named, "wrapped_cls", None)
    if not isinstance(named, GraphQLEnumType) or members is None:
        return named.serialize
    names = {member: name for name, value in named.values.items() for member in members if member.value == value.value}
    return names.get


class FastLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context with direct paths for plain fields and prefetched relations."""

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
            direct = _path(field_def)
            if direct.kind == LEAF:
                value = self._leaf(direct, source)
                if value is not Undefined:
                    return value
            elif direct.kind != OTHER:
                found = self._object(direct, source)
                if found is not MISSING and (found is not None or not direct.non_null):
                    info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
                    return self.complete_value(field_def.type, field_details_list, info, path, found, position_context)
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    @staticmethod
    def _leaf(direct: _Path, source: Any) -> Any:
        """The serialized value, or Undefined when graphql-core should handle it."""
        try:
            value = getattr(source, direct.attribute)
            if value is None:
                return Undefined if direct.non_null else None
            serialized = direct.serialize(value)
        except Exception:  # graphql-core reports it as it always does
            return Undefined
        return Undefined if serialized is None else serialized

    def _object(self, direct: _Path, source: Any) -> Any:
        """The object to complete, or MISSING when graphql-core should resolve it."""
        if direct.kind == OBJECT:
            return getattr(source, direct.attribute, MISSING)
        return self._prefetched(direct, source)

    def _prefetched(self, direct: _Path, source: Any) -> Any:
        """The related row as :func:`api.schema.lookup.related` would return it, or MISSING if not loaded."""
        record_id = getattr(source, direct.attribute, None)
        if record_id is None:
            return None
        return self.context_value.loaders.cached(direct.model, record_id)
