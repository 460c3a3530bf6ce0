"""Per-request dataloaders and row cache: one batched, access-scoped query per relation and level."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Hashable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Select, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from api.auth.access import readable
from api.models.records import holds

if TYPE_CHECKING:
    from api.schema.engine.context import Context

MISSING: Any = object()


class Loaders:
    """Loaders of one request; every query goes through ``readable`` and fills a per-request cache."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._by_id: dict[type[Any], DataLoader[uuid.UUID, Any]] = {}
        self._children: dict[InstrumentedAttribute[Any], DataLoader[uuid.UUID, list[Any]]] = {}
        self._rows: dict[type[Any], dict[uuid.UUID, Any]] = defaultdict(dict)
        self._child_rows: dict[InstrumentedAttribute[Any], dict[uuid.UUID, list[Any]]] = defaultdict(dict)

    def cached(self, model: type[Any], record_id: uuid.UUID, needs: frozenset[str] | None = None) -> Any:
        """The loaded row (None if unreadable), or MISSING when not loaded yet or loaded without a column
        of ``needs`` (None: every column)."""
        row = self._rows[model].get(record_id, MISSING)
        return row if row is MISSING or holds(row, needs) else MISSING

    def cached_children(self, foreign_key: InstrumentedAttribute[Any], parent_id: uuid.UUID) -> Any:
        """The loaded child rows, or MISSING when not loaded yet."""
        return self._child_rows[foreign_key].get(parent_id, MISSING)

    def by_id(self, model: type[Any]) -> DataLoader[uuid.UUID, Any]:
        """Rows of ``model`` by id; an id the viewer may not read loads as None."""
        loader = self._by_id.get(model)
        if loader is None:
            loader = self._by_id[model] = DataLoader(load_fn=lambda ids: self._load_by_id(model, ids))
        return loader

    def children(self, foreign_key: InstrumentedAttribute[Any]) -> DataLoader[uuid.UUID, list[Any]]:
        """Readable rows whose ``foreign_key`` equals each key, oldest first."""
        loader = self._children.get(foreign_key)
        if loader is None:
            loader = self._children[foreign_key] = DataLoader(
                load_fn=lambda keys: self._load_children(foreign_key, keys)
            )
        return loader

    async def prime(self, model: type[Any], ids: Collection[uuid.UUID], keys: tuple[str, ...] | None = None) -> None:
        """Load all of ``ids`` not loaded yet (with the columns ``keys``, all when None) in one query."""
        needs = None if keys is None else frozenset(keys)
        cache = self._rows[model]
        wanted = [i for i in ids if i not in cache or not holds(cache[i], needs)]
        if wanted:
            await self._load_by_id(model, wanted, keys)

    async def prime_children(self, foreign_key: InstrumentedAttribute[Any], parent_ids: Sequence[uuid.UUID]) -> None:
        """Load the children of all of ``parent_ids`` not loaded yet in one query."""
        wanted = [i for i in parent_ids if i not in self._child_rows[foreign_key]]
        if wanted:
            await self._load_children(foreign_key, wanted)

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

    async def _load_children(self, foreign_key: InstrumentedAttribute[Any], keys: Sequence[uuid.UUID]) -> list[Any]:
        model: type[Any] = foreign_key.class_  # type: ignore[assignment]
        statement = _by_parent(readable(self._context.viewer, model), cast(Hashable, model), foreign_key.key)
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await self._context.records(model, statement, None, {"ids": list(keys)}, reused=True):
            grouped[getattr(row, foreign_key.key)].append(row)
        cache = self._child_rows[foreign_key]
        for key in keys:
            cache[key] = grouped.get(key, [])
        return [grouped.get(k, []) for k in keys]


# One uuid[] parameter (``= ANY($1)``) instead of one per id: a single SQL text for every batch size, so the
# server's prepared statement is reused and nothing is expanded per request. Its value is bound at execution.
_IDS = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))


@lru_cache(maxsize=4096)
def _by_id(readable_rows: Select[Any], model: Any) -> Select[Any]:
    """The readable rows among ``:ids`` (kept per access rule statement: see ``context._selecting``)."""
    return readable_rows.where(model.id == any_(_IDS))


@lru_cache(maxsize=4096)
def _by_parent(readable_rows: Select[Any], model: Any, foreign_key: str) -> Select[Any]:
    """The readable rows whose ``foreign_key`` is among ``:ids``, oldest first."""
    column = getattr(model, foreign_key)
    return readable_rows.where(column == any_(_IDS)).order_by(model.created_at, model.id)
