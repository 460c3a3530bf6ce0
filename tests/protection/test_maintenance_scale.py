"""Maintenance work finishes on large tables: every statement fits a (here very low) statement timeout.

A demo network plus many bulk persons whose sealed values already name their organization's active key
(never opened: only scanned past). With a 300 ms statement timeout, counting stale rows or looking for
the next stale batch from the start of the table does not fit; keyset windows and catalogue estimates do.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from api.crypto import Kek, Sealer, generate_master_key
from api.db import create_engine, session_factory
from api.services.protection.keys import rewrap_all
from api.services.protection.reencrypt import count_stale, reencrypt, rotate_data_keys
from api.services.protection.reindex import reindex
from tests.commands import run_command
from tests.database import MigratedTemplate
from tests.keyring import Network, seeded_network

BULK = 100_000
BATCH = 5_000
TIMEOUT_MS = 300
NOW = timedelta(0)


@pytest.fixture
async def big_network(template: MigratedTemplate) -> AsyncIterator[tuple[Network, str]]:
    """The demo network with its data keys rotated (every demo value stale) and ``BULK`` fresh bulk persons;
    and its key-encryption key as text."""
    master = generate_master_key()
    async with seeded_network(template, Kek.from_text(master)) as net:
        await rotate_data_keys(net.sessions, Sealer([net.kek]))
        async with net.sessions() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO person (organization_id, preferred_name, legal_name, languages) "
                    "SELECT k.organization_id, 'Bulk', '\\x01'::bytea || uuid_send(k.id) || decode(md5(i::text), 'hex'), "
                    "'{}' FROM generate_series(1, :rows) AS i, LATERAL (SELECT id, organization_id FROM data_key "
                    "WHERE purpose = 'DATA' AND active ORDER BY id LIMIT 1) AS k"
                ),
                {"rows": BULK},
            )
        async with net.engine.connect() as connection:
            await connection.execute(text("ANALYZE person"))
        yield net, master


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`sanctuary-api ARGS` in a process of its own (tests/commands.py): exit code, stdout, stderr."""
    return await run_command(*args, env=env, within_s=120)


async def test_key_maintenance_fits_a_low_statement_timeout_on_a_large_table(big_network: tuple[Network, str]) -> None:
    network, master = big_network
    async with network.sessions() as session:
        stale = await count_stale(session)
    assert stale > 0
    removed = {"DATABASE_URL", "SANCTUARY_DATABASE_URL", "SANCTUARY_MASTER_KEY", "SANCTUARY_KEY_FILE"}
    env = {k: v for k, v in os.environ.items() if k not in removed}
    env |= {"DATABASE_URL": network.url, "SANCTUARY_MASTER_KEY": master}
    command = ("keys", "reencrypt", "--resume", "--batch-size", str(BATCH))

    code, _out, err = await _cli(*command, env=env | {"SANCTUARY_DB_STATEMENT_TIMEOUT_MS": "1"})
    assert code == 1
    assert "canceling statement" in err  # the setting reaches the command's engine

    code, out, err = await _cli(*command, env=env | {"SANCTUARY_DB_STATEMENT_TIMEOUT_MS": str(TIMEOUT_MS)})
    assert code == 0, err.splitlines()[-1:]
    assert f"0 new data keys; {stale} rows re-sealed." in out

    engine = create_engine(network.url, pool_size=2, statement_timeout_ms=TIMEOUT_MS)
    sessions, sealer = session_factory(engine), Sealer([network.kek])
    try:
        report = await reencrypt(sessions, sealer, resume=True, retire=True, grace=NOW, batch=BATCH, progress=True)
        assert (report.rows, report.remaining, report.still_used) == (0, 0, 0)
        assert report.retired > 0
        assert (await reindex(sessions, sealer, retire=True, grace=NOW, batch=BATCH, progress=True)).rows > 0
        assert (await rewrap_all(sessions, [network.kek])).remaining == 0
    finally:
        await engine.dispose()
    async with network.sessions() as session:
        assert await count_stale(session) == 0
