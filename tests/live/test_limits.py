"""Connections per member and per app hold across instances sharing one database (api/ratelimit/connections.py):
two uvicorn instances on the live database, real WebSocket clients, the slots' table read and aged directly."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from websockets.exceptions import ConnectionClosed

from api import scheduler
from api.auth.clients import create_client
from api.crypto import Sealer
from api.models import LiveConnectionSlot
from api.models.enums import OrganizationKind, Role
from api.ratelimit.connections import KEY_LABEL, LOCK_CLASS, app_key, lock_id, member_key
from api.settings import Settings
from tests import factories as f
from tests.live.harness import WAIT_S, Live, Served, open_live, serving

TOO_MANY = 4429
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Caller:
    """A member's token (or an app's), and the digest its connections' rows carry."""

    token: str
    key: bytes


@contextmanager
def instances(settings: Settings, **changed: object) -> Iterator[tuple[Served, Served]]:
    """Two instances on one database, as behind a load balancer (``settings`` with ``changed``)."""
    both = settings.model_copy(update=changed)
    with serving(both) as a, serving(both) as b:
        yield a, b


@pytest.fixture(scope="module")
def pair(live_settings: Settings) -> Iterator[tuple[Served, Served]]:
    """Two instances, two connections per member and per app; shared by the module's tests."""
    limits = {"live_max_connections_per_member": 2, "live_max_connections_per_app": 2, "live_heartbeat_s": 5.0}
    with instances(live_settings, **limits) as both:
        yield both


@pytest.fixture
async def member(live_sessions: Sessions, live_sealer: Sealer) -> Caller:
    async with live_sessions() as db:
        org = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
        who = await f.member(db, org, Role.RR_DISPATCHER)
        token = await f.token_for(db, who)
        await db.commit()
    return Caller(token, member_key(live_sealer.derived_key(KEY_LABEL), who.id))


async def app(live_sessions: Sessions, live_sealer: Sealer, served: Served) -> Caller:
    """A partner app acting for itself, and one client-credentials token of it (several connections may share it)."""
    async with live_sessions() as db:
        org = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
        row, secret = await create_client(db, org, name="feed", scopes=["read"], max_roles=["RR_RESPONDER"])
        await db.commit()
    async with httpx.AsyncClient(base_url=served.http) as client:
        form = {"grant_type": "client_credentials"}
        response = await client.post("/oauth/token", data=form, auth=(row.client_id, secret))
    assert response.status_code == 200
    return Caller(str(response.json()["access_token"]), app_key(live_sealer.derived_key(KEY_LABEL), row.client_id))


async def connect(url: str, token: str | None) -> Live | int:
    """An acknowledged connection, or the code the server closed it with at init."""
    live = await open_live(url, token, ack=False)
    try:
        message = await live.receive()
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else -1
    assert message == {"type": "connection_ack"}, message
    return live


async def admitted(url: str, token: str | None) -> Live:
    outcome = await connect(url, token)
    assert isinstance(outcome, Live), f"refused with {outcome}"
    return outcome


async def rows(sessions: Sessions, key: bytes) -> int:
    """The slots rows holding ``key`` (as member or app), stale or not."""
    async with sessions() as db:
        slot = LiveConnectionSlot
        count = await db.scalar(select(func.count()).where(or_(slot.member_key == key, slot.app_key == key)))
    return int(count or 0)


async def until(condition: Callable[[], Awaitable[bool]]) -> None:
    """Wait for something the server must do after the client saw its part (bounded, never an assertion on time)."""
    deadline = time.monotonic() + WAIT_S
    while not await condition():
        assert time.monotonic() < deadline, "the server did not get there"
        await asyncio.sleep(0.05)


async def released(sessions: Sessions, key: bytes, left: int) -> None:
    async def done() -> bool:
        return await rows(sessions, key) == left

    await until(done)


async def age(sessions: Sessions, key: bytes, seconds: float) -> None:
    """Make the rows of ``key`` look last refreshed ``seconds`` ago (their instance stopped refreshing them)."""
    async with sessions() as db:
        await db.execute(
            update(LiveConnectionSlot)
            .where(LiveConnectionSlot.member_key == key)
            .values(seen_at=func.clock_timestamp() - timedelta(seconds=seconds))
        )
        await db.commit()


