"""Data-key rotation: a new data key per organization, every sealed value moved to it, old keys retired.

The sealed columns come from the models (``sealed()`` marks them), never from a list here. What is
left to do is read from the data itself: a ciphertext names its data key (bytes 2-17), so a value is
stale when that key is not its organization's active one. An interrupted run therefore resumes
without any state of its own. Rows are re-sealed window by window along the primary key (so every
statement fits the statement timeout however large the table; ``api.services.protection.batches``), each window its
own transaction and one executemany UPDATE, taking only rows no live writer holds (``FOR UPDATE SKIP
LOCKED``; held rows are retried once the pass is done) and leaving ``version`` and ``updated_at`` alone:
re-encryption changes how a value is stored, not the record.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Interval,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from tqdm import tqdm

from api.crypto import ACTIVE_KEY_TTL, Sealer
from api.models import Base, DataKey
from api.models.base import storage_name
from api.observability import metrics
from api.services.protection.batches import FIRST, estimated_rows, in_window, next_window
from api.services.protection.keys import KeyRotationError

BATCH = 500
# running instances cache the active key id for ACTIVE_KEY_TTL; a transaction may run a little longer
DEFAULT_GRACE = timedelta(seconds=ACTIVE_KEY_TTL + 30)
LOCKED_RETRIES = 30
NAMING_WINDOW = 20_000  # rows per statement when listing the keys ciphertexts name
Say = Callable[[str], None]


@dataclass(frozen=True)
class ReencryptReport:
    """Counts of a re-encryption run (never values or key material)."""

    new_keys: int
    rows: int
    retired: int
    still_used: int
    remaining: int = 0

    def __str__(self) -> str:
        text = f"{self.new_keys} new data keys; {self.rows} rows re-sealed"
        if self.retired or self.still_used:
            text += f"; {self.retired} old data keys deleted, {self.still_used} still in use"
        if self.remaining:
            text += f"; {self.remaining} rows left (held by writers): run again with --resume"
        return text + "."


def sealed_columns() -> list[tuple[Table, list[Column[bytes]]]]:
    """Every table with sealed (T3) columns and those columns, from the models' declarations."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [column for column in table.columns if column.info.get("sealed")]
        if columns:
            found.append((table, columns))
    return found


async def reencrypt(
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    *,
    resume: bool = False,
    retire: bool = False,
    grace: timedelta = DEFAULT_GRACE,
    batch: int = BATCH,
    progress: bool = False,
    say: Say = lambda _message: None,
) -> ReencryptReport:
    """Rotate every organization's data key (unless ``resume``), re-seal, and optionally retire old keys."""
    await require_configured_keks(sessions, sealer)
    new_keys = 0 if resume else await rotate_data_keys(sessions, sealer)
    rows, remaining = await reseal_all(sessions, sealer, batch=batch, progress=progress)
    retired = still_used = 0
    if retire:
        await wait_out_grace(sessions, "DATA", grace, say)
        # values written meanwhile with an old key
        more, remaining = await reseal_all(sessions, sealer, batch=batch, progress=progress)
        rows += more
        retired, still_used = await retire_data_keys(sessions, grace)
    return ReencryptReport(new_keys, rows, retired, still_used, remaining)


async def require_configured_keks(sessions: async_sessionmaker[AsyncSession], sealer: Sealer) -> None:
    """Refuse to start unless every stored key is wrapped by a configured KEK (a wrong key file stops here)."""
    configured = [kek.kek_id for kek in sealer.keks]
    async with sessions() as session:
        unknown = await session.scalar(select(func.count()).where(DataKey.kek_id.not_in(configured)))
    if unknown:
        raise KeyRotationError(
            f"{unknown} data keys are wrapped by a key-encryption key that is not configured: check the key source"
        )


async def rotate_data_keys(sessions: async_sessionmaker[AsyncSession], sealer: Sealer) -> int:
    """A new active data key for every organization that has one, in one transaction."""
    async with sessions() as session, session.begin():
        orgs = (
            await session.scalars(select(DataKey.organization_id).where(DataKey.purpose == "DATA", DataKey.active))
        ).all()
        for org_id in orgs:
            await replace_active_key(session, sealer, org_id, "DATA")
    sealer.forget()
    return len(orgs)


