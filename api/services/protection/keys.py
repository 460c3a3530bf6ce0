"""Key-encryption key rotation: rewrap every data key and signing key with the newest KEK.

A rewrap changes only how a key is stored, never the key itself, so instances configured with the
new KEK first and the old one after it keep working throughout, whichever wrapping they meet.
Each batch is its own transaction; re-running finishes what an interrupted run left.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Kek, parse_master_keys
from api.models import DataKey, SigningKey

BATCH = 100
_Step = Callable[[AsyncSession, list[Kek], uuid.UUID, int], Awaitable[tuple[int, uuid.UUID | None]]]


class KeyRotationError(Exception):
    """Rotation cannot proceed (e.g. a key is wrapped by a KEK that is not configured)."""


@dataclass(frozen=True)
class RewrapReport:
    """Counts of a rewrap run (never key material)."""

    data_keys: int
    signing_keys: int
    remaining: int

    def __str__(self) -> str:
        return (
            f"Rewrapped {self.data_keys} data keys and {self.signing_keys} signing keys with the newest "
            f"key-encryption key; {self.remaining} keys remain wrapped by an older one."
        )


async def rewrap_all(
    sessions: async_sessionmaker[AsyncSession], keks: list[Kek], *, batch: int = BATCH
) -> RewrapReport:
    """Rewrap every data key and signing key not yet wrapped by ``keks[0]``, in batches."""
    data_keys = await _rewrap_batches(sessions, keks, batch, _rewrap_data_keys)
    signing_keys = await _rewrap_batches(sessions, keks, batch, _rewrap_signing_keys)
    async with sessions() as session:
        remaining = await count_stale(session, keks[0])
    return RewrapReport(data_keys, signing_keys, remaining)


async def count_stale(session: AsyncSession, current: Kek) -> int:
    """How many data and signing keys are still wrapped by another KEK than ``current``."""
    data = await session.scalar(select(func.count()).where(DataKey.kek_id != current.kek_id))
    signing = await session.scalar(select(func.count()).where(SigningKey.kek_id != current.kek_id))
    return (data or 0) + (signing or 0)


async def _rewrap_batches(sessions: async_sessionmaker[AsyncSession], keks: list[Kek], batch: int, step: _Step) -> int:
    done, after = 0, uuid.UUID(int=0)
    while True:
        async with sessions() as session, session.begin():
            count, last = await step(session, keks, after, batch)
        done += count
        if last is None:
            return done
        after = last


async def _rewrap_data_keys(
    session: AsyncSession, keks: list[Kek], after: uuid.UUID, batch: int
) -> tuple[int, uuid.UUID | None]:
    current = keks[0]
    rows = (
        await session.execute(
            select(DataKey.id, DataKey.kek_id, DataKey.wrapped_key)
            .where(DataKey.kek_id != current.kek_id, DataKey.id > after)
            .order_by(DataKey.id)
            .limit(batch)
            .with_for_update()
        )
    ).all()
    rewrapped = [
        {"key_id": row.id, "wrapped": current.wrap(_kek(keks, row.kek_id).unwrap(row.wrapped_key, row.id), row.id)}
        for row in rows
    ]
    if rewrapped:  # one executemany for the batch
        table = cast(Table, DataKey.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("key_id"))
            .values(kek_id=current.kek_id, wrapped_key=bindparam("wrapped"), updated_at=table.c.updated_at)
        )
        await session.execute(statement, rewrapped)
    return len(rows), rows[-1].id if rows else None


async def _rewrap_signing_keys(
    session: AsyncSession, keks: list[Kek], after: uuid.UUID, batch: int
) -> tuple[int, uuid.UUID | None]:
    current = keks[0]
    rows = (
        await session.execute(
            select(SigningKey.id, SigningKey.kid, SigningKey.kek_id, SigningKey.sealed_private_key)
            .where(SigningKey.kek_id != current.kek_id, SigningKey.id > after)
            .order_by(SigningKey.id)
            .limit(batch)
            .with_for_update()
        )
    ).all()
    resealed = []
    for row in rows:
        aad = b"signing-key:" + row.kid.encode()
        pem = _kek(keks, row.kek_id).open(row.sealed_private_key, aad)
        resealed.append({"key_id": row.id, "sealed": current.seal(pem, aad)})
    if resealed:  # one executemany for the batch
        table = cast(Table, SigningKey.__table__)
        statement = (
            update(table)
            .where(table.c.id == bindparam("key_id"))
            .values(kek_id=current.kek_id, sealed_private_key=bindparam("sealed"), updated_at=table.c.updated_at)
        )
        await session.execute(statement, resealed)
    return len(rows), rows[-1].id if rows else None


def _kek(keks: list[Kek], kek_id: str) -> Kek:
    found = next((kek for kek in keks if kek.kek_id == kek_id), None)
    if found is None:
        raise KeyRotationError(
            "a key is wrapped by a key-encryption key that is not configured: add it after the new one and run again"
        )
    return found


def read_key_file(path: Path) -> list[str]:
    """The keys in a key file, newest first."""
    return parse_master_keys(path.read_text())


def write_key_file(path: Path, keys: list[str]) -> None:
    """Replace the key file atomically (mode 0600), one key per line, newest first."""
    temporary = path.with_name(path.name + ".new")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(key + "\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