async def test_a_member_at_the_limit_on_one_instance_is_refused_on_the_other(
    pair: tuple[Served, Served], member: Caller, live_sessions: Sessions
) -> None:
    a, b = pair
    first, second = await admitted(a.url, member.token), await admitted(a.url, member.token)
    assert await connect(b.url, member.token) == TOO_MANY
    assert await connect(a.url, member.token) == TOO_MANY
    await first.close()
    await released(live_sessions, member.key, 1)
    on_b = await admitted(b.url, member.token)  # the slot freed on A is taken on B
    assert await connect(a.url, member.token) == TOO_MANY  # and counts on A
    for live in (second, on_b):
        await live.close()
    await released(live_sessions, member.key, 0)


async def test_a_connection_the_server_closed_frees_its_slot_on_that_instance_at_once(
    pair: tuple[Served, Served], member: Caller, live_sessions: Sessions
) -> None:
    a, _ = pair
    held = await admitted(a.url, member.token)  # the limit is 2: one slot left
    extra = await admitted(a.url, member.token)
    async with live_sessions() as holder:  # its row's delete waits (as on a slow database) ...
        slot = LiveConnectionSlot
        await holder.execute(select(slot.id).where(slot.member_key == member.key).with_for_update())
        await extra.send({"type": "connection_init", "payload": {}})
        assert await extra.closed_with() == TOO_MANY  # closed by the server (a second init)
        again = await admitted(a.url, member.token)  # ... yet the instance knows the slot is free
        await holder.commit()
    await released(live_sessions, member.key, 2)
    for live in (held, again):
        await live.close()
    await released(live_sessions, member.key, 0)


async def test_an_app_at_its_limit_on_one_instance_is_refused_on_the_other(
    pair: tuple[Served, Served], live_sessions: Sessions, live_sealer: Sealer
) -> None:
    a, b = pair
    feed = await app(live_sessions, live_sealer, a)
    held = [await admitted(a.url, feed.token), await admitted(b.url, feed.token)]
    assert await connect(b.url, feed.token) == TOO_MANY
    assert await connect(a.url, feed.token) == TOO_MANY
    await held[1].close()
    await released(live_sessions, feed.key, 1)
    held[1] = await admitted(a.url, feed.token)
    for live in held:
        await live.close()


async def test_anonymous_connections_are_not_counted(pair: tuple[Served, Served], live_sessions: Sessions) -> None:
    a, b = pair
    anonymous = [await admitted(url, None) for url in (a.url, b.url, a.url, b.url, a.url)]  # over both limits
    async with live_sessions() as db:
        counted = await db.scalar(
            select(func.count()).where(LiveConnectionSlot.member_key.is_(None), LiveConnectionSlot.app_key.is_(None))
        )
    assert counted == 0
    for live in anonymous:
        await live.close()


