"""Shared filter arguments and their translation into SQL conditions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select

from api.auth.fields import readable_where
from api.auth.viewer import Viewer
from api.schema.engine.errors import BadRequestError
from api.schema.engine.relay import parse_id

UpdatedSinceArg = Annotated[
    datetime | None,
    strawberry.argument(
        description="Only items changed at or after this time (ISO 8601 with offset); for incremental sync, "
        "combine with `orderBy: UPDATED_AT`. Update times are network data: for anonymous callers nothing matches."
    ),
]
RegionArg = Annotated[strawberry.ID | None, strawberry.argument(description="Only items in this region (its id).")]


def apply_updated_since(
    statement: Select[Any], viewer: Viewer, model: type[Any], since: datetime | None
) -> Select[Any]:
    """Restrict to rows updated at or after ``since`` (update times are network data: none for anonymous viewers)."""
    if since is None:
        return statement
    if since.tzinfo is None:
        raise BadRequestError("`updatedSince` needs a UTC offset (e.g. 2026-01-31T09:00:00Z).", code="INVALID_DATE")
    return restricted(statement, viewer, model.updated_at).where(model.updated_at >= since)


def restricted(statement: Select[Any], viewer: Viewer, column: Any) -> Select[Any]:
    """Only the rows on which the viewer may read ``column``: a filter on a value one may not read would
    reveal it through which rows match (the field rule itself, :func:`api.auth.fields.readable_where`)."""
    condition = readable_where(viewer, column)
    return statement if condition is None else statement.where(condition)


def apply_range(
    statement: Select[Any], viewer: Viewer, column: Any, start: datetime | None, end: datetime | None, label: str
) -> Select[Any]:
    """Restrict ``column`` to [start, end), among the rows on which the viewer may read ``column``."""
    for value in (start, end):
        if value is not None and value.tzinfo is None:
            raise BadRequestError(f"`{label}` bounds need a UTC offset.", code="INVALID_DATE")
    if start is not None and end is not None and end <= start:
        raise BadRequestError(f"`{label}` range is empty: the end must be after the start.", code="INVALID_DATE")
    if start is not None or end is not None:
        statement = restricted(statement, viewer, column)
    if start is not None:
        statement = statement.where(column >= start)
    if end is not None:
        statement = statement.where(column < end)
    return statement


def apply_region(statement: Select[Any], column: Any, region: strawberry.ID | None) -> Select[Any]:
    """Restrict to one region."""
    return statement if region is None else statement.where(column == parse_id(region, "Region"))


def apply_in(statement: Select[Any], viewer: Viewer, column: Any, values: list[Any] | None, label: str) -> Select[Any]:
    """Restrict ``column`` to the given enum values, at most 50, among the rows on which the viewer may read it."""
    if values is None:
        return statement
    if len(values) > 50:
        raise BadRequestError(f"`{label}` accepts at most 50 values.", code="TOO_MANY_VALUES")
    return restricted(statement, viewer, column).where(column.in_(values))
