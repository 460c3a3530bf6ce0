"""Helpers resolvers use to follow relations through the access-scoped dataloaders."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute

from api.schema.context import Info


async def load_one(info: Info, model: type[Any], record_id: uuid.UUID | None) -> Any:
    """The related row if the viewer may read it, else None."""
    if record_id is None:
        return None
    return await info.context.loaders.by_id(model).load(record_id)


async def load_children(info: Info, foreign_key: InstrumentedAttribute[Any], parent_id: uuid.UUID) -> list[Any]:
    """The readable rows pointing at ``parent_id`` through ``foreign_key``."""
    return await info.context.loaders.children(foreign_key).load(parent_id)
