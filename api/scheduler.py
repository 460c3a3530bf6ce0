"""Periodic jobs (the retention policies and other housekeeping), run by one instance at a time.

Every ``SANCTUARY_PURGE_INTERVAL_MINUTES`` (0 disables it) each instance of the service tries the
PostgreSQL advisory lock ``pg_try_advisory_xact_lock``; the one that gets it runs every job in one
transaction, the others skip the round. A failing job is rolled back alone (its savepoint) and logged
by its error type only (messages may hold values); nothing here ever stops the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db import allow_maintenance_statements
from api.ratelimit import buckets, connections
from api.services.accompaniment import requests as accompaniment
from api.services.protection import retention
from api.settings import Settings

logger = logging.getLogger("api.scheduler")

LOCK_KEY = 0x5341_4E43_5455_4152  # "SANCTUAR": one advisory lock key for the periodic jobs

Job = Callable[[AsyncSession, Settings, datetime], Awaitable[object]]


async def _retention(session: AsyncSession, settings: Settings, now: datetime) -> object:
    return await retention.apply(session, settings, now)


async def _expire_unfilled(session: AsyncSession, settings: Settings, now: datetime) -> object:
    return await accompaniment.expire_unfilled(session, now)


async def _forget_idle_buckets(session: AsyncSession, settings: Settings, now: datetime) -> object:
    limits = settings.rate_limits
    longest = max(
        p.window_s for p in (limits.member, limits.app, limits.anonymous, limits.token_address, limits.token_client)
    )
    return await buckets.forget_idle(session, now, timedelta(seconds=longest + 3600))


async def _forget_stale_live_connections(session: AsyncSession, settings: Settings, now: datetime) -> object:
    return await connections.forget_stale(session, settings)  # stale by the database's clock, like the heartbeats


RETENTION = "retention"

# The periodic jobs, in order: (name for the logs and run_once's results, job). Each runs in its own savepoint. Requests whose
# appointment passed unmatched become UNFILLED first, so that their retention clock starts this round.
JOBS: tuple[tuple[str, Job], ...] = (
    ("accompaniment.expire_unfilled", _expire_unfilled),
    (RETENTION, _retention),
    ("ratelimit.forget_idle_buckets", _forget_idle_buckets),
    ("live.forget_stale_connections", _forget_stale_live_connections),
)


async def try_lock(session: AsyncSession) -> bool:
    """Take the periodic jobs' advisory lock for this transaction; False when another session holds it."""
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))))


async def run_once(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    jobs: Sequence[tuple[str, Job]] = JOBS,
    now: datetime | None = None,
) -> dict[str, object] | None:
    """Run every job once and commit; what each job returned, by name (a failed job is left out).

    None (nothing run) when another instance is running them. This is the one definition of a round:
    the scheduler and ``sanctuary-api purge`` both run it.
    """
    results: dict[str, object] = {}
    async with sessionmaker() as session:
        if not await try_lock(session):
            return None
        await allow_maintenance_statements(session, settings)  # maintenance: the longer statement timeout
        moment = now or datetime.now(UTC)
        for name, job in jobs:
            try:
                async with session.begin_nested():
                    results[name] = await job(session, settings, moment)
            except Exception as error:  # one failing job does not keep the others from running
                logger.error("periodic job %s failed: %s", name, type(error).__name__)
        await session.commit()  # also releases the lock
    return results


async def run_periodically(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    interval_s: float,
    jobs: Sequence[tuple[str, Job]] = JOBS,
) -> None:
    """Run the jobs now and then every ``interval_s`` seconds, until cancelled; errors are logged, never raised."""
    while True:
        try:
            await run_once(sessionmaker, settings, jobs)
        except Exception as error:  # e.g. the database is unreachable: try again next round
            logger.error("periodic jobs failed: %s", type(error).__name__)
        await asyncio.sleep(interval_s)


def start(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> asyncio.Task[None] | None:
    """Start the periodic jobs in the background (None when the interval is 0)."""
    if settings.purge_interval_minutes <= 0:
        return None
    interval_s = settings.purge_interval_minutes * 60
    jobs = run_periodically(sessionmaker, settings, interval_s, JOBS)
    return asyncio.create_task(jobs, name="sanctuary-periodic-jobs")


async def stop(task: asyncio.Task[None] | None) -> None:
    """Cancel the background task and wait for it to end."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
