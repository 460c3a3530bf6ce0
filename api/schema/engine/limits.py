"""What one GraphQL request may cost: every limit in one place (setting ``SANCTUARY_GRAPHQL_LIMITS``).

The body is refused before it is read whole, the document before it is parsed, the variables before
they are coerced; depth, aliases, directives, the cost (:mod:`api.schema.engine.cost`) and errors bound
the work and the answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """The limits of one request; override any of them as JSON, e.g. ``{"body_bytes": 2000000}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    body_bytes: int = Field(default=1_000_000, ge=1024)  # the HTTP body; more is a 413
    document_chars: int = Field(default=100_000, ge=100)  # the document, comments and blanks included
    tokens: int = Field(default=5000, ge=10)  # the document's tokens
    depth: int = Field(default=10, ge=1)  # nesting of selections
    aliases: int = Field(default=30, ge=0)
    directives: int = Field(default=10, ge=0)  # directive uses in the document
    errors: int = Field(default=5, ge=1)  # errors in one response
    variables_bytes: int = Field(default=100_000, ge=100)  # the variables as JSON
    variables_depth: int = Field(default=10, ge=1)  # nesting of objects and lists in the variables
    variables_values: int = Field(default=2000, ge=1)  # values (items, entries, scalars) in the variables
    cost: int = Field(default=5000, ge=1)  # objects the answer may hold, counted before it runs (cost.py)


DEFAULT_LIMITS = Limits()


def variables_within(variables: object, limits: Limits) -> bool:
    """True when no value of ``variables`` is nested deeper, and there are not more of them, than allowed."""
    for count, depth in enumerate(_depths(variables), start=1):
        if depth > limits.variables_depth or count > limits.variables_values:
            return False
    return True


def _depths(value: Any) -> Iterator[int]:
    """The depth of every value inside ``value`` (itself at 0), without recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        yield depth
        if isinstance(current, dict):
            stack.extend((item, depth + 1) for item in current.values())
        elif isinstance(current, list):
            stack.extend((item, depth + 1) for item in current)
