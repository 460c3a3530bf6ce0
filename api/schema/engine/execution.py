"""Faster paths through graphql-core for the commonest fields: plain attributes and to-one relations.

graphql-core resolves every field the same way: it builds a resolve-info object, collects the
arguments, calls the resolver (strawberry's wrapper around ours), checks for awaitables and completes
the value by type. For three kinds of field most of that is not needed:

- a strawberry "basic" field (no resolver, no extensions, no arguments) holding a scalar or enum:
  read the attribute and serialize it;
- a basic field holding an object (an edge's ``node``): read the attribute, then let graphql-core
  complete the object;
- a to-one relation (``to_one`` metadata, resolved by :func:`api.schema.engine.lookup.related`) whose row
  the page already prefetched with the columns its selection reads: look it up in the request's
  loaders, then let graphql-core complete it.

An object whose whole selection is made of such fields (an edge with its node, the node's plain fields
and prefetched relations, theirs in turn) is completed in one pass over a plan built once per selection
in the request (:class:`_Plan`), and a list of such objects in one loop, instead of field by field
through graphql-core.

Everything else, and any case these paths are not sure of (a value that does not serialize, a null in
a non-null field, a relation not loaded yet, ``@defer``, ``@stream``), goes to graphql-core unchanged, so
results and errors are the same as without them (``tests/engine/test_execution.py`` compares both). A field with
its own resolver, arguments or extensions (the field rule, permissions) never takes these paths.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    get_nullable_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.schema.engine.columns import page_columns
from api.schema.engine.loaders import MISSING

LEAF, OBJECT, RELATION, OTHER, TYPENAME = range(5)


class _Path(NamedTuple):
    """How a field may be resolved directly (``kind``), with what it needs."""

    kind: int
    attribute: str = ""
    serialize: Any = None
    non_null: bool = False
    model: Any = None


_SLOW = _Path(OTHER)


class _Fallback(Exception):
    """A plan met a value it is not sure of: graphql-core completes the object instead."""


class _Step(NamedTuple):
    """One response key of a plan: how to read it from the source (a field's ``_Path``, flattened so that the
    loop over a page's objects unpacks it in one go), and the plan of its object."""

    key: str
    kind: int
    attribute: str  # for TYPENAME: the type's name
    serialize: Any
    non_null: bool
    model: Any
    plan: _Plan | None
    needs: frozenset[str] | None  # a relation's columns its selection reads (None: all)

    @classmethod
    def of(cls, key: str, path: _Path, plan: _Plan | None = None, needs: frozenset[str] | None = None) -> _Step:
        return cls(key, path.kind, path.attribute, path.serialize, path.non_null, path.model, plan, needs)


class _Plan(NamedTuple):
    """How to complete an object of ``object_type`` for one selection without graphql-core."""

    object_type: GraphQLObjectType
    steps: tuple[_Step, ...]


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
    named = get_nullable_type(graphql_type)
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


class DirectExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context with direct paths for plain fields and prefetched relations."""

    enabled = True  # tests turn the direct paths off to compare

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager  # extensions with a `resolve` hook must see every field
        self._direct = self.enabled and (manager is None or manager._middleware_resolvers is None)
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, _Plan | None]] = {}
        self._needs: dict[tuple[GraphQLObjectType, int], tuple[Any, frozenset[str] | None]] = {}

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        plan = self._plan(return_type, field_details_list) if self._direct else None
        if plan is not None:
            try:
                return self._run(plan, result, info)
            except _Fallback:
                pass
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        item_type = return_type.of_type
        non_null = isinstance(item_type, GraphQLNonNull)
        named = item_type.of_type if non_null else item_type
        if self._direct and isinstance(result, list) and isinstance(named, GraphQLObjectType):
            directives = field_details_list[0].node.directives or ()
            plan = None if any(d.name.value == "stream" for d in directives) else self._plan(named, field_details_list)
            if plan is not None:
                try:
                    return [self._item(plan, item, non_null, info) for item in result]
                except _Fallback:
                    pass
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def _item(self, plan: _Plan, item: Any, non_null: bool, info: GraphQLResolveInfo[Any]) -> Any:
        if item is None:
            if non_null:
                raise _Fallback
            return None
        return self._run(plan, item, info)

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Plan | None:
        """The plan for this selection of ``object_type`` (memoized like graphql-core's subfields), or None
        when some field of it needs graphql-core."""
        key = (object_type, id(field_details_list))
        cached = self._plans.get(key)
        if cached is not None:
            return cached[1]
        plan = self._build(object_type, field_details_list)
        self._plans[key] = (field_details_list, plan)  # keeps the list alive, so its id is not reused
        return plan

    def _build(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Plan | None:
        grouped, new_defer_usages, *_ = self.collect_subfields(object_type, field_details_list)
        if new_defer_usages:
            return None
        steps = []
        for key, details in grouped.items():
            node = details[0].node
            if node.arguments or any(detail.defer_usage is not None for detail in details):
                return None
            if node.name.value == "__typename":
                steps.append(_Step.of(key, _Path(TYPENAME, object_type.name)))
                continue
            field_def = self.schema.get_field(object_type, node.name.value)
            direct = _SLOW if field_def is None else _path(field_def)
            if direct.kind == LEAF:
                steps.append(_Step.of(key, direct))
                continue
            assert field_def is not None
            graphql_type = field_def.type
            named = get_nullable_type(graphql_type)
            if direct.kind == OTHER or not isinstance(named, GraphQLObjectType):
                return None
            plan = self._plan(named, details)
            if plan is None:
                return None
            needs = self._columns(direct, named, details) if direct.kind == RELATION else None
            steps.append(_Step.of(key, direct, plan, needs))
        return _Plan(object_type, tuple(steps))

    def _columns(self, relation: _Path, named: GraphQLObjectType, field_details_list: Any) -> frozenset[str] | None:
        """The columns of the related row this selection of it reads, as the page's prefetch narrowed them
        (:func:`api.schema.engine.columns.page_columns`); None: every column."""
        key = (named, id(field_details_list))
        cached = self._needs.get(key)
        if cached is not None:
            return cached[1]
        grouped, *_ = self.collect_subfields(named, field_details_list)
        names = {details[0].node.name.value for details in grouped.values()}
        keys = page_columns(self.schema._strawberry_schema, relation.model, named.name, names, "id")  # type: ignore[attr-defined]
        needs = None if keys is None else frozenset(keys)
        self._needs[key] = (field_details_list, needs)  # keeps the list alive, so its id is not reused
        return needs

    def _run(self, plan: _Plan, source: Any, info: GraphQLResolveInfo[Any]) -> dict[str, Any]:
        """The completed object, or _Fallback when a value needs graphql-core (which reports errors). The
        hottest loop of a list request: it reads the steps as flat tuples and inlines :meth:`_leaf`."""
        is_type_of = plan.object_type.is_type_of
        if is_type_of is not None and is_type_of(source, info) is not True:
            raise _Fallback
        completed: dict[str, Any] = {}
        for key, kind, attribute, serialize, non_null, model, below, needs in plan.steps:
            if kind == LEAF:
                try:
                    raw = getattr(source, attribute)
                    value = None if raw is None else serialize(raw)
                except Exception:  # graphql-core reports it as it always does
                    raise _Fallback from None
                if value is None and (non_null or raw is not None):
                    raise _Fallback  # a null in a non-null field, or a value the serializer refused
            elif kind == TYPENAME:
                value = attribute
            else:
                found = (
                    getattr(source, attribute, MISSING)
                    if kind == OBJECT
                    else self._related(model, source, attribute, needs)
                )
                if found is MISSING or (found is None and non_null):
                    raise _Fallback
                if found is not None:
                    assert below is not None
                    found = self._run(below, found, info)
                value = found
            completed[key] = value
        return completed

    def _related(self, model: Any, source: Any, foreign_key: str, needs: frozenset[str] | None) -> Any:
        """The prefetched related row (None: no relation or not readable), or MISSING when it is not loaded with
        the columns ``needs`` or the source row lacks the foreign key (the resolver then fails loudly)."""
        try:
            record_id = getattr(source, foreign_key)
        except AttributeError:
            return MISSING
        return None if record_id is None else self.context_value.loaders.cached(model, record_id, needs)

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
                named = get_nullable_type(field_def.type)
                needs = None
                if direct.kind == RELATION and isinstance(named, GraphQLObjectType):
                    needs = self._columns(direct, named, field_details_list)
                found = self._object(direct, source, needs)
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

    def _object(self, direct: _Path, source: Any, needs: frozenset[str] | None) -> Any:
        """The object to complete, or MISSING when graphql-core should resolve it."""
        if direct.kind == OBJECT:
            return getattr(source, direct.attribute, MISSING)
        return self._related(direct.model, source, direct.attribute, needs)
