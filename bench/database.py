"""The benchmark database: create it, migrate it, seed it once per scale, and remember that it was.

The default database is a scratch one, ``sanctuary_bench_<n>`` on the local server. A finished
seed is recorded as a JSON comment on the database (scale, key-encryption key id, seconds), so a
later run at the same scale, with the same key file, reuses it; anything else is dropped and
seeded again. A database given with ``--database-url`` is never dropped.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from api import migrate
from api.crypto import Sealer
from api.db import create_engine
from api.settings import Settings

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"


@dataclass
class SeedInfo:
    """What the database holds and how long seeding it took (in the run that seeded it)."""

    scale: int
    kek_id: str
    seed_seconds: float
    analyze_seconds: float
    seeded_in_this_run: bool
    report: Any


def default_url(scale: int) -> str:
    return f"{DEFAULT_SERVER}/sanctuary_bench_{scale}"


def plain_url(url: str) -> str:
    """The URL without a SQLAlchemy driver suffix (what asyncpg accepts)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def prepare(url: str, scale: int, sealer: Sealer, *, scratch: bool) -> SeedInfo:
    """Make ``url`` a migrated database seeded at ``scale`` with ``sealer``'s key."""
    url = plain_url(url)
    name = make_url(url).database
    assert name, "the database URL names no database"
    existed = await _ensure_database(url, name)
    marker = await _read_marker(url, name) if existed else None
    if _matches(marker, scale, sealer):
        await _migrate(url)
        return _from_marker(marker)  # type: ignore[arg-type]
    if existed and scratch:
        print(f"[bench] {name}: not seeded at scale {scale} with this key; dropping and recreating it")
        await _recreate(url, name)
    elif existed:
        await _refuse_if_not_empty(url, name)
    await _migrate(url)
    info = await _seed(url, scale, sealer)
    await _write_marker(url, name, info)
    return info


def _from_marker(marker: dict[str, Any]) -> SeedInfo:
    names = {f.name for f in dataclasses.fields(SeedInfo)} - {"seeded_in_this_run"}
    values: dict[str, Any] = {name: marker.get(name) for name in names}
    return SeedInfo(**values, seeded_in_this_run=False)


def _matches(marker: dict[str, Any] | None, scale: int, sealer: Sealer) -> bool:
    return bool(marker) and marker.get("scale") == scale and marker.get("kek_id") == sealer.current.kek_id  # type: ignore[union-attr]


async def _maintenance(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(make_url(url).set(database="postgres").render_as_string(hide_password=False))


async def _ensure_database(url: str, name: str) -> bool:
    """Create the database if missing; True when it already existed."""
    connection = await _maintenance(url)
    try:
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return True
        await connection.execute(f'CREATE DATABASE "{name}"')
        print(f"[bench] created database {name}")
        return False
    finally:
        await connection.close()


async def _recreate(url: str, name: str) -> None:
    connection = await _maintenance(url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _refuse_if_not_empty(url: str, name: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        table = await connection.fetchval("SELECT to_regclass('accompaniment_request')")
        if table and await connection.fetchval("SELECT EXISTS (SELECT 1 FROM accompaniment_request)"):
            raise SystemExit(f"{name} holds data not seeded by this benchmark at this scale; refusing to reseed it.")
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


async def _seed(url: str, scale: int, sealer: Sealer) -> SeedInfo:
    from api.seed.scale import seed_scale  # written separately; imported only when seeding

    print(f"[bench] seeding scale {scale} (this may take minutes at large scales)")
    started = time.perf_counter()
    report = await seed_scale(url, sealer, scale, progress=True)
    seed_seconds = time.perf_counter() - started
    print(f"[bench] seeded in {seed_seconds:.1f} s; applying retention, then VACUUM ANALYZE")
    await _apply_retention(url)
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    analyze_seconds = time.perf_counter() - started
    return SeedInfo(scale, sealer.current.kek_id, seed_seconds, analyze_seconds, True, _jsonable(report))


async def _apply_retention(url: str) -> None:
    """Run the service's periodic jobs once, as a running deployment would have: the seed spreads records over
    two years, and the first purge of the old ones takes tens of seconds that would otherwise overlap the
    first benchmark's measurements (the service runs the jobs when it starts)."""
    from api import scheduler

    engine = create_engine(url, pool_size=1, statement_timeout_ms=0)
    try:
        await scheduler.run_once(async_sessionmaker(engine, expire_on_commit=False), Settings(database_url=url))
    finally:
        await engine.dispose()


def _jsonable(report: Any) -> Any:
    if dataclasses.is_dataclass(report) and not isinstance(report, type):
        report = dataclasses.asdict(report)
    elif hasattr(report, "model_dump"):
        report = report.model_dump()
    elif hasattr(report, "_asdict"):
        report = report._asdict()
    return json.loads(json.dumps(report, default=str))


async def _read_marker(url: str, name: str) -> dict[str, Any] | None:
    connection = await asyncpg.connect(url)
    try:
        comment = await connection.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
        )
    finally:
        await connection.close()
    try:
        marker = json.loads(comment) if comment else None
    except ValueError:
        return None
    return marker if isinstance(marker, dict) and marker.get("bench") == 1 else None


async def _write_marker(url: str, name: str, info: SeedInfo) -> None:
    fields = dataclasses.asdict(info)
    fields.pop("seeded_in_this_run")
    text = json.dumps({"bench": 1, **fields}).replace("'", "''")
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(f"COMMENT ON DATABASE \"{name}\" IS '{text}'")
    finally:
        await connection.close()
