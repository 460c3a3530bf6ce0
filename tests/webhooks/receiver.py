"""A real HTTP receiver on loopback, run in a thread by the test: it records every request and answers from a script."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next scripted status (then ``default``); ``redirect`` answers 302."""

    script: list[int] = field(default_factory=list)
    default: int = 200
    delay_s: float = 0.0  # how long to wait before answering (a slow receiver)
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)  # set at each request
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def answer(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            self.arrived.set()
            return self.script.pop(0) if self.script else self.default

    def ids(self) -> list[str]:
        with self._lock:
            return [r.headers["webhook-id"] for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {key.lower(): value for key, value in self.headers.items()}
            status = receiver.answer(Received(self.path, headers, body))
            if receiver.delay_s:
                time.sleep(receiver.delay_s)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", f"http://127.0.0.1:{receiver.port}/elsewhere")
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the test reads what was received

    return Handler


def serve(receiver: Receiver) -> Iterator[Receiver]:
    """Run ``receiver`` on a free loopback port until the generator is closed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
