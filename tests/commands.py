"""`sanctuary-api` commands run as real processes, forked from an interpreter that has imported the command line.

Each command runs in a process of its own: its own pid, environment, working directory, standard streams (files
the caller reads back, so that everything written to them is seen, whoever wrote it) and exit code, as
`python -m api.cli ARGS` gives them, but without importing the API's modules anew for every command (about 1.5 s
of CPU each, most of what the command tests used to spend). An uncaught exception prints its traceback and exits
with 1, ``SystemExit`` exits with its code, and the exit handlers run, as at the end of an interpreter. The start-up
of a fresh interpreter is proven where `python -m api.cli serve` is started (tests/operations/test_cli.py,
test_production_profile.py, test_two_instances.py).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import orjson

# The command's modules, and those its commands import when they run, imported once by the forking interpreter.
PRELOAD = ["api.cli", "api.cli_serve", "api.cli_purge", "api.app", "api.seed.demo"]

_SERVER = r"""
import atexit, importlib, os, selectors, signal, socket, sys, traceback

import orjson

for name in sys.argv[2:]:
    importlib.import_module(name)
from api.cli import main

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked commands are reaped by the system
listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listening.bind(sys.argv[1])
listening.listen(8)
print("ready", flush=True)
watch = selectors.DefaultSelector()
watch.register(listening, selectors.EVENT_READ)
watch.register(sys.stdin, selectors.EVENT_READ)  # the test process closes it when it ends


def receive(connection):
    header, fds, _flags, _address = socket.recv_fds(connection, 8, 2)
    while len(header) < 8:
        header += connection.recv(8 - len(header))
    body, size = b"", int.from_bytes(header, "big")
    while len(body) < size:
        body += connection.recv(size - len(body))
    return orjson.loads(body), fds


def run(connection, request, fds):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    listening.close()
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(fds[0], 1)
    os.dup2(fds[1], 2)
    for fd in fds:
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.argv = ["sanctuary-api", *request["argv"]]
    connection.sendall(orjson.dumps({"pid": os.getpid()}) + b"\n")
    try:
        code = main(request["argv"])
    except SystemExit as stop:
        code = stop.code
    except BaseException:
        traceback.print_exc()
        code = 1
    if code is not None and not isinstance(code, int):  # SystemExit("message"), as the interpreter reports it
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    connection.sendall(orjson.dumps({"code": code or 0}) + b"\n")
    os._exit(code or 0)


while True:
    for key, _ in watch.select():
        if key.fileobj is sys.stdin:
            try:
                os.unlink(sys.argv[1])
                os.rmdir(os.path.dirname(sys.argv[1]))
            except OSError:
                pass
            sys.exit(0)
        connection, _ = listening.accept()
        request, fds = receive(connection)
        if os.fork() == 0:
            try:
                run(connection, request, fds)
            finally:
                os._exit(70)  # never back into this loop
        connection.close()
        for fd in fds:
            os.close(fd)
"""


class _Forker:
    """The forking interpreter of this test process, started on first use and stopped at exit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.folder: Path | None = None
        self.address = ""
        atexit.register(self.stop)

    def ready(self) -> str:
        with self.lock:
            if self.process is not None and self.process.poll() is None and not os.path.exists(self.address):
                self.stop()  # its socket is gone (a temporary folder cleaned under it): start another
            if self.process is None or self.process.poll() is not None:
                self.folder = Path(tempfile.mkdtemp(prefix="sanctuary-commands-"))  # a new one at each start
                self.address = str(self.folder / "socket")
                self.process = subprocess.Popen(  # noqa: S603
                    [sys.executable, "-c", _SERVER, self.address, *PRELOAD],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
                assert self.process.stdout is not None
                assert self.process.stdout.readline() == b"ready\n", "the command runner did not start"
            return self.address

    def stop(self) -> None:
        """Close its stdin: it removes its socket and folder, and exits (also when this process ends otherwise)."""
        if self.process is not None and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.address)
                self.folder.rmdir()


_FORKER = _Forker()


def _run(argv: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(_FORKER.ready())
            request = orjson.dumps({"argv": argv, "env": env, "cwd": os.getcwd()})
            socket.send_fds(connection, [len(request).to_bytes(8, "big")], [out.fileno(), err.fileno()])
            connection.sendall(request)
            replies = connection.makefile("rb")
            pid = orjson.loads(replies.readline())["pid"]
            try:
                line = replies.readline()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                raise
            assert line, f"the command {argv[:2]} ended without an exit code (killed by a signal?)"
            code = int(orjson.loads(line)["code"])
        out.seek(0)
        err.seek(0)
        return code, out.read().decode(), err.read().decode()


async def run_command(*args: str, env: dict[str, str], within_s: float = 60) -> tuple[int, str, str]:
    """Run `sanctuary-api ARGS` in its own process with exactly the environment ``env``; its exit code, stdout and
    stderr. Fails with ``TimeoutError`` (the process killed) after ``within_s`` seconds."""
    return await asyncio.to_thread(_run, list(args), env, within_s)
