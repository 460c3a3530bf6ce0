"""Sample the GraphQL server with py-spy while it is under load, and summarise the hotspots.

py-spy writes collapsed stacks (``frame;frame;... count``, each frame ``function (file:line)``);
the summary lists the frames with the most samples on top of the stack (self) and the
functions of this repository with the most samples anywhere in the stack (inclusive).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")
_SITE = re.compile(r".*/site-packages/")
REPO = Path(__file__).resolve().parent.parent


def py_spy() -> str | None:
    """The py-spy executable (next to this interpreter, or on PATH)."""
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def record(pid: int, seconds: float, out_dir: Path, load: Callable[[], Any]) -> dict[str, Any]:
    """Run ``load`` while py-spy samples ``pid`` for ``seconds``; return the hotspot summary."""
    executable = py_spy()
    if executable is None:
        return {"error": "py-spy is not installed (pip install py-spy)"}
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / "profile.collapsed.txt"
    common = [executable, "record", "--pid", str(pid), "--duration", str(round(seconds)), "--rate", "250"]
    with subprocess.Popen([*common, "--format", "raw", "--output", str(raw)], stdout=subprocess.DEVNULL) as spy:
        load()
        spy.wait(timeout=seconds + 60)
    if spy.returncode != 0 or not raw.exists():
        return {"error": f"py-spy failed with exit code {spy.returncode} (ptrace permission?)"}
    return summarise(raw.read_text()) | {"collapsed": str(raw)}


def summarise(collapsed: str, top: int = 15) -> dict[str, Any]:
    """Top self frames (file:line) and top inclusive repository functions, as % of samples."""
    self_frames: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack.split(";")]
        total += count
        self_frames[frames[-1]] += count
        packages[_package(frames[-1])] += count
        for function in {
            _function(frame) for frame in frames if frame.rpartition(" (")[2].startswith(("api/", "bench/"))
        }:
            inclusive[function] += count
    return {
        "samples": total,
        "self": [(frame, round(100 * n / total, 1)) for frame, n in self_frames.most_common(top)] if total else [],
        "inclusive_api": [(f, round(100 * n / total, 1)) for f, n in inclusive.most_common(top)] if total else [],
        "self_by_package": [(p, round(100 * n / total, 1)) for p, n in packages.most_common(top)] if total else [],
    }


def _package(frame: str) -> str:
    """The top-level package (or stdlib module) of a frame; the event loop's C code counts as ``event loop``."""
    if frame.startswith("Runner.run (asyncio/runners.py"):
        return "event loop (uvloop, asyncpg and httptools C code)"
    location = frame.rpartition(" (")[2]
    return location.split("/")[0] if "/" in location else location.split(":")[0]


def _short(frame: str) -> str:
    """``function (file:line)`` with site-packages paths shortened."""
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    location = _SITE.sub("", match["file"]).replace(f"{REPO}/", "")
    return f"{match['function']} ({location}:{match['line']})" if match["line"] else f"{match['function']} ({location})"


def _function(frame: str) -> str:
    """A frame without its line number (for inclusive counts per function)."""
    return re.sub(r":\d+\)$", ")", frame)
