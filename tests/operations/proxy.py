"""Two instances of the service (``sanctuary-api serve`` in subprocesses) behind nginx on loopback.

nginx runs from Debian's package (``apt-get install -y nginx``) with a configuration written to a temporary
directory (no root needed: its pid, logs and buffers stay there) that includes the repository's
``deploy/proxy.conf``, so the test proves the documented proxy settings. nginx connects to the instances
from its own loopback address (``proxy_bind``), which alone is a trusted proxy; callers connect from other
loopback addresses of their choosing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[2]
PROXY_ADDRESS = "127.0.0.10"  # nginx's side of its connections to the instances: the trusted proxy
READY_WITHIN_S = 60.0  # a deadline for starting up on a busy machine, not a measurement
NGINX_CONF = """\
@USER@
worker_processes 1;
daemon off;
pid @TMP@/nginx.pid;
error_log @TMP@/nginx-error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path @TMP@/client_body;
    proxy_temp_path @TMP@/proxy;
    fastcgi_temp_path @TMP@/fastcgi;
    uwsgi_temp_path @TMP@/uwsgi;
    scgi_temp_path @TMP@/scgi;
    map $http_upgrade $connection_upgrade { default upgrade; "" ""; }
    upstream sanctuary_api {
        server 127.0.0.1:@PORT1@;
        server 127.0.0.1:@PORT2@;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:@LISTEN@;
        location / {
            include @REPOSITORY@/deploy/proxy.conf;
            proxy_bind @PROXY@;
            add_header X-Test-Upstream $upstream_addr always;
        }
    }
}
"""


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, which is not on every user's PATH), or None."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    return found if os.access(found, os.X_OK) else None


def free_port() -> int:
    """A loopback port free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@dataclass
class Deployment:
    """The running processes: ``instances`` (their base URLs, in the upstream's order) and ``proxy``."""

    proxy: str
    instances: list[str]
    logs: list[Path] = field(default_factory=list)

    def client(self, source: str, base_url: str | None = None) -> httpx.AsyncClient:
        """A client connecting from the loopback address ``source`` (to the proxy unless told otherwise)."""
        transport = httpx.AsyncHTTPTransport(local_address=source)
        return httpx.AsyncClient(transport=transport, base_url=base_url or self.proxy, timeout=30)

    def log_text(self) -> str:
        """Everything the instances and nginx wrote."""
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())


@contextlib.asynccontextmanager
async def deployment(tmp: Path, environment: dict[str, str]) -> AsyncIterator[Deployment]:
    """Start two instances with ``environment`` (DATABASE_URL, keys, settings) and nginx before them; stop
    them all afterwards, whatever happened."""
    nginx = nginx_binary()
    assert nginx is not None
    ports, listen = [free_port(), free_port()], free_port()
    proxy = f"http://127.0.0.1:{listen}"
    env = os.environ | environment | {"SANCTUARY_PUBLIC_URL": proxy, "PYTHONPATH": str(REPOSITORY)}
    processes: list[subprocess.Popen[bytes]] = []
    found = Deployment(proxy, [f"http://127.0.0.1:{port}" for port in ports])
    try:
        for number, port in enumerate(ports, 1):
            log = tmp / f"instance-{number}.log"
            command = [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
            processes.append(_spawn(command, env, log))
            found.logs.append(log)
        conf = tmp / "nginx.conf"
        conf.write_text(_nginx_conf(tmp, ports, listen))
        found.logs += [tmp / "nginx.log", tmp / "nginx-error.log"]
        processes.append(
            _spawn([nginx, "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(conf)], env, tmp / "nginx.log")
        )
        for url in found.instances:
            await _ready(f"{url}/readyz", processes, found)
        await _ready(f"{proxy}/healthz", processes, found)
        yield found
    finally:
        for process in processes:
            _stop(process)


def _nginx_conf(tmp: Path, ports: list[int], listen: int) -> str:
    user = "user root root;" if os.geteuid() == 0 else ""  # as root, workers would otherwise be `nobody`
    values = {
        "@USER@": user, "@TMP@": str(tmp), "@PORT1@": str(ports[0]), "@PORT2@": str(ports[1]),
        "@LISTEN@": str(listen), "@REPOSITORY@": str(REPOSITORY), "@PROXY@": PROXY_ADDRESS,
    }  # fmt: skip
    text = NGINX_CONF
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPOSITORY)  # noqa: S603


async def _ready(url: str, processes: list[subprocess.Popen[bytes]], found: Deployment) -> None:
    """Wait until ``url`` answers 200; fail with the processes' output if one exits or the deadline passes."""
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(int(READY_WITHIN_S / 0.1)):
            if any(process.poll() is not None for process in processes):
                break
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become ready; output:\n{found.log_text()[-4000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # serve stops uvicorn cleanly; nginx does a fast shutdown
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
