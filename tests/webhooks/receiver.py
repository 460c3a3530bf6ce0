"""A real HTTP receiver on loopback, run in a thread by the test: it records every request and answers from a script.

It speaks HTTP/1.1 and keeps connections alive, counting them: each request records the connection it came on,
so a test sees which requests shared a connection and what ``Host`` each carried.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHUNK = 64 * 1024
HOLD_S = 30.0  # a bound on a held answer, not a timing


@dataclass
class Received:
    """One request as the receiver saw it, and the number of the connection it came on (from 1)."""

    path: str
    headers: dict[str, str]
    body: bytes
    connection: int = 0


@dataclass
class Receiver:
    """Answers each request with the next scripted status (then ``default``); ``redirect`` answers 302."""

    script: list[int] = field(default_factory=list)
    default: int = 200
    delay_s: float = 0.0  # how long to wait before answering (a slow receiver)
    endless: bool = (
        False  # an answer whose body never ends (it announces a petabyte and writes until the client leaves)
    )
    drip_s: float = 0.0  # with endless: one byte at a time, this far apart (a body that trickles)
    hold: threading.Event | None = None  # when given, each answer waits until it is set (at most HOLD_S)
    requests: list[Received] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)  # set at each request
    opened: int = 0  # connections accepted
    closed: int = 0  # connections ended
    ended: threading.Event = field(default_factory=threading.Event)  # set when a connection ends
    in_flight: int = 0
    most_in_flight: int = 0  # the most requests being answered at once
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hooks"

    def answer(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.arrived.set()
            return self.script.pop(0) if self.script else self.default

    def answered(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def ids(self) -> list[str]:
        with self._lock:
            return [r.headers["webhook-id"] for r in self.requests]

    def hosts_by_connection(self) -> dict[int, set[str]]:
        """The ``Host`` headers each connection carried."""
        with self._lock:
            seen: dict[int, set[str]] = {}
            for request in self.requests:
                seen.setdefault(request.connection, set()).add(request.headers["host"])
            return seen

    def connection_opened(self) -> int:
        with self._lock:
            self.opened += 1
            return self.opened

    def connection_closed(self) -> None:
        with self._lock:
            self.closed += 1
            self.ended.set()

    def wait_closed(self, count: int, timeout: float) -> bool:
        """Wait (at most ``timeout``) until ``count`` connections have ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self.closed >= count:
                    return True
                self.ended.clear()
            self.ended.wait(0.05)
        return self.closed >= count


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive unless the client closes

        def setup(self) -> None:
            super().setup()
            self.number = receiver.connection_opened()

        def finish(self) -> None:
            try:
                super().finish()
            finally:
                receiver.connection_closed()

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            status = receiver.answer(Received(self.path, headers, body, self.number))
            try:
                if receiver.hold is not None:
                    receiver.hold.wait(HOLD_S)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                self._respond(status)
            finally:
                receiver.answered()

        def _respond(self, status: int) -> None:
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", f"http://{receiver.host}:{receiver.port}/elsewhere")
            self.send_header("content-length", str(2**50 if receiver.endless else 2))
            self.end_headers()
            if not receiver.endless:
                self.wfile.write(b"ok")
                return
            self.close_connection = True
            try:
                while True:  # until the client goes away
                    self.wfile.write(b"x" if receiver.drip_s else b"x" * CHUNK)
                    self.wfile.flush()
                    time.sleep(receiver.drip_s)
            except OSError:
                return

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the test reads what was received

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that left in the middle of an answer is what some tests do


def serve(receiver: Receiver) -> Iterator[Receiver]:
    """Run ``receiver`` on a free loopback port (or ``receiver.port``) until the generator is closed."""
    server = _Server((receiver.host, receiver.port), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