async def replace_active_key(session: AsyncSession, sealer: Sealer, org_id: uuid.UUID | None, purpose: str) -> None:
    """Deactivate the active key and create its successor (in this order: one active key per org and purpose)."""
    await session.execute(
        update(DataKey)
        .where(DataKey.purpose == purpose, DataKey.active, DataKey.organization_id == org_id)  # None: IS NULL
        .values(active=False, updated_at=func.now())  # updated_at: when the grace period started
    )
    await sealer.create_active_key(session, org_id, purpose)


async def count_stale(session: AsyncSession, table_name: str | None = None) -> int:
    """Rows (of every sealed table, or of ``table_name``) holding at least one value sealed with another key
    than their organization's active one."""
    total = 0
    for table, columns in sealed_columns():
        if table_name is None or table.name == table_name:
            total += (
                await session.scalar(select(func.count()).select_from(table).where(_any_stale(table, columns))) or 0
            )
    return total


async def reseal(
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    *,
    batch: int = BATCH,
    progress: bool = False,
    max_batches: int | None = None,
) -> int:
    """Re-seal every stale value under its organization's active key; returns the rows rewritten."""
    done, _held = await reseal_all(sessions, sealer, batch=batch, progress=progress, max_batches=max_batches)
    return done


async def reseal_all(
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    *,
    batch: int = BATCH,
    progress: bool = False,
    max_batches: int | None = None,
) -> tuple[int, int]:
    """One pass over every sealed table, window by window, then retries of the rows live writers held.

    Returns the rows rewritten and the rows still held by writers after ``LOCKED_RETRIES`` seconds.
    """
    tables = sealed_columns()
    total = None
    if progress:  # the catalogue's estimate: counting would scan every table
        async with sessions() as session:
            total = await estimated_rows(session, *(table for table, _columns in tables))
    done = held_left = batches = scanned = 0
    with tqdm(total=total, unit="rows", unit_scale=True, disable=not progress) as bar:
        for table, columns in tables:
            after = FIRST
            held: set[uuid.UUID] = set()
            while max_batches is None or batches < max_batches:
                async with sessions() as session, session.begin():
                    window = await next_window(session, table, after, batch)
                    if window is None:
                        break
                    where = in_window(table, after, window[0])
                    done += await _reseal_rows(session, sealer, table, columns, where)
                    held |= await _stale_ids(session, table, columns, where)  # rows live writers hold
                after, batches = window[0], batches + 1
                bar.update(window[1])
                scanned += window[1]
                metrics.key_rotation_progress(scanned, total)  # a gauge, when the command serves metrics
            done, left = await _retry_held(sessions, sealer, table, columns, held, done)
            held_left += left
            metrics.key_rotation_progress(scanned, total)
    return done, held_left


async def _retry_held(
    sessions: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    table: Table,
    columns: list[Column[bytes]],
    held: set[uuid.UUID],
    done: int,
) -> tuple[int, int]:
    """Wait for live writers to let go of the rows they held, a second at a time; the rows done, and left."""
    for _ in range(LOCKED_RETRIES):
        if not held:
            break
        await asyncio.sleep(1)
        async with sessions() as session, session.begin():
            where = table.c.id.in_(held)
            done += await _reseal_rows(session, sealer, table, columns, where)
            held = await _stale_ids(session, table, columns, where)
    return done, len(held)


async def _stale_ids(
    session: AsyncSession, table: Table, columns: list[Column[bytes]], where: ColumnElement[bool]
) -> set[uuid.UUID]:
    return set((await session.scalars(select(table.c.id).where(where, _any_stale(table, columns)))).all())


