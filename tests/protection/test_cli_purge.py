"""`sanctuary-api purge [--dry-run]`, run as a real subprocess: counts only, never values."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from api.crypto import Sealer
from api.db import create_engine, session_factory
from api.models import AccompanimentRequest, RapidResponseIncident
from api.models.enums import AccompanimentStatus, OrganizationKind
from tests import factories
from tests.canaries import canary
from tests.database import MigratedTemplate
from tests.operations.test_cli import _cli, _env

LINE = re.compile(r"^  [a-z_]+ +\d+$")


@pytest.fixture
async def purgeable(
    template: MigratedTemplate, tmp_path: Path, sealer: Sealer
) -> AsyncIterator[tuple[str, dict[str, str], list[str]]]:
    """A database at head holding two incidents whose reporter contact is due, and the CLI's environment."""
    async with template.copy() as url:
        engine = create_engine(url, pool_size=1)
        secrets = [canary(f"+1 555 0100 {uuid.uuid4().hex}") or "" for _ in range(2)]
        try:
            async with session_factory(engine)() as session:
                org = await factories.organization(session)
                for secret in secrets:
                    triaged_at = datetime.now(UTC) - timedelta(days=4)
                    row = await factories.incident(session, sealer, org, triaged_at=triaged_at)
                    row.reporter_contact = secret.encode()  # plaintext: a leak of values would show in the output
                await session.commit()
        finally:
            await engine.dispose()
        yield url, _env(DATABASE_URL=url, SANCTUARY_DATA_DIR=str(tmp_path)), secrets


def _counts(lines: list[str]) -> dict[str, int]:
    return {name: int(count) for name, count in (line.split() for line in lines if LINE.match(line))}


async def _contacts(url: str) -> list[bytes | None]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return list((await connection.scalars(select(RapidResponseIncident.reporter_contact))).all())
    finally:
        await engine.dispose()


async def test_purge_dry_run_counts_then_purge_removes_and_prints_counts_only(
    purgeable: tuple[str, dict[str, str], list[str]],
) -> None:
    url, env, secrets = purgeable
    code, out, err = await _cli("purge", "--dry-run", env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Would remove (dry run")
    assert all(LINE.match(line) for line in lines[1:]), out
    assert _counts(lines)["reporter_contact"] == 2
    assert all(contact is not None for contact in await _contacts(url))

    code, out, err = await _cli("purge", env=env)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Removed:"
    assert all(LINE.match(line) for line in lines[1:]), out
    assert _counts(lines)["reporter_contact"] == 2
    assert await _contacts(url) == [None, None]
    assert not any(secret in out + err for secret in secrets)

    code, out, _err = await _cli("purge", env=env)
    assert code == 0
    assert set(_counts(out.splitlines()[1:]).values()) == {0}


async def test_purge_runs_the_schedulers_round_so_unfilled_requests_expire_in_the_same_run(
    purgeable: tuple[str, dict[str, str], list[str]], sealer: Sealer
) -> None:
    url, env, _secrets = purgeable
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            org = await factories.organization(session, OrganizationKind.LEGAL_AID)
            guest = await factories.person(session, sealer, org)
            passed = await factories.accompaniment_request(
                session, sealer, org, guest, appointment_at=datetime.now(UTC) - timedelta(hours=1)
            )  # appointment passed, still open
            await session.commit()

        async def request() -> AccompanimentRequest:
            async with session_factory(engine)() as session:
                row = await session.get(AccompanimentRequest, passed.id)
                assert row is not None
                return row

        code, out, err = await _cli("purge", "--dry-run", env=env)
        assert code == 0, err
        assert (await request()).closed_at is None  # a dry run changes nothing

        code, out, err = await _cli("purge", env=env)
        assert code == 0, err
        assert out.splitlines()[0] == "Removed:"
        assert _counts(out.splitlines())["reporter_contact"] == 2  # retention ran in the same round
        row = await request()
        assert row.status is AccompanimentStatus.UNFILLED
        assert row.closed_at is not None  # retention's clock for it started with this purge
    finally:
        await engine.dispose()
