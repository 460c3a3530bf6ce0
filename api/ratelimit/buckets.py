"""Token buckets shared by every instance: one atomic statement refills and takes (PostgreSQL or Redis).

``spend(key, points, policy, floor)`` refills the bucket for the time since it was last touched (up to
``policy.points``), then takes ``points`` if at least ``floor`` remain afterwards; either way it answers
what is left. Keys are SHA-256 digests: the table and Redis never hold a member id or an address.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.models.ratelimit import RateLimitBucket
from api.ratelimit.policy import Policy


@dataclass(frozen=True)
class Spent:
    """The outcome of one spend: granted or not, the points left, and when to come back."""

    policy_name: str
    policy: Policy
    granted: bool
    remaining: float
    points: float
    floor: float

    @property
    def retry_after_s(self) -> int:
        """Seconds until ``points`` can be taken above the floor (at least 1)."""
        missing = self.points + self.floor - self.remaining
        return max(1, math.ceil(min(missing / self.policy.rate, self.policy.window_s)))

    @property
    def reset_s(self) -> int:
        """Seconds until the bucket is full again."""
        return max(0, math.ceil((self.policy.points - self.remaining) / self.policy.rate))


class Buckets(Protocol):
    """Where the buckets live."""

    async def take(self, key: bytes, points: float, policy: Policy, floor: float) -> tuple[bool, float]:
        """Refill, then take ``points`` if ``floor`` remains: (granted, points left)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def digest(name: str, identity: str) -> bytes:
    """The stored key of a caller's bucket under policy ``name``."""
    return hashlib.sha256(f"{name}\x00{identity}".encode()).digest()


async def spend(buckets: Buckets, name: str, identity: str, points: float, policy: Policy, floor: float) -> Spent:
    """Spend ``points`` from the caller's bucket of policy ``name``, keeping ``floor`` unless allowed below."""
    granted, remaining = await buckets.take(digest(name, identity), points, policy, floor)
    return Spent(name, policy, granted, remaining, points, floor)


# One statement: insert a full bucket minus the points, or refill the locked row and take if it can.
_CAPACITY, _POINTS, _FLOOR = "CAST(:capacity AS float8)", "CAST(:points AS float8)", "CAST(:floor AS float8)"
_REFILLED = (
    f"LEAST({_CAPACITY}, b.tokens + EXTRACT(EPOCH FROM clock_timestamp() - b.updated_at) * CAST(:rate AS float8))"
)
_TAKE = text(f"""
INSERT INTO rate_limit_bucket AS b (key, tokens, granted, updated_at)
VALUES (CAST(:key AS bytea),
        {_CAPACITY} - CASE WHEN {_CAPACITY} - {_POINTS} >= {_FLOOR} THEN {_POINTS} ELSE 0 END,
        {_CAPACITY} - {_POINTS} >= {_FLOOR},
        clock_timestamp())
ON CONFLICT (key) DO UPDATE SET
    granted = {_REFILLED} - {_POINTS} >= {_FLOOR},
    tokens = {_REFILLED} - CASE WHEN {_REFILLED} - {_POINTS} >= {_FLOOR} THEN {_POINTS} ELSE 0 END,
    updated_at = clock_timestamp()
RETURNING granted, tokens
""")  # noqa: S608 (constants only; every value is a bound parameter)


class PostgresBuckets:
    """Buckets in the ``rate_limit_bucket`` table (unlogged: losing them in a crash only refills them)."""

    def __init__(self, engine: AsyncEngine, *, owned: bool = False) -> None:
        self.engine, self.owned = engine, owned

    async def take(self, key: bytes, points: float, policy: Policy, floor: float) -> tuple[bool, float]:
        """Refill and take in one autocommitted statement (the row lock serializes concurrent takes)."""
        params: dict[str, Any] = {
            "key": key, "points": float(points), "capacity": float(policy.points),
            "rate": policy.rate, "floor": float(floor),
        }  # fmt: skip
        async with self.engine.connect() as connection:
            row = (await connection.execute(_TAKE, params)).one()
            await connection.commit()
        return bool(row.granted), float(row.tokens)

    async def close(self) -> None:
        """Dispose of the engine when it is the limiter's own."""
        if self.owned:
            await self.engine.dispose()


async def forget_idle(session: AsyncSession, now: datetime, idle: timedelta) -> int:
    """Delete buckets untouched for ``idle`` (longer than any window: they are full, as a new one is)."""
    result = await session.execute(delete(RateLimitBucket).where(RateLimitBucket.updated_at < now - idle))
    return int(getattr(result, "rowcount", 0) or 0)
