"""The fan-out: groups of subscriptions rendered once, each subscription's events in order and exactly once,
subscriptions that start over from the table, and a client that stops reading."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar, cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect

from api.crypto import Sealer
from api.models.enums import EventKind, OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from api.schema.engine.live_server import LiveServer
from api.settings import Settings
from tests import factories as f
from tests.live import world as w
from tests.live.harness import PROTOCOL, WAIT_S, Live, Served, open_live, serving

INCIDENTS = "subscription { incidentEvents { eventId kind incident { id } } }"
T = TypeVar("T")


async def _dispatcher(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, str]:
    async with sessions() as db:
        org = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
        token = await f.token_for(db, await f.member(db, org, Role.RR_DISPATCHER))
        await db.commit()
    return org, token


def _in_server(served: Served, work: Callable[[LiveServer], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` on the served app's event loop (where its live server lives) and return its result."""
    live: LiveServer = cast(Any, served.server.config.app).state.live
    assert live._task is not None
    return asyncio.run_coroutine_threadsafe(work(live), live._task.get_loop()).result(WAIT_S)


async def _start_over(live: LiveServer) -> int:
    """What the feed does when it falls behind the hub: every subscription catches up from the table."""
    for subscription in list(live.subscriptions):
        subscription.resync()
    return len(live.subscriptions)


async def _ids(live: Live, op: str, count: int) -> list[str]:
    return [(await live.next_for(op))["payload"]["data"]["incidentEvents"]["incident"]["id"] for _ in range(count)]


async def test_subscriptions_that_start_over_from_the_table_miss_nothing_and_repeat_nothing(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    org, token = await _dispatcher(live_sessions)
    # one group (same credential, same document) over two connections and two subscriptions on one of them
    first, second = await open_live(served.url, token), await open_live(served.url, token)
    ops = [(first, await first.subscribe(INCIDENTS)), (first, await first.subscribe(INCIDENTS)),
           (second, await second.subscribe(INCIDENTS))]  # fmt: skip
    expected = []
    async with live_sessions() as db:
        for round_index in range(6):
            row = await w.incident(db, live_sealer, org)
            await w.emit(db, EventKind.INCIDENT_REPORTED, row)
            expected.append(encode_global_id("RapidResponseIncident", row.id))
            if round_index % 2:  # while the event may still be rendering for the group: it must come once
                assert _in_server(served, _start_over) >= 3
    for live, op in ops:
        assert await _ids(live, op, len(expected)) == expected
    # and nothing more: the next message of each subscription is the next event
    async with live_sessions() as db:
        row = await w.incident(db, live_sealer, org)
        await w.emit(db, EventKind.INCIDENT_REPORTED, row)
    for live, op in ops:
        assert await _ids(live, op, 1) == [encode_global_id("RapidResponseIncident", row.id)]
    await first.close()
    await second.close()


async def test_a_group_is_rendered_once_per_event_whatever_the_number_of_connections(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    org, token = await _dispatcher(live_sessions)
    clients = [await open_live(served.url, token) for _ in range(4)]
    ops = [await client.subscribe(INCIDENTS) for client in clients]
    async with live_sessions() as db:
        row = await w.incident(db, live_sealer, org)
        await w.emit(db, EventKind.INCIDENT_REPORTED, row)
    for client, op in zip(clients, ops, strict=True):
        assert await _ids(client, op, 1) == [encode_global_id("RapidResponseIncident", row.id)]
    assert _in_server(served, _renders_of_the_last_event) == 1  # one render for the four connections
    for client in clients:
        await client.close()


async def _closed_within(served: Served, before: int, seconds: float) -> bool:
    """Whether the server holds fewer connections than ``before`` within ``seconds`` (it may still be delivering)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while _in_server(served, _connections) >= before:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def _renders_of_the_last_event(live: LiveServer) -> int:
    return sum(1 for key in next(reversed(live._shared.values())) if key != "viewers")


@pytest.fixture(scope="module")
def impatient(live_settings: Settings) -> Iterator[Served]:
    with serving(live_settings.model_copy(update={"live_outbox": 10})) as running:
        yield running


async def test_a_client_that_stops_reading_is_closed_and_holds_up_no_one(
    impatient: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    org, token = await _dispatcher(live_sessions)
    reader = await open_live(impatient.url, token)
    reader_op = await reader.subscribe(INCIDENTS)
    # a client that stops reading: a small receive buffer, and the client library stops reading its socket once a
    # frame waits unread; the server's writes back up until its outbox for that connection holds 10 messages
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", impatient.port))
    ws = await connect(impatient.url, sock=sock, subprotocols=[PROTOCOL], max_queue=1, open_timeout=WAIT_S)  # type: ignore[list-item]
    stalled = Live(ws)
    await stalled.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    assert await stalled.receive() == {"type": "connection_ack"}
    # twenty subscriptions of 28 long aliases each: about 30 KB an event, so the kernel's buffers fill in a few dozen
    big = "subscription { incidentEvents { eventId " + " ".join(f"alias_to_fill_buffers_{i}: kind" for i in range(28))
    for _ in range(20):
        await stalled.subscribe(big + " } }")
    before = _in_server(impatient, _connections)
    expected = []
    async with live_sessions() as db:
        for _ in range(40):  # events in bursts until the server closed it (how many the kernel's buffers hold varies)
            for _ in range(25):
                row = await w.incident(db, live_sealer, org)
                await w.emit(db, EventKind.INCIDENT_REPORTED, row)
                expected.append(encode_global_id("RapidResponseIncident", row.id))
            if await _closed_within(impatient, before, 0.5):
                break
    assert _in_server(impatient, _connections) == before - 1  # the stalled one, closed by the server
    assert await _ids(reader, reader_op, len(expected)) == expected  # the other client missed nothing meanwhile
    assert await stalled.closed_with() == 1013  # once it reads again: its messages, then "try again later"
    await reader.close()


async def _connections(live: LiveServer) -> int:
    return sum(1 for connection in live.connections if not connection.closed)
