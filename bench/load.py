"""Closed-loop HTTP load with a fixed concurrency and duration: wrk when installed, else httpx.

Both endpoints are driven by the same client with the same POST body and bearer token.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
MARKER = "BENCH_RESULT "

LUA_TEMPLATE = """
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = [==[Bearer {token}]==]

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{marker}{{"requests": %.0f, "duration_s": %.6f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, '
      .. '"mean_ms": %.3f, "max_ms": %.3f, "status_errors": %.0f, "socket_errors": %.0f}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.mean / 1e3, latency.max / 1e3, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class LoadResult:
    """Throughput and latency of one measured run."""

    tool: str
    concurrency: int
    requests: int
    duration_s: float
    p50_ms: float
    p95_ms: float
    status_errors: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def client_name() -> str:
    """The load generator this machine will use."""
    return "wrk" if shutil.which("wrk") else "httpx"


def drive(url: str, body: bytes, token: str, *, concurrency: int, duration: float, warmup: float) -> LoadResult:
    """Warm up for ``warmup`` seconds (discarded), then measure for ``duration`` seconds."""
    if client_name() == "wrk":
        with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
            script = Path(tmp) / "post.lua"
            script.write_text(LUA_TEMPLATE.format(body=body.decode(), token=token, marker=MARKER))
            if warmup > 0:
                _wrk(url, script, concurrency, warmup)
            return _result("wrk", concurrency, _wrk(url, script, concurrency, duration))
    with tempfile.NamedTemporaryFile(prefix="bench-body-", suffix=".json") as handle:
        handle.write(body)
        handle.flush()
        args = ["--url", url, "--body-file", handle.name, "--token", token, "--concurrency", str(concurrency)]
        if warmup > 0:
            _httpx([*args, "--duration", str(warmup)])
        return _result("httpx", concurrency, _httpx([*args, "--duration", str(duration)]))


def _wrk(url: str, script: Path, concurrency: int, duration: float) -> dict[str, float]:
    threads = min(2, concurrency)
    command = [
        "wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1, round(duration))}s",
        "--timeout", "30s", "-s", str(script), url,
    ]  # fmt: skip
    return _parse(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def _httpx(args: list[str]) -> dict[str, float]:
    command = [sys.executable, str(BENCH_DIR / "httpx_load.py"), *args]
    return _parse(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def _parse(output: str) -> dict[str, float]:
    for line in output.splitlines():
        if line.startswith(MARKER):
            return dict(json.loads(line[len(MARKER) :]))
    raise RuntimeError(f"the load generator printed no result:\n{output}")


def _result(tool: str, concurrency: int, raw: dict[str, float]) -> LoadResult:
    return LoadResult(
        tool=tool,
        concurrency=concurrency,
        requests=int(raw["requests"]),
        duration_s=float(raw["duration_s"]),
        p50_ms=float(raw["p50_ms"]),
        p95_ms=float(raw["p95_ms"]),
        status_errors=int(raw["status_errors"]),
        socket_errors=int(raw["socket_errors"]),
    )
