"""The migrations build the schema the models describe, and run down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from api import migrate
from api.db import create_engine
from api.models import Base
from tests.database import fresh_database


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_upgrade_downgrade_upgrade_from_empty(server_url: str) -> None:
    async with fresh_database(server_url) as url:
        engine = create_engine(url, pool_size=1)
        try:
            await migrate.upgrade(engine)
            await migrate.downgrade(engine, "base")
            async with engine.connect() as connection:
                tables = await connection.scalar(
                    text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
                )
            assert tables == 1  # only alembic_version remains
            await migrate.upgrade(engine)
            async with engine.connect() as connection:
                assert await connection.run_sync(_diff) == []
        finally:
            await engine.dispose()
