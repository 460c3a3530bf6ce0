"""Error messages that never quote what the caller sent, nor suggest names outside the viewer's schema.

graphql-core's messages quote literals, variable values, unknown names and tokens. Two layers keep
them out of responses: known message shapes are rewritten to keep their useful part (the type, the
variable and the path in it), quoted names that are not the schema's are dropped; then, deny by
default, a message that still shares text with any value or name of the request (its literals,
variables, unknown names, operation and fragment names) is replaced by a plain one. Messages of
our own errors (:class:`~api.schema.engine.errors.ClientError`) never echo input and are kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    NameNode,
    StringValueNode,
    VariableNode,
    is_enum_type,
    is_input_object_type,
    is_interface_type,
    is_object_type,
)
from graphql.language import Visitor, visit

from api.schema.engine.errors import ClientError
from api.schema.engine.request_body import Prepared
from api.schema.schema import schema

SHORTEST = 3  # shorter values are too common to recognise (and tell nothing)
WINDOW = 12  # longer ones must not share this many characters in a row with a message

_SUGGESTION = re.compile(r" Did you mean .*\?$", re.DOTALL)
_VARIABLE = re.compile(
    r"^Variable '\$(\w+)' (?:got|has) invalid value(?: at '?\w*(?P<path>(?:\.\w+|\[\d+\])+)'?)?[:;\s].*$", re.DOTALL
)
_SYNTAX = re.compile(r"^(Syntax Error: [^'\":]*?)[\s,]*(?:['\":].*)?$", re.DOTALL)
_CANNOT_REPRESENT = re.compile(r"^(.*? cannot represent [^:]*): .*$", re.DOTALL)
_FOUND = re.compile(r"^(Expected value of type '[^']*'), found .*$", re.DOTALL)
_NOT_IN_ENUM = re.compile(r"^Value .* (does not exist in '\w+' enum)\.$", re.DOTALL)
_QUOTED = re.compile(r" ?'([^']*)'")
_PLAIN = "The request is invalid at this location."


def safe_error(formatted: dict[str, Any], error: GraphQLError, sent: Sent) -> dict[str, Any]:
    """The formatted error with a message that quotes nothing the caller sent."""
    if isinstance(error, ClientError) or isinstance(error.original_error, ClientError):
        return formatted
    return {**formatted, "message": safe_message(formatted.get("message", ""), sent)}


def safe_message(message: str, sent: Sent) -> str:
    """``message`` rewritten to its safe part; a plain message when it would still echo the request."""
    message = _SUGGESTION.sub("", message)
    variable = _VARIABLE.match(message)
    if variable:
        path = variable.group(1) + (variable.group("path") or "")
        where = f" at '{path}'" if variable.group("path") and sent.may_quote(path) else ""  # a made-up key: no
        message = f"Variable '${variable.group(1)}' got an invalid value{where}."
    message = _SYNTAX.sub(r"\1.", message)
    for quoting in (_CANNOT_REPRESENT, _FOUND):
        message = quoting.sub(r"\1.", message)
    message = _NOT_IN_ENUM.sub(r"The value \1.", message)
    message = _QUOTED.sub(lambda quoted: quoted.group(0) if sent.may_quote(quoted.group(1)) else "", message)
    if sent.echoed_in(message) or not message.strip(" .:"):
        return f"Variable '${variable.group(1)}' got an invalid value." if variable else _PLAIN
    return message


class Sent:
    """What a request sent: its values and the names it made up (not the schema's, not its variables')."""

    def __init__(self, values: list[str], variables: frozenset[str]) -> None:
        self.names = _schema_names(schema._schema)
        self.variables = variables
        self.short = frozenset(v for v in values if SHORTEST <= len(v) < WINDOW and v not in self.names)
        self.long = "\x00".join(v for v in values if len(v) >= WINDOW and v not in self.names)

    @classmethod
    def of(cls, prepared: Prepared | None) -> Sent:
        """The values and names of one request: its document (or its text, when it does not parse) and body."""
        values: list[str] = []
        variables: set[str] = set()
        if prepared is not None and prepared.document is not None:
            visit(prepared.document, _Collector(values, variables))
        elif prepared is not None and isinstance(prepared.query, str):
            values.append(prepared.query)
        if prepared is not None and isinstance(prepared.payload, dict):
            values.extend(_leaves(prepared.payload.get("variables")))
            values.extend(_leaves(prepared.payload.get("operationName")))
        return cls(values, frozenset(variables))

    def may_quote(self, quoted: str) -> bool:
        """A quoted name may stay when it is the schema's (types, fields, paths) or one of the variables."""
        parts = [p for p in re.split(r"[.\[\]]", quoted.removeprefix("$")) if p and not p.isdigit()]
        known = self.variables if quoted.startswith("$") else self.names | self.variables
        return bool(parts) and all(part in known for part in parts)

    def echoed_in(self, message: str) -> bool:
        """True when ``message`` holds a short value as a word, or shares a window with a long one."""
        for value in self.short:
            if value in message and re.search(rf"(?<!\w){re.escape(value)}(?!\w)", message):
                return True
        windows = (message[i : i + WINDOW] for i in range(len(message) - WINDOW + 1))
        return bool(self.long) and any(window in self.long for window in windows)


class _Collector(Visitor):
    """Collects literal values and names of a document; variables' names apart."""

    def __init__(self, values: list[str], variables: set[str]) -> None:
        super().__init__()
        self.values, self.variables = values, variables

    def enter_variable(self, node: VariableNode, *_: object) -> Any:
        self.variables.add(node.name.value)
        return self.SKIP

    def enter_name(self, node: NameNode, *_: object) -> None:
        self.values.append(node.value)

    def enter(self, node: Any, *_: object) -> None:
        value = getattr(node, "value", None)
        if isinstance(value, str) and not isinstance(node, NameNode | StringValueNode):
            self.values.append(value)  # ints, floats, enum values

    def enter_string_value(self, node: StringValueNode, *_: object) -> None:
        self.values.append(node.value)


def _leaves(value: Any) -> Iterator[str]:
    """Every string, number and key inside a JSON value, as text."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            stack.extend(current.values())
            yield from (str(key) for key in current)
        elif isinstance(current, list):
            stack.extend(current)
        elif isinstance(current, str | int | float) and not isinstance(current, bool):
            yield str(current)


@cache
def _schema_names(schema: GraphQLSchema) -> frozenset[str]:
    """Every name of the (whole) schema: types, fields, arguments, input fields, enum values, directives."""
    names = {directive.name for directive in schema.directives}
    for name, type_ in schema.type_map.items():
        names.add(name)
        if is_object_type(type_) or is_interface_type(type_) or is_input_object_type(type_):
            for field_name, field in type_.fields.items():
                names.add(field_name)
                names.update(getattr(field, "args", {}))
        if is_enum_type(type_):
            names.update(type_.values)
    return frozenset(names)
