"""Batches: a batch of deliveries is claimed with one statement, loaded and recorded with a few more, whatever its size;
each of its apps is authenticated and its facts loaded once for the batch, so that a delivery costs only its rendering's
own record; and the next batch, even in the same pass, reads the apps anew."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models import OAuthClient, Region
from api.models.enums import Role, WebhookDeliveryStatus
from api.settings import Settings
from api.webhooks.fanout import fan_out
from tests.live.harness import WAIT_S
from tests.webhooks.helpers import (
    COARSE_DOCUMENT,
    REPORTED,
    Hooked,
    app,
    deliveries,
    hooked,
    incidents,
    one_pass,
    registered,
    team,
)
from tests.webhooks.receiver import Receiver

CLAIM = re.compile(r"^UPDATE webhook_delivery SET .* FOR UPDATE OF webhook_delivery SKIP LOCKED", re.DOTALL)
WORKER_TABLES = re.compile(r"\b(webhook_delivery|webhook_endpoint|domain_event|oauth_client|data_key)\b")
AUTHENTICATION = re.compile(r"\bFROM oauth_client JOIN organization ON\b")  # the batch's apps as they are now
FACTS = re.compile(r"^SELECT \(SELECT array_agg\(")  # one app's facts (api.auth.facts.load_facts)
RECORD = re.compile(r"\bFROM rapid_response_incident\b")  # the rendering's read of the event's record
S = WebhookDeliveryStatus


async def _delivering(
    engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings
) -> list[str]:
    """The statements a worker pass sends from its first claim on (its fan-out left out: it was done before)."""
    async with sessions() as session:
        await fan_out(session, batch=100_000)
        await session.commit()
    sent: list[str] = []

    def record(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await one_pass(sessions, sealer, settings)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return sent[next(n for n, statement in enumerate(sent) if CLAIM.match(statement)) :]


def _count(pattern: re.Pattern[str], sent: list[str]) -> int:
    return sum(1 for statement in sent if pattern.search(statement))


async def test_a_batch_authenticates_each_app_and_loads_its_facts_once_whatever_its_size(
    hook_client: httpx.AsyncClient, live_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer, hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    first = await hooked(hook_client, live_sessions, receiver.url, COARSE_DOCUMENT)
    second = await app(hook_client, live_sessions, first.crew.org, [Role.RR_DISPATCHER])
    await registered(hook_client, second.token, second.gid, receiver.url, REPORTED, COARSE_DOCUMENT)
    worker = []
    for size in (2, 12):  # incidents, each delivered to both apps' endpoints: one batch of 4, then one of 24
        await incidents(live_sessions, live_sealer, first.crew, size)
        sent = await _delivering(live_engine, live_sessions, live_sealer, hook_settings)
        own = [statement for statement in sent if WORKER_TABLES.search(statement)]
        assert _count(CLAIM, own) == 1  # the whole batch in one claim
        assert _count(AUTHENTICATION, sent) == 1  # both apps, once for the batch
        assert _count(FACTS, sent) == 2  # each app's, once for the batch
        assert _count(RECORD, sent) == 2 * size  # each delivery's own: its record read as the app may read it
        assert len(sent) == len(own) + 2 + 2 * size  # and nothing else
        worker.append(len(own))

    assert worker[0] == worker[1]  # claim, endpoints, events, apps, outcomes: the same for 4 and for 24
    assert len(set(receiver.ids())) == len(receiver.requests) == 28


async def _dispatching_for(sessions: async_sessionmaker[AsyncSession], region: Region, org: uuid.UUID | None) -> None:
    """The hub makes ``org`` the rapid-response organization of ``region`` (None: none)."""
    async with sessions() as session:
        values = {"rapid_response_organization_id": org}
        await session.execute(update(Region).where(Region.id == region.id).values(values))
        await session.commit()


async def _withdraw_region(sessions: async_sessionmaker[AsyncSession], hook: Hooked, elsewhere: Region) -> None:
    await _dispatching_for(sessions, elsewhere, None)  # the app's facts change


async def _narrow_ceiling(sessions: async_sessionmaker[AsyncSession], hook: Hooked, elsewhere: Region) -> None:
    async with sessions() as session:  # the app's viewer changes
        narrowed = {"max_roles": [Role.ORGANIZER.value]}
        await session.execute(update(OAuthClient).where(OAuthClient.id == hook.partner.row.id).values(narrowed))
        await session.commit()


Change = Callable[[async_sessionmaker[AsyncSession], Hooked, Region], Awaitable[None]]


@pytest.mark.parametrize(
    ("change", "after"),
    [(_withdraw_region, (S.NOT_VISIBLE, "NOT_VISIBLE")), (_narrow_ceiling, (S.DROPPED, "DOCUMENT_INVALID"))],
)
async def test_the_next_batch_of_the_same_pass_delivers_under_the_apps_new_rights(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver, change: Change, after: tuple[WebhookDeliveryStatus, str],
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url, COARSE_DOCUMENT)
    other = await team(live_sessions)  # a team of another region, for which the hub makes the app's team dispatch
    await _dispatching_for(live_sessions, other.region, hook.crew.org.id)
    await incidents(live_sessions, live_sealer, other, 2)  # seen by the app only through that responsibility
    receiver.hold = threading.Event()  # the first batch's answer waits until the rights have changed
    batches_of_one = hook_settings.model_copy(update={"webhooks_batch": 1})
    passing = asyncio.create_task(one_pass(live_sessions, live_sealer, batches_of_one))

    assert await asyncio.to_thread(receiver.arrived.wait, WAIT_S)  # the first batch, rendered under the old rights
    await change(live_sessions, hook, other.region)
    receiver.hold.set()
    done = await passing

    assert done.attempted == 2  # one pass, two batches of one
    assert len(receiver.requests) == 1
    sent = [(d.status, d.last_error) for d in await deliveries(live_sessions, hook.endpoint)]
    assert Counter(sent) == Counter([(S.SUCCEEDED, None), after])
