"""The per-request context: viewer, database session, dataloaders, withheld fields and audited reads."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info as StrawberryInfo

from api.auth.facts import NO_FACTS, Facts
from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models.records import partial_record_class, record_class
from api.settings import Settings

if TYPE_CHECKING:
    from api.schema.loaders import Loaders
    from api.schema.mutation_support import MutationRecord


@dataclass
class Context:
    """Everything a resolver may use. One per request; never shared."""

    viewer: Viewer
    session: AsyncSession
    sealer: Sealer
    request_id: str
    settings: Settings
    facts: Facts = NO_FACTS
    loaders: Loaders = field(init=False)
    withheld: list[dict[str, Any]] = field(default_factory=list)
    audited_reads: dict[uuid.UUID, set[str]] = field(default_factory=dict)
    mutations: list[MutationRecord] = field(default_factory=list)
    unexpected_error: bool = False
    attempted_mutation: bool = False
    operation_name: str | None = None
    document_hash: str | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        from api.schema.loaders import Loaders

        self.loaders = Loaders(self)

    async def records(self, model: type[Any], statement: Select[Any], keys: tuple[str, ...] | None = None) -> list[Any]:
        """Run an access-scoped ``select(model)`` and return read-only records of its rows (only the columns
        ``keys``, in table order, when given)."""
        if keys is None:
            make, selected = record_class(model), list(model.__table__.columns)
        else:
            make, selected = partial_record_class(model, keys), [model.__table__.columns[key] for key in keys]
        columns = statement.with_only_columns(*selected)
        async with self._lock:  # plain column rows: the Core connection is enough (no ORM result setup)
            connection = await self.session.connection()
            result = await connection.execute(columns)
        return [make(*row) for row in result]

    def exclusive(self) -> asyncio.Lock:
        """Hold the session alone (services that run several statements)."""
        return self._lock

    async def open_sealed(self, owner: uuid.UUID, record_id: uuid.UUID, column: str, value: bytes | None) -> str | None:
        """Decrypt a T3 value (serialized: loading a data key may query the session)."""
        async with self._lock:
            return await self.sealer.open(self.session, owner, record_id, column, value)

    def record_read(self, record_id: uuid.UUID, field_name: str) -> None:
        """Remember a T2/T3 read for the request's audit event."""
        self.audited_reads.setdefault(record_id, set()).add(field_name)


Info: TypeAlias = StrawberryInfo[Context, None]