async def test_admits_racing_for_the_last_slot_let_exactly_one_in(
    pair: tuple[Served, Served], member: Caller, live_sessions: Sessions
) -> None:
    a, b = pair
    first = await admitted(a.url, member.token)  # the limit is 2: one slot left
    racers = 8
    async with live_sessions() as holder:  # hold the member's lock: every admit, on either instance, queues behind it
        await holder.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, lock_id(member.key))))
        outcomes = asyncio.gather(*(connect(url, member.token) for url in (a.url, b.url) * (racers // 2)))

        async def all_waiting() -> bool:
            return await waiting(live_sessions, member.key) == racers

        await until(all_waiting)  # all of them at the same point: they start together once it is let go
        await holder.commit()
    winners = [o for o in await outcomes if isinstance(o, Live)]
    assert len(winners) == 1
    assert sorted(o for o in await outcomes if isinstance(o, int)) == [TOO_MANY] * (racers - 1)
    assert await rows(live_sessions, member.key) == 2
    for live in (first, *winners):
        await live.close()


async def waiting(sessions: Sessions, key: bytes) -> int:
    """Sessions waiting for the advisory lock of ``key``."""
    async with sessions() as db:
        held = await db.execute(
            text("SELECT classid::int8, objid::int8 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        )
        return sum(1 for classid, objid in held if (classid, objid) == (LOCK_CLASS, lock_id(key) & 0xFFFFFFFF))


async def test_a_crashed_instances_rows_stop_counting_once_stale_and_are_purged(
    live_settings: Settings, member: Caller, live_sessions: Sessions
) -> None:
    slow = live_settings.model_copy(
        update={"live_max_connections_per_member": 2, "live_heartbeat_s": 60.0, "purge_interval_minutes": 0}
    )  # the purge runs when the test says
    gone = uuid.uuid4()  # an instance that crashed: nobody refreshes its rows any more
    async with live_sessions() as db:
        for seconds_ago in (90, 400):  # within the stale period (3 heartbeats: 180 s), and past it
            await db.execute(
                insert(LiveConnectionSlot).values(
                    id=uuid.uuid4(), instance_id=gone, member_key=member.key,
                    seen_at=func.clock_timestamp() - timedelta(seconds=seconds_ago),
                )
            )  # fmt: skip
        await db.commit()
    with serving(slow) as a:
        live = await admitted(a.url, member.token)  # the fresh row counts, the stale one does not
        assert await connect(a.url, member.token) == TOO_MANY
        async with live_sessions() as db:  # time passes: the crashed instance's fresh row goes stale too
            where = (LiveConnectionSlot.instance_id == gone,)
            await db.execute(update(LiveConnectionSlot).where(*where).values(seen_at=func.now() - timedelta(hours=1)))
            await db.commit()
        again = await admitted(a.url, member.token)
        assert await rows(live_sessions, member.key) == 4
        results = await scheduler.run_once(live_sessions, slow)
        assert results is not None
        assert results["live.forget_stale_connections"] >= 2  # type: ignore[operator]
        async with live_sessions() as db:
            instances = set(await db.scalars(select(LiveConnectionSlot.instance_id).where(*where)))
        assert instances == set()
        assert await rows(live_sessions, member.key) == 2  # the open connections' rows stay
        for each in (live, again):
            await each.close()


async def test_the_heartbeat_keeps_an_open_connection_counted(
    live_settings: Settings, member: Caller, live_sessions: Sessions
) -> None:
    with instances(live_settings, live_max_connections_per_member=1, live_heartbeat_s=2.0) as (a, b):
        live = await admitted(a.url, member.token)
        await age(live_sessions, member.key, 3600)  # as if A had missed its heartbeats

        async def refreshed() -> bool:
            async with live_sessions() as db:
                fresh = LiveConnectionSlot.seen_at > func.clock_timestamp() - timedelta(seconds=60)
                return bool(
                    await db.scalar(select(func.count()).where(LiveConnectionSlot.member_key == member.key, fresh))
                )

        await until(refreshed)
        assert await connect(b.url, member.token) == TOO_MANY
        async with live_sessions() as db:  # lost (PostgreSQL crashed: the table is unlogged; or purged as stale)
            await db.execute(delete(LiveConnectionSlot).where(LiveConnectionSlot.member_key == member.key))
            await db.commit()
        await until(refreshed)  # put back by A's next heartbeat
        assert await connect(b.url, member.token) == TOO_MANY
        await live.close()
        await released(live_sessions, member.key, 0)


async def test_an_instance_that_stops_gives_its_slots_back(
    live_settings: Settings, member: Caller, live_sessions: Sessions
) -> None:
    with instances(live_settings, live_max_connections_per_member=1) as (a, b):
        live = await admitted(a.url, member.token)
        a.server.should_exit = True  # SIGTERM: clients told to reconnect (1012), the instance's rows deleted
        assert await live.closed_with() == 1012
        await asyncio.to_thread(a.thread.join, WAIT_S)
        assert not a.thread.is_alive()
        assert await rows(live_sessions, member.key) == 0
        again = await admitted(b.url, member.token)
        await again.close()
