"""The per-request context: viewer, database session, dataloaders, withheld fields and audited reads."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info as StrawberryInfo

from api.auth.facts import NO_FACTS, Facts
from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models.records import partial_record_class, record_class
from api.settings import Settings

if TYPE_CHECKING:
    from api.schema.engine.loaders import Loaders
    from api.schema.engine.mutation_support import MutationRecord


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
    audited_reads: dict[uuid.UUID | None, set[str]] = field(default_factory=dict)  # None: a lookup, no record
    mutations: list[MutationRecord] = field(default_factory=list)
    unexpected_error: bool = False
    database_unavailable: bool = False  # an error was the database failing: the view answers 503
    attempted_mutation: bool = False
    operation_name: str | None = None
    document_hash: str | None = None
    requested_cost: int = 0  # the document's cost, counted before it ran (api.schema.engine.cost): rate limits spend it
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        from api.schema.engine.loaders import Loaders

        self.loaders = Loaders(self)

    async def records(
        self,
        model: type[Any],
        statement: Select[Any],
        keys: tuple[str, ...] | None = None,
        parameters: dict[str, Any] | None = None,
        *,
        reused: bool = False,
    ) -> list[Any]:
        """Run an access-scoped ``select(model)`` and return read-only records of its rows (only the columns
        ``keys``, in table order, when given); ``parameters`` bind the statement's unvalued bindparams.
        ``reused``: the statement object comes back on other requests (a memoized one), so its narrowed form
        is kept too; a one-off statement (with a request's filter values) is not kept."""
        narrow = _selecting if reused else _selecting.__wrapped__
        make, columns = narrow(cast(Hashable, model), statement, keys)
        async with self._lock:  # plain column rows: the Core connection is enough (no ORM result setup)
            connection = await self.session.connection()
            result = await connection.execute(columns, parameters)
        return [make(*row) for row in result]

    def exclusive(self) -> asyncio.Lock:
        """Hold the session alone (services that run several statements)."""
        return self._lock

    async def open_sealed(self, owner: uuid.UUID, record_id: uuid.UUID, column: str, value: bytes | None) -> str | None:
        """Decrypt a T3 value (serialized: loading a data key may query the session)."""
        async with self._lock:
            return await self.sealer.open(self.session, owner, record_id, column, value)

    def record_read(self, record_id: uuid.UUID | None, field_name: str) -> None:
        """Remember a T2/T3 read for the request's audit event (``record_id`` None: a lookup by the field's
        value, audited whether it finds a record or not)."""
        self.audited_reads.setdefault(record_id, set()).add(field_name)


Info: TypeAlias = StrawberryInfo[Context, None]


@lru_cache(maxsize=4096)
def _selecting(model: Any, statement: Select[Any], keys: tuple[str, ...] | None) -> tuple[Any, Select[Any]]:
    """The record class and the statement narrowed to its columns. Kept per statement object (statements hash
    by identity; the memoized ones of :mod:`api.auth.access`, :mod:`api.schema.engine.relay` and the loaders come
    back on every request), so SQLAlchemy finds the statement's cache key already computed."""
    if keys is None:
        return record_class(model), statement.with_only_columns(*model.__table__.columns)
    return partial_record_class(model, keys), statement.with_only_columns(*(model.__table__.columns[k] for k in keys))
