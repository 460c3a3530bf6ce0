"""Fan-out of the outbox through LISTEN/NOTIFY, on committed data (the live database): several instances on
one database behave as one, a listener catches up from the table, a slow subscriber is dropped."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.db import create_engine
from api.events.event import Event
from api.events.hub import EventHub, SubscriberDropped, Subscription
from api.models import Organization
from api.models.enums import EventKind
from api.schema.engine.ids import encode_global_id
from api.services.shared import events
from tests import factories
from tests.rapid_response import factories as rr
from tests.rapid_response import test_workflow_rapid_response as rapid
from tests.workflow import ok

WAIT_S = 10.0


@pytest.fixture
async def other_engine(live_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """A second instance's engine on the same (live) database."""
    engine = create_engine(live_engine.url.render_as_string(hide_password=False), pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def hub(other_engine: AsyncEngine) -> AsyncIterator[EventHub]:
    """The second instance's hub, connected and listening (from the newest event on)."""
    started = EventHub(other_engine.url, poll_s=60)
    await started.start()
    await asyncio.wait_for(started.connected.wait(), WAIT_S)
    yield started
    await started.stop()


async def _next(subscription: Subscription) -> Event:
    return await asyncio.wait_for(anext(subscription), WAIT_S)


async def _organization(sessions: async_sessionmaker[AsyncSession]) -> Organization:
    async with sessions() as session:
        org = await factories.organization(session)
        await session.commit()
    return org


async def _committed_event(
    sessions: async_sessionmaker[AsyncSession], org: Organization, *, notify: bool = True
) -> int:
    """Commit one event about ``org``; without ``notify`` the trigger is skipped (a lost notification)."""
    async with sessions() as session:
        if not notify:
            await session.execute(text("SET LOCAL session_replication_role = replica"))
        event = await events.record(session, None, EventKind.MEMBER_DEACTIVATED, org)
        await session.flush()
        await session.commit()
    return event.id


async def test_a_mutation_on_one_instance_reaches_a_subscriber_of_the_other(
    hub: EventHub, live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with live_sessions() as session:
        crew = await rr.team(session, name=f"Fanout {uuid.uuid4().hex[:6]}")
        await session.commit()
    async with hub.subscribe() as subscription:
        reported = await ok(live_client, "incidentReport", rapid._report(crew), crew.dispatcher, "incident { id }")
        event = await _next(subscription)
    assert event.kind is EventKind.INCIDENT_REPORTED
    assert gid_of(event) == reported["incident"]["id"]
    assert event.organization_ids == (crew.org.id,)
    assert event.region_id == crew.region.id
    assert event.actor_member_id == crew.dispatcher.member.id


def gid_of(event: Event) -> str:
    return encode_global_id("RapidResponseIncident", event.record_id)


async def test_a_missed_notification_is_caught_up_from_the_table_at_the_next_one(
    hub: EventHub, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    org = await _organization(live_sessions)
    async with hub.subscribe() as subscription:
        silent = await _committed_event(live_sessions, org, notify=False)
        loud = await _committed_event(live_sessions, org)
        assert [(await _next(subscription)).id for _ in range(2)] == [silent, loud]


async def test_a_listener_connected_after_some_events_catches_up_after_its_last_id(
    other_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    org = await _organization(live_sessions)
    async with live_sessions() as session:
        last = await events.last_id(session)
    before = [await _committed_event(live_sessions, org) for _ in range(3)]
    late = EventHub(other_engine.url, poll_s=60)
    subscription = late.subscribe()
    await late.start(last_id=last)  # it had seen ``last`` when it went away
    try:
        assert [(await _next(subscription)).id for _ in range(3)] == before
        after = await _committed_event(live_sessions, org)
        assert (await _next(subscription)).id == after
    finally:
        await late.stop()


async def test_an_event_committed_after_a_later_one_is_still_delivered_and_a_rolled_back_one_never(
    hub: EventHub, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    org = await _organization(live_sessions)
    async with hub.subscribe() as subscription, live_sessions() as slow, live_sessions() as undone:
        early = await events.record(slow, None, EventKind.MEMBER_DEACTIVATED, org)
        await slow.flush()  # takes its id first, commits last
        gone = await events.record(undone, None, EventKind.MEMBER_DEACTIVATED, org)
        await undone.flush()
        quick = await _committed_event(live_sessions, org)
        assert (await _next(subscription)).id == quick
        await undone.rollback()
        await slow.commit()
        assert (await _next(subscription)).id == early.id
        final = await _committed_event(live_sessions, org)
        assert (await _next(subscription)).id == final  # the rolled-back one was never handed on
    assert early.id < quick
    assert gone.id not in (quick, final)


async def test_a_slow_subscriber_is_dropped_and_the_others_get_every_event(
    other_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    org = await _organization(live_sessions)
    small = EventHub(other_engine.url, queue_size=2, poll_s=60)
    await small.start()
    await asyncio.wait_for(small.connected.wait(), WAIT_S)
    try:
        slow, fast = small.subscribe(), small.subscribe()
        sent = []
        for _ in range(4):
            sent.append(await _committed_event(live_sessions, org))
            assert (await _next(fast)).id == sent[-1]
        with pytest.raises(SubscriberDropped):
            await _next(slow)
        assert slow.dropped
        assert not fast.dropped
    finally:
        await small.stop()
    with pytest.raises(StopAsyncIteration):
        await _next(fast)  # stopping the hub ends its subscriptions
