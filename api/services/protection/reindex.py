"""Blind-index key rotation: a new network index key, every blind index (e.g. ``a_number_index``) recomputed.

An index is an HMAC and names no key, so what is left cannot be read from the data: a run recomputes
every index, waits until running instances have picked up the new key (they cache it for
``ACTIVE_KEY_TTL``), then recomputes the rows written in the meantime. Re-running finishes an
interrupted run. Lookups made by an instance still on the old key may miss during that window, and
idempotency keys claimed before the rotation report a reuse if repeated (their digests used the old key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, ColumnElement, Table, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from api.crypto import Sealer
from api.models import Base, DataKey
from api.models.base import storage_name
from api.services.protection.batches import FIRST, estimated_rows, in_window, next_window
from api.services.protection.reencrypt import (
    BATCH,
    DEFAULT_GRACE,
    Say,
    replace_active_key,
    require_configured_keks,
    wait_out_grace,
)

PURPOSE = "BLIND_INDEX"


@dataclass(frozen=True)
class ReindexReport:
    """Counts of a blind-index rotation."""

    new_keys: int
    rows: int
    retired: int

    def __str__(self) -> str:
        return f"{self.new_keys} new blind-index key; {self.rows} blind indexes recomputed; {self.retired} old keys deleted."


def blind_index_columns() -> list[tuple[Table, Column[bytes], Column[bytes]]]:
    """(table, index column, sealed source column) for every column declared ``info={"blind_index_of": ...}``."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            source = column.info.get("blind_index_of")
            if source is not None:
                found.append((table, column, table.c[source]))
    return found


async def reindex(
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    *,
    resume: bool = False,
    retire: bool = False,
    grace: timedelta = DEFAULT_GRACE,
    batch: int = BATCH,
    progress: bool = False,
    say: Say = lambda _message: None,
) -> ReindexReport:
    """Rotate the blind-index key (unless ``resume``), recompute every index, and optionally delete the old key."""
    await require_configured_keks(sessions, sealer)
    if not resume:
        async with sessions() as session, session.begin():
            await replace_active_key(session, sealer, None, PURPOSE)
        sealer.forget()
    async with sessions() as session:
        since = await session.scalar(select(DataKey.created_at).where(DataKey.purpose == PURPOSE, DataKey.active))
    rows = await recompute(sessions, sealer, batch=batch, progress=progress)
    await wait_out_grace(sessions, PURPOSE, grace, say)
    if since is not None:  # rows written meanwhile by instances that still used the old key
        rows += await recompute(sessions, sealer, batch=batch, since=since)
    retired = 0
    if retire:
        async with sessions() as session, session.begin():
            deleted = await session.scalars(
                delete(DataKey)
                .where(DataKey.purpose == PURPOSE, ~DataKey.active, DataKey.updated_at <= func.now() - grace)
                .returning(DataKey.id)
            )
            retired = len(deleted.all())
    return ReindexReport(0 if resume else 1, rows, retired)


async def recompute(
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    *,
    batch: int = BATCH,
    since: datetime | None = None,
    progress: bool = False,
) -> int:
    """Recompute the blind indexes of every row (or of rows updated since ``since``) with the active key."""
    done = 0
    for table, index, source in blind_index_columns():
        condition = [source.is_not(None)] + ([table.c.updated_at >= since] if since is not None else [])
        total = None
        if progress:  # the catalogue's estimate: a count would scan the table
            async with sessions() as session:
                total = await estimated_rows(session, table)
        with tqdm(total=total, unit="rows", unit_scale=True, disable=not progress) as bar:
            after = FIRST
            while True:
                async with sessions() as session, session.begin():
                    window = await next_window(session, table, after, batch)
                    if window is None:
                        break
                    where = [in_window(table, after, window[0]), *condition]
                    done += await _recompute_rows(session, sealer, table, index, source, where)
                after = window[0]
                bar.update(window[1])
    return done


async def _recompute_rows(
    session: AsyncSession,
    sealer: Sealer,
    table: Table,
    index: Column[bytes],
    source: Column[bytes],
    conditions: list[ColumnElement[bool]],
) -> int:
    """Recompute the indexes of the rows matching ``conditions``, in one executemany UPDATE."""
    rows = (
        await session.execute(
            select(table.c.id, table.c.organization_id, source)
            .where(*conditions)
            .order_by(table.c.id)
            .with_for_update()
        )
    ).all()
    updates = []
    for record_id, org_id, sealed in rows:
        plaintext = await sealer.open(session, org_id, record_id, storage_name(source), sealed)
        assert plaintext is not None
        updates.append({"record_id": record_id, "digest": await sealer.blind_index(session, plaintext)})
    if updates:
        statement = (
            update(table)
            .where(table.c.id == bindparam("record_id"))
            .values({index.name: bindparam("digest"), "updated_at": table.c.updated_at})
        )
        await session.execute(statement, updates)
    return len(rows)
