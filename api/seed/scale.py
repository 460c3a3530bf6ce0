"""A synthetic network at benchmark scale: N accompaniment requests and 10*N rapid-response incidents.

Written with asyncpg's binary COPY in chunks, T3 values sealed with each organization's data key.
Proportions for a scale ``n`` are in :class:`api.seed.scale_network.ScalePlan`: about n/200
congregations, n/2 persons, n/20 members (with trainings), n/100 sanctuary cases, 1-2 assignments
per matched request. Each run adds its own organizations, and suffixes region codes and member
e-mails with a run token, so it can run on a database that already holds data (the demo included).
The organizations and their data keys are committed first; everything else is one transaction, in
which the bulk tables' foreign keys are dropped and added back (validated in one query each) when the
role owns the tables, since per-row foreign key checks would otherwise take most of the time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

import asyncpg
from tqdm import tqdm

from api.crypto import Sealer
from api.db import create_engine, session_factory
from api.seed import scale_network as network
from api.seed import scale_records as records
from api.seed.scale_network import Clock, Network, ScalePlan, build_network, coarse_areas, member_rows
from api.seed.scale_records import Scale, random_a_number

CHUNK = 50_000
logger = logging.getLogger(__name__)
NETWORK_TABLES = ("region", "organization", "congregation")
BULK_TABLES = ("member", "training", "person", "sanctuary_case", "accompaniment_request", "accompaniment_assignment",
               "rapid_response_incident")  # fmt: skip
ALL_TABLES = NETWORK_TABLES + BULK_TABLES
# one (drop, add) pair of statements per foreign key of the given tables, with the exact definitions in the catalog
_FOREIGN_KEYS = """
SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY($1::text[]::regclass[]) ORDER BY conrelid, conname
"""


@dataclass
class ScaleReport:
    """Rows written per table by one scale run, and how long it took."""

    n: int
    run: str
    counts: dict[str, int]
    seconds: float

    @property
    def requests(self) -> int:
        """Accompaniment requests written."""
        return self.counts.get("accompaniment_request", 0)

    @property
    def incidents(self) -> int:
        """Rapid-response incidents written."""
        return self.counts.get("rapid_response_incident", 0)

    def __str__(self) -> str:
        total = sum(self.counts.values())
        rate = total / self.seconds if self.seconds > 0 else 0.0
        lines = [f"Scale {self.n} (run {self.run}): {total:,} rows in {self.seconds:.1f} s ({rate:,.0f} rows/s)"]
        lines += [f"  {table:<26} {count:>12,}" for table, count in self.counts.items()]
        return "\n".join(lines)


def asyncpg_dsn(database_url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as a libpq-style DSN asyncpg accepts (driver suffix removed)."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", database_url)


class _Copier:
    """Binary COPY of row tuples in chunks, counting rows and advancing the progress bar."""

    def __init__(self, connection: asyncpg.Connection, bar: tqdm) -> None:
        self.connection = connection
        self.bar = bar
        self.counts: Counter[str] = Counter()

    async def copy(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[object, ...]]) -> None:
        """COPY ``rows`` into ``table``, ``CHUNK`` rows at a time; the next chunk is built while one is sent."""
        iterator = iter(rows)
        pending = asyncio.create_task(asyncio.to_thread(_take, iterator))
        try:
            while chunk := await pending:
                pending = asyncio.create_task(asyncio.to_thread(_take, iterator))
                await self.connection.copy_records_to_table(table, records=chunk, columns=list(columns))
                self.counts[table] += len(chunk)
                self.bar.update(len(chunk))
        finally:
            await asyncio.gather(pending, return_exceptions=True)


def _take(iterator: Iterator[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return list(itertools.islice(iterator, CHUNK))


async def seed_scale(database_url: str, sealer: Sealer, n: int, *, progress: bool = True, seed: int = 1) -> ScaleReport:
    """Write a synthetic network of scale ``n`` (n requests, 10n incidents) and ANALYZE; returns the counts."""
    if n < 1:
        raise ValueError("the scale must be at least 1")
    started = time.perf_counter()
    plan = ScalePlan.for_n(n)
    clock = Clock(random.Random(seed))
    net = build_network(plan, clock, secrets.token_hex(4))
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        with tqdm(total=_planned_rows(plan), unit="rows", unit_scale=True, disable=not progress) as bar:
            copier = _Copier(connection, bar)
            for table in NETWORK_TABLES:
                await copier.copy(table, network.COLUMNS[table], net.rows[table])
            scale = await _prepare(database_url, sealer, plan, net, clock)
            async with connection.transaction(), _foreign_keys_deferred(connection, BULK_TABLES):
                await _bulk(copier, scale)
            bar.total = bar.n  # the plan only estimates trainings and assignments
            bar.refresh()
        await connection.execute(f"ANALYZE {', '.join(ALL_TABLES)}")
    finally:
        await connection.close()
    report = ScaleReport(n, net.token, dict(copier.counts), time.perf_counter() - started)
    logger.info(
        "scale %d seeded (run %s): %d rows in %.1f s", n, report.run, sum(report.counts.values()), report.seconds
    )
    return report


@contextlib.asynccontextmanager
async def _foreign_keys_deferred(connection: asyncpg.Connection, tables: tuple[str, ...]) -> AsyncIterator[None]:
    """Drop the tables' foreign keys and add them back (validated, one query each) on the way out.

    Per-row foreign key triggers would cost most of the load time; inside the load's transaction this is
    all-or-nothing, but the tables stay locked (ACCESS EXCLUSIVE) until it commits.
    """
    statements = await connection.fetch(_FOREIGN_KEYS, list(tables))
    try:
        async with connection.transaction():  # a savepoint: a role that does not own the tables keeps the keys
            for drop, _add in statements:
                await connection.execute(drop)
    except asyncpg.InsufficientPrivilegeError:
        logger.warning("not the owner of the tables: loading with per-row foreign key checks (slower)")
        statements = []
    yield
    for _drop, add in statements:
        await connection.execute(add)


def _planned_rows(plan: ScalePlan) -> int:
    organizations = 1 + plan.congregations + plan.legal_aid + plan.community_groups + plan.rapid_response
    people = plan.members * 2 + plan.persons + plan.cases
    return plan.regions + organizations + plan.congregations + people + plan.requests * 2 + plan.incidents


async def _prepare(database_url: str, sealer: Sealer, plan: ScalePlan, net: Network, clock: Clock) -> Scale:
    """Create (and commit) every new organization's data key; draw A-numbers and their blind indexes."""
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            keys = {org_id: await sealer.active_key_id(session, org_id) for org_id in net.org_ids()}
            drawn = [random_a_number(clock.rng) for _ in range(plan.persons)]
            a_numbers = [None if a is None else (a, await sealer.blind_index(session, a)) for a in drawn]
            await session.commit()
    finally:
        await engine.dispose()
    return Scale(plan, net, clock, sealer, keys, a_numbers, coarse_areas(net, clock.rng))


async def _bulk(copier: _Copier, scale: Scale) -> None:
    members, trainings = member_rows(scale.net, scale.plan, scale.clock)
    await copier.copy("member", network.COLUMNS["member"], members)
    await copier.copy("training", network.COLUMNS["training"], trainings)
    for table, rows in (
        ("person", records.person_rows(scale)),
        ("sanctuary_case", records.case_rows(scale)),
        ("accompaniment_request", records.request_rows(scale)),
        ("accompaniment_assignment", scale.assignments),
        ("rapid_response_incident", records.incident_rows(scale)),
    ):
        await copier.copy(table, records.COLUMNS[table], rows)
