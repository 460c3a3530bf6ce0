"""Per-request dataloaders and row cache: one batched, access-scoped query per relation and level."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Hashable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Integer, Select, any_, bindparam, func
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from api.auth.access import readable
from api.models.records import holds

if TYPE_CHECKING:
    from api.schema.engine.context import Context

MISSING: Any = object()
ChildRows = tuple[int, list[Any]]  # (the ``first`` they were loaded with, the rows: at most that many)


class Loaders:
    """Loaders of one request; every query goes through ``readable`` and fills a per-request cache."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._by_id: dict[type[Any], DataLoader[uuid.UUID, Any]] = {}
        self._children: dict[tuple[InstrumentedAttribute[Any], int], DataLoader[uuid.UUID, list[Any]]] = {}
        self._rows: dict[type[Any], dict[uuid.UUID, Any]] = defaultdict(dict)
        self._child_rows: dict[InstrumentedAttribute[Any], dict[uuid.UUID, ChildRows]] = defaultdict(dict)

    def cached(self, model: type[Any], record_id: uuid.UUID, needs: frozenset[str] | None = None) -> Any:
        """The loaded row (None if unreadable), or MISSING when not loaded yet or loaded without a column
        of ``needs`` (None: every column)."""
        row = self._rows[model].get(record_id, MISSING)
        return row if row is MISSING or holds(row, needs) else MISSING

    def cached_children(self, foreign_key: InstrumentedAttribute[Any], parent_id: uuid.UUID, first: int) -> Any:
        """The first ``first`` loaded child rows, or MISSING when not loaded yet (or loaded with a smaller
        ``first`` that may have left some out)."""
        loaded = self._child_rows[foreign_key].get(parent_id)
        return loaded[1][:first] if loaded is not None and _covers(loaded, first) else MISSING

    def by_id(self, model: type[Any]) -> DataLoader[uuid.UUID, Any]:
        """Rows of ``model`` by id; an id the viewer may not read loads as None."""
        loader = self._by_id.get(model)
        if loader is None:
            loader = self._by_id[model] = DataLoader(load_fn=lambda ids: self._load_by_id(model, ids))
        return loader

    def children(self, foreign_key: InstrumentedAttribute[Any], first: int) -> DataLoader[uuid.UUID, list[Any]]:
        """The first ``first`` readable rows whose ``foreign_key`` equals each key, oldest first."""
        loader = self._children.get((foreign_key, first))
        if loader is None:
            loader = self._children[foreign_key, first] = DataLoader(
                load_fn=lambda keys: self._load_children(foreign_key, keys, first)
            )
        return loader

    async def prime(self, model: type[Any], ids: Collection[uuid.UUID], keys: tuple[str, ...] | None = None) -> None:
        """Load all of ``ids`` not loaded yet (with the columns ``keys``, all when None) in one query."""
        needs = None if keys is None else frozenset(keys)
        cache = self._rows[model]
        wanted = [i for i in ids if i not in cache or not holds(cache[i], needs)]
        if wanted:
            await self._load_by_id(model, wanted, keys)

    async def prime_children(
        self, foreign_key: InstrumentedAttribute[Any], parent_ids: Sequence[uuid.UUID], first: int
    ) -> None:
        """Load the first ``first`` children of all of ``parent_ids`` not loaded yet in one query."""
        cache = self._child_rows[foreign_key]
        wanted = [i for i in parent_ids if i not in cache or not _covers(cache[i], first)]
        if wanted:
            await self._load_children(foreign_key, wanted, first)

    async def _load_by_id(
        self, model: type[Any], ids: Sequence[uuid.UUID], keys: tuple[str, ...] | None = None
    ) -> list[Any]:
        statement = _by_id(readable(self._context.viewer, model), cast(Hashable, model))
        rows = await self._context.records(model, statement, keys, {"ids": list(ids)}, reused=True)
        found = {row.id: row for row in rows}
        cache = self._rows[model]
        for i in ids:
            if i in cache and holds(cache[i], None):  # never replace a whole row (or a known None) by a partial one
                continue
            cache[i] = found.get(i)
        return [found.get(i) for i in ids]

    async def _load_children(
        self, foreign_key: InstrumentedAttribute[Any], keys: Sequence[uuid.UUID], first: int
    ) -> list[Any]:
        model: type[Any] = foreign_key.class_  # type: ignore[assignment]
        statement = _by_parent(readable(self._context.viewer, model), cast(Hashable, model), foreign_key.key)
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        parameters = {"ids": list(keys), "first": first}
        for row in await self._context.records(model, statement, None, parameters, reused=True):
            grouped[getattr(row, foreign_key.key)].append(row)
        cache = self._child_rows[foreign_key]
        for key in keys:
            if key not in cache or cache[key][0] < first:  # never replace a wider load by a narrower one
                cache[key] = (first, grouped.get(key, []))
        return [grouped.get(k, []) for k in keys]


def _covers(loaded: ChildRows, first: int) -> bool:
    """Whether rows loaded with some ``first`` hold the first ``first`` rows: loaded with at least as many, or
    fewer came back than were asked for (so there are no more)."""
    limit, rows = loaded
    return first <= limit or len(rows) < limit


# One uuid[] parameter (``= ANY($1)``) instead of one per id: a single SQL text for every batch size, so the
# server's prepared statement is reused and nothing is expanded per request. Its value is bound at execution.
_IDS = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))
_FIRST = bindparam("first", type_=Integer())


@lru_cache(maxsize=4096)
def _by_id(readable_rows: Select[Any], model: Any) -> Select[Any]:
    """The readable rows among ``:ids`` (kept per access rule statement: see ``context._selecting``)."""
    return readable_rows.where(model.id == any_(_IDS))


@lru_cache(maxsize=4096)
def _by_parent(readable_rows: Select[Any], model: Any, foreign_key: str) -> Select[Any]:
    """The first ``:first`` readable rows of each parent among ``:ids``, oldest first: the readable rows are
    numbered per parent in SQL (``row_number() OVER (PARTITION BY <foreign key> ORDER BY created_at, id)``), so
    a parent with thousands of children sends only ``:first`` of them. One SQL text for every ``first``."""
    column = getattr(model, foreign_key)
    position = func.row_number().over(partition_by=column, order_by=(model.created_at, model.id))
    ranked = readable_rows.with_only_columns(model.id, position.label("position")).where(column == any_(_IDS))
    kept = ranked.subquery("ranked")
    chosen = kept.select().with_only_columns(kept.c.id).where(kept.c.position <= _FIRST)
    return readable_rows.where(model.id.in_(chosen)).order_by(model.created_at, model.id)
