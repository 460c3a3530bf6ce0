"""What a document costs, before it runs: the objects its answer may hold at most (limit ``cost``).

Counted the way GitHub counts nodes: every field returning an object counts once per object it may
return, times the objects above it. A list counts its page size: a connection's ``first``/``last``
(variables resolved) for its ``edges`` and ``nodes``, a bounded list's ``first`` (or its default),
``nodes(ids:)`` the ids given, any other list of objects (``userErrors``) :data:`UNSIZED`. Leaves are
free; ``__typename`` too; introspection (``__schema``, ``__type``) costs 1. Fragments and inline fragments
are followed (each fragment costed once per type and page size: no blow-up), ``@skip``/``@include``
honoured when their condition is known. The answer's ``actual`` cost counts its objects the same way.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    validate,
)

from api.schema.engine.errors import BadRequestError
from api.schema.engine.limits import Limits
from api.schema.engine.request_body import parse_document

MAX_PAGE = 100  # the largest page (api.schema.engine.relay.MAX_PAGE_SIZE): larger sizes are refused anyway
UNSIZED = 5  # a list of objects without a size of its own (a mutation's userErrors)
_COMPOSITE = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)


def requested_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None, variables: Any) -> int:
    """The most objects the operation's answer may hold (0 when the operation cannot be chosen)."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    values = _variables(operation, variables if isinstance(variables, dict) else {})
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _Counter(schema, fragments, values).selection(root, operation.selection_set, None)


def actual_cost(data: Any) -> int:
    """The objects an answer's ``data`` holds (its root not counted)."""
    return _objects(data) - 1 if type(data) is dict else 0


def _objects(value: Any) -> int:
    """The dicts in ``value`` (a dict or a list), itself included: recursion as deep as the answer (bounded)."""
    if type(value) is dict:
        count = 1
        for item in value.values():
            if type(item) is dict or type(item) is list:
                count += _objects(item)
        return count
    count = 0
    for item in value:
        if type(item) is dict or type(item) is list:
            count += _objects(item)
    return count


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        return next((o for o in operations if o.name is not None and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None


def _variables(operation: OperationDefinitionNode, given: dict[str, Any]) -> dict[str, Any]:
    """The operation's variables: the values given, else the defaults declared."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif definition.default_value is not None:
            values[name] = _literal(definition.default_value, {})
    return values


def _literal(node: ValueNode, variables: dict[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, BooleanValueNode):
        return node.value
    if isinstance(node, ListValueNode):
        return list(node.values)
    return None


class _Counter:
    """One document's costing: fragments costed once per (name, type, page size)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: Any) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.memo: dict[tuple[str, str, int | None], int] = {}
        self.spreading: set[str] = set()

    def selection(self, parent: Any, selection_set: SelectionSetNode | None, page: int | None) -> int:
        """The cost of ``selection_set`` on one object of ``parent`` (``page``: its connection's size)."""
        total = 0
        for node in selection_set.selections if selection_set is not None else ():
            if not self._included(node):
                continue
            if isinstance(node, FieldNode):
                total += self._field(parent, node, page)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                target = self.schema.get_type(condition.name.value) if condition is not None else parent
                total += self.selection(target, node.selection_set, page) if target is not None else 0
            elif isinstance(node, FragmentSpreadNode):
                total += self._spread(node.name.value, page)
        return total

    def _spread(self, name: str, page: int | None) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.spreading:  # unknown or cyclic: validation refuses it
            return 0
        key = (name, fragment.type_condition.name.value, page)
        if key not in self.memo:
            self.spreading.add(name)
            target = self.schema.get_type(key[1])
            self.memo[key] = self.selection(target, fragment.selection_set, page) if target is not None else 0
            self.spreading.discard(name)
        return self.memo[key]

    def _field(self, parent: Any, node: FieldNode, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0 if name == "__typename" else 1
        definition: GraphQLField | None = getattr(parent, "fields", {}).get(name)
        if definition is None or not isinstance(get_named_type(definition.type), _COMPOSITE):
            return 0  # a leaf, or a field validation will refuse
        size = self._size(definition, node)
        listed = _is_list(definition.type)
        count = (size if size is not None else page if page is not None else UNSIZED) if listed else 1
        below = size if not listed else None  # a connection hands its size to its edges and nodes
        return count + count * self.selection(get_named_type(definition.type), node.selection_set, below)

    def _size(self, definition: GraphQLField, node: FieldNode) -> int | None:
        """The page size the field asks for: ``first``/``last`` (or the argument's default), ``ids``."""
        given = {argument.name.value: _literal(argument.value, self.variables) for argument in node.arguments or ()}
        for name in ("first", "last"):
            value = given.get(name)
            if isinstance(value, int):
                return max(0, min(value, MAX_PAGE))
        if "ids" in given and isinstance(given["ids"], list):
            return min(len(given["ids"]), MAX_PAGE)
        if "first" in definition.args:
            default = definition.args["first"].default_value
            return default if isinstance(default, int) else MAX_PAGE
        return MAX_PAGE if "ids" in definition.args else None

    def _included(self, node: Any) -> bool:
        """False when ``@skip(if: true)`` or ``@include(if: false)`` is known from the document."""
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            condition = next((a.value for a in directive.arguments if a.name.value == "if"), None)
            value = _literal(condition, self.variables) if condition is not None else None
            if isinstance(value, bool) and value == (name == "skip"):
                return False
        return True


def _is_list(graphql_type: Any) -> bool:
    if isinstance(graphql_type, GraphQLNonNull):
        graphql_type = graphql_type.of_type
    return isinstance(graphql_type, GraphQLList)


def estimate(schema: GraphQLSchema, query: str, variables: Any, operation_name: str | None, limits: Limits) -> int:
    """What ``query`` would cost the caller, validated against ``schema`` (theirs) and never run."""
    if len(query) > limits.document_chars:
        raise BadRequestError(f"The document exceeds {limits.document_chars} characters.", code="DOCUMENT_TOO_LARGE")
    try:
        document = parse_document(query, limits.tokens)
    except GraphQLError:
        raise BadRequestError("The document does not parse.", code="INVALID_DOCUMENT") from None
    if validate(schema, document, max_errors=1) or _operation(document, operation_name) is None:
        raise BadRequestError(
            "The document is not valid against your schema (or names no single operation).", code="INVALID_DOCUMENT"
        )
    return requested_cost(schema, document, operation_name, variables)
