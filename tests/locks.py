"""Wait until a concurrent statement is really blocked on a row or index lock (no sleeping and hoping)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_WAITERS = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
)


async def blocked_on_a_lock(sessions: async_sessionmaker[AsyncSession], task: asyncio.Task[object]) -> None:
    """Return once another backend of this database waits for a lock, while ``task`` (the statement's
    caller) is still running; fail after 10 s, or at once if ``task`` ended without waiting."""
    async with sessions() as observer:
        for _ in range(1000):
            assert not task.done(), "the concurrent call finished instead of waiting for the lock"
            if await observer.scalar(_WAITERS):
                return
            await observer.rollback()  # pg_stat_activity is read once per transaction: take a new snapshot
            await asyncio.sleep(0.01)
    raise AssertionError("no backend waited for a lock within 10 s")
