"""Periodic jobs: run under an advisory lock (one instance at a time), never crash, start with the app."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api import scheduler
from api.app import create_app
from api.crypto import Sealer
from api.models import AccompanimentRequest
from api.models.enums import AccompanimentStatus, OrganizationKind
from api.settings import Settings
from tests import factories
from tests.canaries import canary


class Recorder:
    """A job that records its runs and can be held mid-run."""

    def __init__(self) -> None:
        self.runs = 0
        self.started = asyncio.Event()
        self.twice = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, session: AsyncSession, settings: Settings, now: datetime) -> None:
        self.runs += 1
        self.started.set()
        if self.runs >= 2:
            self.twice.set()
        await self.release.wait()


def test_the_retention_policies_are_a_periodic_job() -> None:
    assert "retention" in [name for name, _job in scheduler.JOBS]


async def test_a_scheduled_round_marks_requests_whose_appointment_passed_unmatched_as_unfilled(
    live_sessions: async_sessionmaker[AsyncSession], settings: Settings, sealer: Sealer
) -> None:
    async with live_sessions() as session:
        org = await factories.organization(session, OrganizationKind.LEGAL_AID)
        guest = await factories.person(session, sealer, org)
        passed = await factories.accompaniment_request(
            session, sealer, org, guest, appointment_at=datetime.now(UTC) - timedelta(hours=1)
        )
        coming = await factories.accompaniment_request(session, sealer, org, guest)
        await session.commit()
    results = await scheduler.run_once(live_sessions, settings)  # the real jobs
    assert results is not None
    expired = results["accompaniment.expire_unfilled"]
    assert isinstance(expired, int)
    assert expired >= 1  # what the job returned: how many became UNFILLED
    assert isinstance(results[scheduler.RETENTION], dict)  # the per-policy counts `purge` prints
    async with live_sessions() as session:
        rows = {r.id: r for r in await session.scalars(select(AccompanimentRequest).where(
            AccompanimentRequest.id.in_([passed.id, coming.id])))}  # fmt: skip
    assert rows[passed.id].status is AccompanimentStatus.UNFILLED
    assert rows[passed.id].closed_at is not None
    assert rows[coming.id].status is AccompanimentStatus.SUBMITTED


async def test_run_once_runs_every_job(live_sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
    first, second = Recorder(), Recorder()
    results = await scheduler.run_once(live_sessions, settings, [("first", first), ("second", second)])
    assert results == {"first": None, "second": None}  # what each job returned, by name
    assert (first.runs, second.runs) == (1, 1)


async def test_the_advisory_lock_keeps_a_second_instance_from_running_at_the_same_time(
    live_sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    held, other = Recorder(), Recorder()
    held.release.clear()
    running = asyncio.create_task(scheduler.run_once(live_sessions, settings, [("held", held)]))
    await asyncio.wait_for(held.started.wait(), 10)
    assert await scheduler.run_once(live_sessions, settings, [("other", other)]) is None  # skipped: locked
    assert other.runs == 0
    held.release.set()
    assert await running is not None
    assert (
        await scheduler.run_once(live_sessions, settings, [("other", other)]) is not None
    )  # the lock went with the commit
    assert other.runs == 1


async def test_a_failing_job_is_logged_by_type_only_and_the_others_still_run(
    live_sessions: async_sessionmaker[AsyncSession], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    secret = canary("Room 12 behind the sacristy")

    async def failing(session: AsyncSession, settings: Settings, now: datetime) -> None:
        raise ValueError(secret)

    after = Recorder()
    with caplog.at_level(logging.ERROR, logger="api.scheduler"):
        results = await scheduler.run_once(live_sessions, settings, [("failing", failing), ("after", after)])
    assert results == {"after": None}  # the failed job is left out
    assert after.runs == 1
    assert [record.getMessage() for record in caplog.records] == ["periodic job failing failed: ValueError"]
    assert all(record.exc_info is None for record in caplog.records)


async def test_the_loop_repeats_and_survives_a_broken_database(
    live_sessions: async_sessionmaker[AsyncSession], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    job = Recorder()
    loop = asyncio.create_task(scheduler.run_periodically(live_sessions, settings, 0.01, [("job", job)]))
    await asyncio.wait_for(job.twice.wait(), 10)
    await scheduler.stop(loop)

    def broken() -> AsyncSession:
        raise ConnectionRefusedError("connection refused")

    with caplog.at_level(logging.ERROR, logger="api.scheduler"):
        loop = asyncio.create_task(scheduler.run_periodically(broken, settings, 0.01, [("job", job)]))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        assert not loop.done()
        await scheduler.stop(loop)
    assert "periodic jobs failed: ConnectionRefusedError" in [record.getMessage() for record in caplog.records]


@pytest.mark.parametrize("minutes", [0.001, 0])
async def test_the_app_lifespan_starts_and_stops_the_jobs_unless_disabled(
    engine: AsyncEngine, sealer: Sealer, settings: Settings, monkeypatch: pytest.MonkeyPatch, minutes: float
) -> None:
    job = Recorder()
    monkeypatch.setattr(scheduler, "JOBS", (("job", job),))
    app = create_app(settings.model_copy(update={"purge_interval_minutes": minutes}), engine=engine, sealer=sealer)
    async with app.router.lifespan_context(app):
        if minutes > 0:
            await asyncio.wait_for(job.twice.wait(), 10)  # at start, then again after the interval
        else:
            await asyncio.sleep(0.2)  # what must not happen: give it a chance to
    assert job.runs >= 2 if minutes > 0 else job.runs == 0
