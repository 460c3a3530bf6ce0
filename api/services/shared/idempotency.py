"""Idempotent creates: the first request with a key creates, repeats return what it created.

The key is claimed with ``INSERT .. ON CONFLICT DO NOTHING`` inside the mutation's savepoint: a
concurrent request with the same key waits on the unique index until the first one commits
(then replays its result) or rolls back (then creates itself). A user error rolls the claim back
with everything else, so only successful creates are remembered.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models import IdempotencyKey
from api.services.shared.errors import UserFacingError

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 200


@dataclasses.dataclass(frozen=True)
class Claim:
    """A claimed key; ``record_id`` is set when an earlier request with it already created the record."""

    actor: str
    mutation: str
    key: str
    record_id: uuid.UUID | None


async def claim(session: AsyncSession, sealer: Sealer, viewer: Viewer, mutation: str, value: Any) -> Claim | None:
    """Claim the input's ``idempotencyKey`` (None when it has none); raises if it was used with other input."""
    key = getattr(value, "idempotency_key", None)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise UserFacingError(
            "INVALID_INPUT", f"An idempotency key has 1 to {MAX_KEY_LENGTH} characters.", "idempotencyKey"
        )
    actor = f"member:{viewer.member_id}" if viewer.member_id else f"client:{viewer.client_id}"
    digest = await sealer.keyed_digest(session, _canonical(value))
    now = datetime.now(UTC)
    inserted = await session.scalar(
        insert(IdempotencyKey)
        .values(actor=actor, mutation=mutation, key=key, request_digest=digest, expires_at=now + KEEP_FOR)
        .on_conflict_do_nothing()
        .returning(IdempotencyKey.key)
    )
    if inserted is not None:
        return Claim(actor, mutation, key, None)
    row = (
        await session.execute(
            select(IdempotencyKey.request_digest, IdempotencyKey.record_id).where(
                IdempotencyKey.actor == actor, IdempotencyKey.mutation == mutation, IdempotencyKey.key == key
            )
        )
    ).one()
    if row.request_digest != digest:
        raise UserFacingError(
            "IDEMPOTENCY_KEY_REUSED", "This idempotency key was already used with different input.", "idempotencyKey"
        )
    return Claim(actor, mutation, key, row.record_id)


async def remember(session: AsyncSession, claim: Claim, record_id: uuid.UUID) -> None:
    """Store what the claimed request created, for its repeats."""
    await session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.actor == claim.actor, IdempotencyKey.mutation == claim.mutation)
        .where(IdempotencyKey.key == claim.key)
        .values(record_id=record_id)
    )


async def forget_expired(session: AsyncSession, now: datetime) -> int:
    """Delete keys past their keeping time; returns how many."""
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at < now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _canonical(value: Any) -> bytes:
    """The input without its key, as canonical JSON."""
    fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.name != "idempotency_key"}
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # UNSET, ids, decimals
