"""Per-request dataloaders: one batched, access-scoped query per relation and nesting level."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import InstrumentedAttribute
from strawberry.dataloader import DataLoader

from api.auth.access import readable

if TYPE_CHECKING:
    from api.schema.context import Context


class Loaders:
    """Dataloaders of one request, created on first use; every query goes through ``readable``."""

    def __init__(self, context: Context) -> None:
        self._context = context
        self._by_id: dict[type[Any], DataLoader[uuid.UUID, Any]] = {}
        self._children: dict[InstrumentedAttribute[Any], DataLoader[uuid.UUID, list[Any]]] = {}

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

    async def _load_by_id(self, model: type[Any], ids: Sequence[uuid.UUID]) -> list[Any]:
        statement = readable(self._context.viewer, model).where(model.id.in_(ids))
        found = {row.id: row for row in await self._context.scalars(statement)}
        return [found.get(i) for i in ids]

    async def _load_children(self, foreign_key: InstrumentedAttribute[Any], keys: Sequence[uuid.UUID]) -> list[Any]:
        model: type[Any] = foreign_key.class_  # type: ignore[assignment]
        statement = (
            readable(self._context.viewer, model).where(foreign_key.in_(keys)).order_by(model.created_at, model.id)
        )
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await self._context.scalars(statement):
            grouped[getattr(row, foreign_key.key)].append(row)
        return [grouped.get(k, []) for k in keys]
