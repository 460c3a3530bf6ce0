"""Where the buckets live: PostgreSQL by default, Redis when ``SANCTUARY_REDIS_URL`` is set."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncEngine

from api.db import engine_from_settings
from api.ratelimit.buckets import Buckets, PostgresBuckets
from api.ratelimit.policy import Policy
from api.settings import Settings

# The same refill-and-take as the PostgreSQL statement, atomic in Redis, on the server's clock.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local points, capacity, rate, floor = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if state[1] then
  tokens = math.min(capacity, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
end
local granted = 0
if tokens - points >= floor then
  tokens = tokens - points
  granted = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 60)
return {granted, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets as Redis hashes (``ratelimit:<digest>``), expiring once they would be full again."""

    def __init__(self, url: str) -> None:
        self.client: Any = aioredis.from_url(url)
        self.script: Any = self.client.register_script(_TAKE)

    async def take(self, key: bytes, points: float, policy: Policy, floor: float) -> tuple[bool, float]:
        """Refill and take in one script."""
        granted, tokens = await self.script(
            keys=["ratelimit:" + key.hex()], args=[points, policy.points, policy.rate, floor]
        )
        return bool(int(granted)), float(tokens)

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()


def buckets_from_settings(settings: Settings, engine: AsyncEngine, own_pool: bool) -> Buckets:
    """Redis when configured; else PostgreSQL, on a small pool of its own when the service owns its engine."""
    if settings.redis_url:
        return RedisBuckets(settings.redis_url)
    if own_pool and settings.database_url:
        pool = engine_from_settings(
            settings, settings.database_url, maintenance=False, pool_size=settings.rate_limit_pool_size
        )
        return PostgresBuckets(pool, owned=True)
    return PostgresBuckets(engine)
