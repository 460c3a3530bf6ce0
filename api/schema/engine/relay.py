"""Relay conventions: the Node interface, cursor connections and keyset pagination."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Annotated, Any, Generic, TypeVar, cast

import strawberry
from sqlalchemy import Select, bindparam, tuple_
from strawberry.types.nodes import Selection

from api.auth.access import readable
from api.models.base import Tier
from api.models.records import record_class
from api.schema.engine.columns import page_columns
from api.schema.engine.context import Info
from api.schema.engine.errors import BadRequestError
from api.schema.engine.ids import decode_cursor, decode_global_id, encode_cursor, encode_global_id
from api.schema.engine.lookup import node_fields, prefetch, selected_fields
from api.schema.engine.registry import FLOORS, MODELS, RECORD_MODELS, RECORD_NAMES

MAX_PAGE_SIZE = 100

NodeT = TypeVar("NodeT")


@strawberry.interface(description="An object with an opaque, globally unique id that `node(id:)` resolves.")
class Node:
    global_id: strawberry.ID = strawberry.field(
        name="id", description="Opaque global id of this object. Stable across requests; never parse it."
    )


def node_type(model: type[Any], *, floor: Tier, description: str) -> Callable[[type[Any]], Any]:
    """Declare a type implementing Node whose resolvers receive ``model`` rows as roots."""

    def wrap(cls: type[Any]) -> Any:
        record = record_class(model)
        MODELS[cls.__name__] = model
        global_id = property(lambda row: encode_global_id(cls.__name__, row.id))  # read by Node.id
        model.global_id = record.global_id = global_id
        return row_type(model, floor=floor, description=description)(cls)

    return wrap


def row_type(model: type[Any], *, floor: Tier, description: str) -> Callable[[type[Any]], Any]:
    """Declare a type whose resolvers receive ``model`` rows as roots; ``floor`` is the tier its rows need."""

    def wrap(cls: type[Any]) -> Any:
        kinds = (model, record_class(model))
        cls.is_type_of = classmethod(lambda _cls, obj, _info: isinstance(obj, kinds))
        FLOORS[cls.__name__] = floor
        RECORD_MODELS[cls.__name__] = model
        RECORD_NAMES[model] = cls.__name__
        return strawberry.type(cls, description=description)

    return wrap


def parse_id(value: strawberry.ID, expected: str) -> uuid.UUID:
    """The UUID inside an opaque id of type ``expected``; BadRequestError for any other id."""
    type_name, record_id = decode_global_id(value)
    if type_name != expected:
        raise BadRequestError(f"Expected the id of a {expected}.", code="INVALID_ID")
    return record_id


@strawberry.type(description="Where a page sits in its connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow the last edge of this page.")
    has_previous_page: bool = strawberry.field(
        description="True when items precede the first edge (when paginating forward: a cursor was given)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first edge; pass it as `before`.")
    end_cursor: str | None = strawberry.field(description="Cursor of the last edge; pass it as `after`.")


@strawberry.type(description="One item of a connection, with the cursor that points at it.")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque position of this item; pass it as `after` or `before`.")
    node: NodeT = strawberry.field(description="The item.")


@strawberry.type(description="A page of items, in a stable order, with keyset (cursor) pagination.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the connection.")

    @strawberry.field(description="The items of this page, without cursors (shortcut for `edges { node }`).")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


@strawberry.enum(description="Ordering of a connection. Both orders are stable (ties broken by id).")
class ConnectionOrder(enum.Enum):
    CREATED_AT = strawberry.enum_value("CREATED_AT", description="Oldest created first.")
    UPDATED_AT = strawberry.enum_value(
        "UPDATED_AT", description="Least recently updated first: for incremental sync with `updatedSince`."
    )


FirstArg = Annotated[
    int | None, strawberry.argument(description=f"Return the first N items after `after` (1-{MAX_PAGE_SIZE}).")
]
AfterArg = Annotated[str | None, strawberry.argument(description="Cursor of the item to start after.")]
LastArg = Annotated[
    int | None, strawberry.argument(description=f"Return the last N items before `before` (1-{MAX_PAGE_SIZE}).")
]
BeforeArg = Annotated[str | None, strawberry.argument(description="Cursor of the item to end before.")]
OrderArg = Annotated[
    ConnectionOrder, strawberry.argument(description="Ordering of the connection (default: by creation).")
]


class Page:
    """Validated pagination arguments of one connection field."""

    def __init__(self, name: str, first: int | None, after: str | None, last: int | None, before: str | None) -> None:
        if (first is None) == (last is None):
            raise BadRequestError("Pass exactly one of `first` or `last`.", code="PAGE_SIZE_REQUIRED")
        size = first if first is not None else last
        assert size is not None
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise BadRequestError(f"Page size must be between 1 and {MAX_PAGE_SIZE}.", code="PAGE_SIZE_OUT_OF_RANGE")
        if (first is not None and before is not None) or (last is not None and after is not None):
            raise BadRequestError("Use `after` with `first` and `before` with `last`.", code="INVALID_CURSOR")
        self.name, self.size, self.forward = name, size, first is not None
        self.cursor = after if self.forward else before


async def paginate(
    info: Info,
    statement: Select[Any],
    model: type[Any],
    *,
    name: str,
    order: ConnectionOrder,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    """Run ``statement`` (already access-scoped) as one keyset page, oldest first by (timestamp, id)."""
    sort = model.updated_at if order is ConnectionOrder.UPDATED_AT else model.created_at
    return await keyset_page(info, statement, model, sort, Page(f"{name}:{order.value}", first, after, last, before))


async def keyset_page(
    info: Info, statement: Select[Any], model: type[Any], sort: Any, page: Page, *, newest_first: bool = False
) -> Connection[Any]:
    """One page of ``statement`` in (sort, id) order, read from the cursor's position with an index scan."""
    ascending = page.forward != newest_first
    keys = info.context.sealer.cursor_keys
    position = None if page.cursor is None else decode_cursor(keys, page.name, page.cursor)
    reused = statement is readable(info.context.viewer, model)  # no filters: the access rule's memoized statement
    keyset = _keyset if reused else _keyset.__wrapped__
    bounded = keyset(statement, cast(Hashable, model), sort.key, ascending, position is not None, page.size + 1)
    parameters = dict(zip(_CURSOR, position, strict=True)) if position is not None else None
    selection = info.selected_fields  # strawberry rebuilds this tree on every access: read it once
    fields = node_fields(selection)
    columns = page_columns(info.schema, model, RECORD_NAMES[model], {field.name for field in fields}, sort.key)
    rows = await info.context.records(model, bounded, columns, parameters, reused=reused)
    more = len(rows) > page.size
    rows = rows[: page.size]
    if not page.forward:
        rows.reverse()
    await prefetch(info, RECORD_NAMES[model], rows, fields)
    cursors = _cursors_selected(selection)
    edges = [
        Edge(cursor=encode_cursor(keys, page.name, getattr(r, sort.key), r.id) if cursors(i, len(rows)) else "", node=r)
        for i, r in enumerate(rows)
    ]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=more if page.forward else position is not None,
            has_previous_page=position is not None if page.forward else more,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