async def _reseal_rows(
    session: AsyncSession, sealer: Sealer, table: Table, columns: list[Column[bytes]], where: ColumnElement[bool]
) -> int:
    """Re-seal the stale rows of ``where`` that no live writer holds, in one executemany UPDATE."""
    statement = (
        select(table.c.id, table.c.organization_id, _active_key(table).label("active_key"), *columns)
        .where(where, _any_stale(table, columns))
        .order_by(table.c.id)
        .with_for_update(of=table, skip_locked=True)
    )
    rows = (await session.execute(statement)).mappings().all()
    updates = []
    for row in rows:
        record_id, org_id = row["id"], row["organization_id"]
        active = await _active_key_id(session, sealer, org_id, row["active_key"])
        values: dict[str, bytes | None] = {"record_id": record_id}
        for column in columns:
            value = row[column.name]
            if value is not None and value[1:17] != active.bytes:
                qualified = storage_name(column)
                plaintext = await sealer.open(session, org_id, record_id, qualified, value)
                assert plaintext is not None
                value = sealer.seal_with(active, org_id, record_id, qualified, plaintext)
            values[f"sealed_{column.name}"] = value
        updates.append(values)
    if updates:
        await session.execute(_update_sealed(table, columns), updates)
    return len(rows)


def _update_sealed(table: Table, columns: list[Column[bytes]]) -> Update:
    """Set the sealed columns of one row (executemany), leaving ``updated_at`` (and ``version``) alone."""
    values: dict[str, Any] = {column.name: bindparam(f"sealed_{column.name}") for column in columns}
    return update(table).where(table.c.id == bindparam("record_id")).values(**values, updated_at=table.c.updated_at)


async def _active_key_id(session: AsyncSession, sealer: Sealer, org_id: uuid.UUID, found: bytes | None) -> uuid.UUID:
    """The organization's active key as the batch's query saw it (created if the org has none yet)."""
    if found is None:
        return await sealer.active_key_id(session, org_id)
    key_id = uuid.UUID(bytes=found)
    await sealer.load(session, key_id)
    return key_id


def _active_key(table: Table) -> ColumnElement[bytes]:
    """The 16 bytes of the row's organization's active data key id, as stored inside a ciphertext."""
    return (
        select(func.uuid_send(DataKey.id))
        .where(DataKey.purpose == "DATA", DataKey.active, DataKey.organization_id == table.c.organization_id)
        .scalar_subquery()
    )


def _key_of(column: Column[bytes]) -> ColumnElement[bytes]:
    return func.substring(column, 2, 16)


def _any_stale(table: Table, columns: list[Column[bytes]]) -> ColumnElement[bool]:
    active = _active_key(table)
    return or_(*(and_(column.is_not(None), or_(active.is_(None), _key_of(column) != active)) for column in columns))


async def wait_out_grace(sessions: async_sessionmaker[AsyncSession], purpose: str, grace: timedelta, say: Say) -> None:
    """Sleep until every key of ``purpose`` deactivated so far is older than the grace period."""
    async with sessions() as session:
        age = await session.scalar(
            select(type_coerce(func.now() - func.max(DataKey.updated_at), Interval)).where(
                DataKey.purpose == purpose, ~DataKey.active
            )
        )
    if age is None or age >= grace:
        return
    wait = (grace - age).total_seconds()
    say(f"Waiting {wait:.0f} s for running instances to stop using the old keys (they re-read the active key).")
    await asyncio.sleep(wait)


async def retire_data_keys(sessions: async_sessionmaker[AsyncSession], grace: timedelta) -> tuple[int, int]:
    """Delete inactive data keys past the grace period that no ciphertext names; returns (deleted, still used)."""
    async with sessions() as session, session.begin():
        candidates = set(
            (
                await session.scalars(
                    select(DataKey.id)
                    .where(DataKey.purpose == "DATA", ~DataKey.active, DataKey.updated_at <= func.now() - grace)
                    .with_for_update()
                )
            ).all()
        )
        used = {key_id for key_id in await _named_key_ids(session) if key_id in candidates}
        if candidates - used:
            await session.execute(delete(DataKey).where(DataKey.id.in_(candidates - used)))
    return len(candidates - used), len(used)


async def _named_key_ids(session: AsyncSession) -> set[uuid.UUID]:
    """Every data key id some stored ciphertext names (read window by window: each statement stays small)."""
    found: set[uuid.UUID] = set()
    for table, columns in sealed_columns():
        after = FIRST
        while (window := await next_window(session, table, after, NAMING_WINDOW)) is not None:
            where = in_window(table, after, window[0])
            for column in columns:
                prefixes = await session.scalars(select(_key_of(column)).where(where, column.is_not(None)).distinct())
                found |= {uuid.UUID(bytes=prefix) for prefix in prefixes if len(prefix) == 16}
            after = window[0]
    return found
