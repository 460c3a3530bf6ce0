"""Start the two HTTP servers as subprocesses (uvicorn, one worker each) and stop them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class Server:
    """A running uvicorn subprocess and where it listens."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    log: IO[bytes]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return f"{self.base_url}/graphql"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str, factory: str, env: dict[str, str], log_dir: Path, extra: tuple[str, ...] = ()) -> Server:
    """Start ``uvicorn --factory <factory>`` (a module in bench/) on a free port (``extra``: more uvicorn options)."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(BENCH_DIR),
        "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--no-access-log", "--log-level", "warning", *extra,
    ]  # fmt: skip
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    return Server(name=name, process=process, port=port, log_path=log_path, log=log)


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    """Poll /readyz until it answers 200; raise (with the server's log) if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{_tail(server)}")
        try:
            with urllib.request.urlopen(f"{server.base_url}/readyz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f} s:\n{_tail(server)}")


def stop(server: Server, timeout: float = 10.0) -> None:
    """SIGTERM (graceful shutdown), then SIGKILL if it does not exit in time. Only this process."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=timeout)
    server.log.close()


def _tail(server: Server, lines: int = 40) -> str:
    server.log.flush()
    text = server.log_path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])