_CURSOR = ("cursor_sort", "cursor_id")


@lru_cache(maxsize=4096)
def _keyset(
    statement: Select[Any], model: Any, sort_key: str, ascending: bool, after_cursor: bool, limit: int
) -> Select[Any]:
    """``statement`` ordered by (sort, id), from the cursor position (bound at execution as ``_CURSOR``) when
    there is one. Kept per statement object for unfiltered pages, which start from the access rule's memoized
    statement: the same page shape reuses one statement and SQLAlchemy its computed cache key. A filtered
    page's statement is new on every request, so it is built without being kept."""
    sort = getattr(model, sort_key)
    if after_cursor:
        key = tuple_(sort, model.id)
        position = tuple_(bindparam(_CURSOR[0], type_=sort.type), bindparam(_CURSOR[1], type_=model.id.type))
        statement = statement.where(key > position if ascending else key < position)
    ordering = (sort.asc(), model.id.asc()) if ascending else (sort.desc(), model.id.desc())
    return statement.order_by(*ordering).limit(limit)


def _cursors_selected(selection: list[Selection]) -> Callable[[int, int], bool]:
    """Which edges need a cursor: all when edges { cursor } is selected, else only the ends for pageInfo."""
    for connection in selected_fields(selection):
        for part in selected_fields(connection.selections):
            if part.name == "edges" and any(f.name == "cursor" for f in selected_fields(part.selections)):
                return lambda index, count: True
    return lambda index, count: index in (0, count - 1)
