"""Bounded lists: a record's small to-many relations, returned oldest first, at most ``first`` of them.

Every list of records in the schema is a connection (:mod:`api.schema.engine.relay`) or one of these:
``first`` defaults to :data:`LIST_DEFAULT` and may not exceed ``MAX_PAGE_SIZE``, so the cost of a
document (:mod:`api.schema.engine.cost`) is known before it runs.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import strawberry
from sqlalchemy.orm import InstrumentedAttribute

from api.schema.engine.context import Info
from api.schema.engine.errors import BadRequestError
from api.schema.engine.lookup import children
from api.schema.engine.relay import MAX_PAGE_SIZE

LIST_DEFAULT = 20

ListFirstArg = Annotated[
    int,
    strawberry.argument(
        description=f"At most this many items, oldest first (1-{MAX_PAGE_SIZE}; default {LIST_DEFAULT})."
    ),
]


def checked_first(first: int) -> int:
    """``first`` when within 1..MAX_PAGE_SIZE; BadRequestError otherwise."""
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadRequestError(f"`first` must be between 1 and {MAX_PAGE_SIZE}.", code="PAGE_SIZE_OUT_OF_RANGE")
    return first


def first_children(info: Info, foreign_key: InstrumentedAttribute[Any], parent_id: uuid.UUID, first: int) -> Any:
    """The first ``first`` readable rows pointing at ``parent_id``, oldest first (an awaitable when not loaded)."""
    size = checked_first(first)  # before the load: a refused page leaves no batch pending
    return children(info, foreign_key, parent_id, size)  # at most ``size`` rows are fetched (in SQL)
