"""A minimal HTTP receiver for the webhook benchmark, run as its own process: answers every POST 200 and counts.

    python bench/webhook_receiver.py PORT_FILE

It writes the port it listens on to PORT_FILE, and the number of requests received so far to PORT_FILE.count
on SIGTERM (and every second), so that the benchmark can check that every delivery arrived once; the number of
connections opened goes to PORT_FILE.connections. Connections are kept alive (HTTP/1.1) until the client closes
them.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

RECEIVED = 0
CONNECTIONS = 0


class Receiver(asyncio.Protocol):
    """One connection: read requests (headers and content-length body), answer each 200, keep the connection."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport, self.buffer = transport, b""
        global CONNECTIONS
        CONNECTIONS += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self._one():
            pass

    def _one(self) -> bool:
        head, separator, rest = self.buffer.partition(b"\r\n\r\n")
        if not separator:
            return False
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if len(rest) < length:
            return False
        self.buffer = rest[length:]
        global RECEIVED
        RECEIVED += 1
        self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        return True


def _write(path: Path, value: object) -> None:
    path.write_text(str(value))


async def main(port_file: Path) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Receiver, "127.0.0.1", 0)
    _write(port_file, server.sockets[0].getsockname()[1])
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    while not stop.is_set():
        _write(Path(f"{port_file}.count"), RECEIVED)
        _write(Path(f"{port_file}.connections"), CONNECTIONS)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            continue
    _write(Path(f"{port_file}.count"), RECEIVED)
    _write(Path(f"{port_file}.connections"), CONNECTIONS)
    server.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
