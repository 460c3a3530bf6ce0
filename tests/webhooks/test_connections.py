"""Kept-alive connections to a real receiver on loopback: reused across deliveries and rounds, never for another
host or another address of the host, never past the SSRF guard; redirects still not followed, answers still
bounded in size and time (a connection left mid-answer is not reused); idle pools bounded; a cap per host."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models.enums import WebhookDeliveryStatus
from api.settings import Settings
from api.webhooks.connections import Connections, Target
from api.webhooks.sender import Outcome, send, send_to
from tests.live.harness import WAIT_S
from tests.webhooks.helpers import COARSE_DOCUMENT, deliveries, hooked, incidents, one_pass
from tests.webhooks.receiver import Receiver, serve

LOOPBACK = ipaddress.ip_address("127.0.0.1")
HEADERS = {"webhook-id": "msg_connections"}


@contextlib.asynccontextmanager
async def _connections(settings: Settings) -> AsyncIterator[Connections]:
    connections = Connections(settings)
    try:
        yield connections
    finally:
        await connections.aclose()


async def _to(
    connections: Connections, settings: Settings, host: str, port: int, address: str = "127.0.0.1"
) -> Outcome:
    """One request to ``host`` (as registered) at ``address`` (as if the host had resolved to it)."""
    target = Target("http", host, port, ipaddress.ip_address(address))
    return await send_to(target, f"http://{host}:{port}/hooks", HEADERS, b"{}", settings, connections)


@pytest.mark.parametrize(("keepalive_s", "opened"), [(5.0, 1), (0.0, 5)])
async def test_deliveries_to_one_receiver_share_a_kept_connection_across_rounds(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver, keepalive_s: float, opened: int,
) -> None:  # fmt: skip
    crew = (await hooked(hook_client, live_sessions, receiver.url, COARSE_DOCUMENT)).crew
    settings = hook_settings.model_copy(update={"webhooks_concurrency": 1, "webhooks_keepalive_s": keepalive_s})

    async with _connections(settings) as kept:  # as a worker keeps them between its rounds
        await incidents(live_sessions, live_sealer, crew, 3)
        await one_pass(live_sessions, live_sealer, settings, connections=kept)
        await incidents(live_sessions, live_sealer, crew, 2)
        await one_pass(live_sessions, live_sealer, settings, connections=kept)

    assert len(set(receiver.ids())) == len(receiver.requests) == 5
    assert receiver.opened == opened  # one connection for five deliveries; a connection each without keep-alive


async def test_a_kept_connection_is_never_used_for_another_host_at_the_same_address(
    hook_settings: Settings, receiver: Receiver
) -> None:
    async with _connections(hook_settings) as kept:
        for host in ("a.example", "b.example", "a.example", "b.example"):
            assert (await _to(kept, hook_settings, host, receiver.port)).ok

    assert receiver.opened == 2
    assert sorted(sorted(hosts) for hosts in receiver.hosts_by_connection().values()) == [
        [f"a.example:{receiver.port}"], [f"b.example:{receiver.port}"]
    ]  # fmt: skip


async def test_a_host_that_resolves_to_another_address_is_not_sent_over_the_old_connection(
    hook_settings: Settings, receiver: Receiver
) -> None:
    with contextlib.contextmanager(serve)(Receiver(host="127.0.0.2", port=receiver.port)) as moved:
        async with _connections(hook_settings) as kept:
            for address in ("127.0.0.1", "127.0.0.2", "127.0.0.1"):
                assert (await _to(kept, hook_settings, "hooks.example", receiver.port, address)).ok

    assert (len(receiver.requests), receiver.opened) == (2, 1)  # the first address's connection, kept and reused
    assert (len(moved.requests), moved.opened) == (1, 1)  # the second address got its own
    assert moved.requests[0].headers["host"] == f"hooks.example:{receiver.port}"


async def test_a_kept_connection_does_not_get_past_the_ssrf_guard(hook_settings: Settings, receiver: Receiver) -> None:
    async with _connections(hook_settings) as kept:
        assert (await send(receiver.url, HEADERS, b"{}", hook_settings, kept)).ok  # loopback, allowed in tests
        assert len(kept) == 1
        guarded = hook_settings.model_copy(update={"webhooks_allow_private": False})  # as in production

        refused = await send(receiver.url, HEADERS, b"{}", guarded, kept)

    assert refused == Outcome(None, "ADDRESS_REFUSED")
    assert len(receiver.requests) == 1


async def test_a_redirect_on_a_kept_connection_is_not_followed(hook_settings: Settings, receiver: Receiver) -> None:
    receiver.script = [302, 301]
    async with _connections(hook_settings) as kept:
        answers = [await send(receiver.url, HEADERS, b"{}", hook_settings, kept) for _ in range(3)]

    assert answers == [Outcome(302, "REDIRECT"), Outcome(301, "REDIRECT"), Outcome(200, None)]
    assert [r.path for r in receiver.requests] == ["/hooks"] * 3
    assert receiver.opened == 1


async def test_an_endless_answer_is_read_up_to_the_cap_and_its_connection_not_reused(
    hook_settings: Settings, receiver: Receiver
) -> None:
    capped = hook_settings.model_copy(update={"webhooks_max_response_bytes": 1024})
    receiver.endless = True  # announces a petabyte and writes until the client leaves
    async with _connections(capped) as kept:
        first = await send(receiver.url, HEADERS, b"{}", capped, kept)  # read everything: it would time out
        receiver.endless = False
        second = await send(receiver.url, HEADERS, b"{}", capped, kept)

    assert (first, second) == (Outcome(200, None), Outcome(200, None))
    assert [r.connection for r in receiver.requests] == [1, 2]


async def test_an_answer_that_trickles_times_out_and_its_connection_is_not_reused(
    hook_settings: Settings, receiver: Receiver
) -> None:
    slow = hook_settings.model_copy(update={"webhooks_timeout_s": 1.0})
    receiver.endless, receiver.drip_s = True, 0.2  # a byte every 0.2 s, never the end
    async with _connections(slow) as kept:
        first = await send(receiver.url, HEADERS, b"{}", slow, kept)
        receiver.endless = False
        second = await send(receiver.url, HEADERS, b"{}", slow, kept)

    assert (first, second) == (Outcome(None, "TIMEOUT"), Outcome(200, None))
    assert [r.connection for r in receiver.requests] == [1, 2]


async def test_idle_pools_are_bounded_in_number_and_in_idle_time(hook_settings: Settings, receiver: Receiver) -> None:
    one_pool = hook_settings.model_copy(update={"webhooks_keepalive_pools": 1})
    async with _connections(one_pool) as kept:
        assert (await _to(kept, one_pool, "a.example", receiver.port)).ok
        assert (await _to(kept, one_pool, "b.example", receiver.port)).ok  # a.example's idle pool makes room
        assert len(kept) == 1
        assert await asyncio.to_thread(receiver.wait_closed, 1, WAIT_S)  # a bound on waiting, not a timing
        assert receiver.opened - receiver.closed == 1

    brief = hook_settings.model_copy(update={"webhooks_keepalive_s": 0.2})
    async with _connections(brief) as kept:
        assert (await _to(kept, brief, "c.example", receiver.port)).ok
        await asyncio.sleep(0.5)  # idle longer than the keep-alive
        await kept.sweep()  # what every round of the worker ends with
        assert len(kept) == 0
        assert await asyncio.to_thread(receiver.wait_closed, receiver.opened, WAIT_S)


async def test_at_most_the_per_host_cap_of_requests_go_to_one_receiver_at_once(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    crew = (await hooked(hook_client, live_sessions, receiver.url, COARSE_DOCUMENT)).crew
    await incidents(live_sessions, live_sealer, crew, 6)
    receiver.delay_s = 0.3
    capped = hook_settings.model_copy(update={"webhooks_concurrency": 8, "webhooks_per_host_connections": 2})

    done = await one_pass(live_sessions, live_sealer, capped)

    assert done.attempted == len(set(receiver.ids())) == 6
    assert receiver.most_in_flight <= 2
    assert receiver.opened <= 2


async def test_deliveries_waiting_for_a_busy_receiver_are_not_timed_out_by_the_wait(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url, COARSE_DOCUMENT)
    await incidents(live_sessions, live_sealer, hook.crew, 4)
    receiver.delay_s = 1.0  # each answer takes a second; four in a row take four, each well within its three
    one_by_one = hook_settings.model_copy(
        update={"webhooks_concurrency": 4, "webhooks_per_host_connections": 1, "webhooks_timeout_s": 3.0}
    )

    await one_pass(live_sessions, live_sealer, one_by_one)

    assert len(set(receiver.ids())) == 4
    assert receiver.most_in_flight == 1
    statuses = [d.status for d in await deliveries(live_sessions, hook.endpoint)]
    assert statuses == [WebhookDeliveryStatus.SUCCEEDED] * 4  # the wait for the receiver is not the attempt's
