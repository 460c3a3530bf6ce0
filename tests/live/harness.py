"""The app served by uvicorn on a loopback port (its own engine and event hub, like production), and a
graphql-transport-ws client built on the ``websockets`` library."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.settings import Settings

PROTOCOL = "graphql-transport-ws"
WAIT_S = 20.0  # a bound on waiting for a message that must come (never an assertion on time)


class Served:
    """A running server: its address and its uvicorn instance (``stop()`` is what SIGTERM does)."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
        self.server, self.thread, self.port = server, thread, port
        self.url = f"ws://127.0.0.1:{port}/graphql"
        self.http = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True  # uvicorn's SIGTERM handler does exactly this
        self.thread.join(15)


@contextmanager
def serving(settings: Settings) -> Iterator[Served]:
    """The application on a free loopback port, with its own lifespan (engine, hub, live server)."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    # no log_config: uvicorn would reconfigure the process-wide loggers the log checks watch
    config = uvicorn.Config(
        create_app(settings), lifespan="on", log_config=None, timeout_graceful_shutdown=5, ws_per_message_deflate=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the server could not start"
        assert time.monotonic() < deadline, "the server did not start within 20 s"
        time.sleep(0.02)
    served = Served(server, thread, port)
    try:
        yield served
    finally:
        if thread.is_alive():
            served.stop()
        listening.close()


class Live:
    """One graphql-transport-ws connection."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.early: list[dict[str, Any]] = []  # messages read while waiting for a pong

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None, op_id: str | None = None) -> str:
        """Subscribe, then wait until the server has handled it (a ping answered after it: messages are handled
        in order, so the subscription is registered and any refusal already sent)."""
        op_id = op_id or uuid.uuid4().hex[:8]
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.send({"id": op_id, "type": "subscribe", "payload": payload})
        await self.sync()
        return op_id

    async def sync(self) -> None:
        await self.send({"type": "ping"})
        while (message := await self.receive()).get("type") != "pong":
            self.early.append(message)

    async def next_for(self, op_id: str) -> dict[str, Any]:
        """The next message of subscription ``op_id`` (``next``, ``error`` or ``complete``)."""
        for message in self.early:
            if message.get("id") == op_id:
                self.early.remove(message)
                return message
        while (message := await self.receive()).get("id") != op_id:
            self.early.append(message)
        return message

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        """The next message other than a ping from the server (answered)."""
        while True:
            message = orjson.loads(await asyncio.wait_for(self.ws.recv(), WAIT_S))
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            return dict(message)

    async def closed_with(self) -> int | None:
        """Read until the server closes the connection; its close code."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), WAIT_S)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd is not None else None

    async def close(self) -> None:
        await self.ws.close()


async def open_live(url: str, token: str | None = None, *, origin: str | None = None, ack: bool = True) -> Live:
    """Connect, send connection_init (with the token) and wait for the ack."""
    ws = await connect(url, subprotocols=[PROTOCOL], origin=origin, open_timeout=WAIT_S)  # type: ignore[list-item,arg-type]
    live = Live(ws)
    await live.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"} if token else {}})
    if ack:
        message = await live.receive()
        assert message == {"type": "connection_ack"}, message
    return live
