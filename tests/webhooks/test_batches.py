"""Batches: a batch of deliveries is claimed with one statement, loaded and recorded with a few more, whatever its size
(no statement per delivery but the rendering's own, which authorizes each event for the app as it is now)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models.enums import Role
from api.settings import Settings
from api.webhooks.fanout import fan_out
from tests.webhooks.helpers import COARSE_DOCUMENT, app, incidents, one_pass, registered, team
from tests.webhooks.receiver import Receiver

CLAIM = re.compile(r"^UPDATE webhook_delivery SET .* FOR UPDATE OF webhook_delivery SKIP LOCKED", re.DOTALL)
WORKER_TABLES = re.compile(r"\b(webhook_delivery|webhook_endpoint|domain_event|oauth_client|data_key)\b")


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


async def test_a_batch_is_claimed_loaded_and_recorded_in_the_same_statements_whatever_its_size(
    hook_client: httpx.AsyncClient, live_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer, hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    crew = await team(live_sessions)
    partner = await app(hook_client, live_sessions, crew.org, [Role.RR_DISPATCHER])
    await registered(hook_client, partner.token, partner.gid, receiver.url, ["INCIDENT_REPORTED"], COARSE_DOCUMENT)
    worker, rendering = [], []
    for size in (2, 12):
        await incidents(live_sessions, live_sealer, crew, size)
        sent = await _delivering(live_engine, live_sessions, live_sealer, hook_settings)
        own = [statement for statement in sent if WORKER_TABLES.search(statement)]
        assert sum(1 for statement in own if CLAIM.match(statement)) == 1  # the whole batch in one claim
        worker.append(len(own))
        rendering.append(len(sent) - len(own))

    assert worker[0] == worker[1]  # claim, endpoints, events, apps, outcomes: the same for 2 and for 12
    assert rendering[1] - rendering[0] == (rendering[0] // 2) * 10  # the rendering's statements, per delivery
    assert len(set(receiver.ids())) == len(receiver.requests) == 14
