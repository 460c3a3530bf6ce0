"""A committed demo network on its own database, for the key commands (they commit batch by batch)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.auth.signing import SigningKeys
from api.crypto import Kek, Sealer, generate_master_key
from api.db import create_engine, session_factory
from api.seed.demo import seed_demo
from api.services.protection.reencrypt import sealed_columns
from tests.canaries import canary
from tests.database import MigratedTemplate


@dataclass
class Network:
    """A committed demo network (with a signing key) on its own database."""

    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    kek: Kek
    plaintexts: list[str]


def new_kek() -> Kek:
    """A random key-encryption key."""
    return Kek.from_text(generate_master_key())


@contextlib.asynccontextmanager
async def seeded_network(template: MigratedTemplate, kek: Kek) -> AsyncIterator[Network]:
    """A fresh database at head holding the demo network sealed under ``kek``; dropped afterwards."""
    async with template.copy() as url:
        engine = create_engine(url, pool_size=3)
        try:
            sessions, sealer = session_factory(engine), Sealer([kek])
            async with sessions() as session:
                seeded = await seed_demo(session, sealer)
                assert seeded is not None
                await SigningKeys(sealer).signing_key(session)
                await session.commit()
            for value in seeded.sealed_plaintexts:
                canary(value)
            yield Network(url, engine, sessions, kek, seeded.sealed_plaintexts)
        finally:
            await engine.dispose()


async def read_all(net: Network, sealer: Sealer) -> Counter[str]:
    """Every sealed value of the database, opened."""
    opened: Counter[str] = Counter()
    async with net.sessions() as session:
        for table, columns in sealed_columns():
            for row in (await session.execute(select(table.c.id, table.c.organization_id, *columns))).mappings():
                for column in columns:
                    qualified = f"{table.name}.{column.name}"
                    value = await sealer.open(session, row["organization_id"], row["id"], qualified, row[column.name])
                    if value is not None:
                        opened[value] += 1
    return opened
