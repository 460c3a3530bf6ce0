"""The fan-out's horizon: an event committed after a later one was read is delivered once, however late and however
many ids later; a rolled-back id is forgotten once its transaction has ended; the transaction that writes an event
holds its own transaction id before it draws the event's id (what the proof of forgetting rests on); a round creates
more deliveries than one statement's bound parameters can carry."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.events.horizon import WINDOW
from api.models.enums import WebhookDeliveryStatus
from api.settings import Settings
from api.webhooks.fanout import fan_out
from tests.webhooks.helpers import (
    REPORTED,
    deliveries,
    fan_out_cursor,
    hooked,
    incidents,
    one_pass,
    registered,
    reported,
)
from tests.webhooks.receiver import Receiver

FILLER = """INSERT INTO domain_event (kind, record_type, record_id, organization_ids)
SELECT 'ADVOCACY_HELD', 'advocacy_action', gen_random_uuid(), '{}' FROM generate_series(1, :count)
RETURNING id"""  # events no endpoint of these tests subscribes to
REPORTED_EVENTS = """INSERT INTO domain_event (kind, record_type, record_id, organization_ids)
SELECT 'INCIDENT_REPORTED', 'rapid_response_incident', gen_random_uuid(), '{}' FROM generate_series(1, :count)"""
FORGET_WAIT_S = 120.0  # a bound on waiting for the shared server's older transactions to end, not a timing


async def _filler(sessions: async_sessionmaker[AsyncSession], count: int) -> int:
    """``count`` committed events nobody here subscribes to; the highest id."""
    async with sessions() as session:
        ids = list(await session.scalars(text(FILLER), {"count": count}))
        await session.commit()
    return int(max(ids))


async def _read_past(sessions: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, last: int) -> None:
    """Worker passes until the fan-out's cursor has read up to ``last`` (500 events a pass)."""
    for _ in range(20):
        if (await fan_out_cursor(sessions)).last_event_id >= last:
            return
        await one_pass(sessions, sealer, settings)
    raise AssertionError("the fan-out did not get there")


async def test_an_event_committed_after_a_later_one_is_delivered_once_however_late(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    now = datetime.now(UTC)
    async with live_sessions() as slow:  # draws its event's id first, commits last
        early = (await reported(slow, live_sealer, hook.crew)).id
        [later] = await incidents(live_sessions, live_sealer, hook.crew, 1)
        last = await _filler(live_sessions, WINDOW + 200)  # more ids than a subscription's horizon remembers
        assert early < later < last
        await _read_past(live_sessions, live_sealer, hook_settings, last)
        assert len(receiver.requests) == 1  # the later event went out; the early one is a gap
        assert early in (await fan_out_cursor(live_sessions)).gap_ids
        await one_pass(live_sessions, live_sealer, hook_settings, now + timedelta(days=3))
        assert len(receiver.requests) == 1  # still in flight, days later: kept, not given up
        await slow.commit()

    await one_pass(live_sessions, live_sealer, hook_settings, now + timedelta(days=3))
    await one_pass(live_sessions, live_sealer, hook_settings, now + timedelta(days=3))

    assert len(receiver.requests) == 2
    assert Counter(receiver.ids()).most_common(1)[0][1] == 1
    rows = await deliveries(live_sessions, hook.endpoint)
    assert sorted(d.event_id for d in rows) == [early, later]
    assert {(d.status, d.attempts) for d in rows} == {(WebhookDeliveryStatus.SUCCEEDED, 1)}
    assert early not in (await fan_out_cursor(live_sessions)).gap_ids


async def test_a_rolled_back_event_is_forgotten_once_its_transaction_has_ended(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    crew = (await hooked(hook_client, live_sessions, receiver.url)).crew
    async with live_sessions() as doomed:
        gone = (await reported(doomed, live_sealer, crew)).id
        [kept] = await incidents(live_sessions, live_sealer, crew, 1)
        await _read_past(live_sessions, live_sealer, hook_settings, kept)
        await one_pass(live_sessions, live_sealer, hook_settings)
        assert gone in (await fan_out_cursor(live_sessions)).gap_ids  # its transaction runs: it may still commit
        await doomed.rollback()

    deadline = time.monotonic() + FORGET_WAIT_S  # once every transaction older than the gap's reading has ended
    while gone in (await fan_out_cursor(live_sessions)).gap_ids and time.monotonic() < deadline:
        await one_pass(live_sessions, live_sealer, hook_settings)
        await asyncio.sleep(0.1)

    assert gone not in (await fan_out_cursor(live_sessions)).gap_ids
    assert len(receiver.requests) == 1


async def test_a_round_creates_more_deliveries_than_one_statement_can_carry(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    hook = await hooked(hook_client, live_sessions, receiver.url)
    for n in range(8):  # nine endpoints on the kind: a round of 500 events makes 4,500 deliveries, 36,000 parameters
        await registered(hook_client, hook.partner.token, hook.partner.gid, f"{receiver.url}/{n}", REPORTED)
    async with live_sessions() as session:
        await session.execute(text(REPORTED_EVENTS), {"count": 500})
        await session.commit()

    async with live_sessions() as session:
        created = await fan_out(session)  # the worker's round
        await session.commit()

    assert created == 500 * 9


PROBE = """CREATE FUNCTION domain_event_probe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_current_xact_id_if_assigned() IS NULL THEN
        RAISE EXCEPTION 'no transaction id yet';
    END IF;
    BEGIN
        PERFORM currval(pg_get_serial_sequence('domain_event', 'id'));
        RAISE EXCEPTION 'an event id was drawn already';
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        NULL;  -- no id drawn yet in this session
    END;
    RETURN NULL;
END $$"""
PROBE_TRIGGER = """CREATE TRIGGER domain_event_zz_probe BEFORE INSERT ON domain_event
    FOR EACH STATEMENT EXECUTE FUNCTION domain_event_probe()"""  # after domain_event_take_xid (by name)
EVENT = """INSERT INTO domain_event (kind, record_type, record_id, organization_ids)
VALUES ('ADVOCACY_HELD', 'advocacy_action', gen_random_uuid(), '{}')"""


@contextlib.asynccontextmanager
async def _altered(engine: AsyncEngine, do: list[str], undo: list[str]) -> AsyncIterator[None]:
    """Schema changes committed for the block (the live database is this test's alone meanwhile), then undone."""
    async with engine.begin() as connection:
        for statement in do:
            await connection.execute(text(statement))
    try:
        yield
    finally:
        async with engine.begin() as connection:
            for statement in undo:
                await connection.execute(text(statement))


async def _first_insert(engine: AsyncEngine) -> None:
    """Insert one event as the first statement of a fresh connection's transaction; rolled back."""
    connection = await asyncpg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute(EVENT)
    finally:
        await transaction.rollback()
        await connection.close()


async def test_a_transaction_holds_its_id_before_it_draws_an_event_id(live_engine: AsyncEngine) -> None:
    probe = (
        [PROBE, PROBE_TRIGGER],
        ["DROP TRIGGER domain_event_zz_probe ON domain_event", "DROP FUNCTION domain_event_probe()"],
    )
    async with _altered(live_engine, *probe):
        await _first_insert(live_engine)  # the probe raised neither: the transaction had its id, no event id was drawn

        without = "ALTER TABLE domain_event {} TRIGGER domain_event_take_xid"  # the probe does notice the opposite
        async with _altered(live_engine, [without.format("DISABLE")], [without.format("ENABLE")]):
            with pytest.raises(asyncpg.RaiseError, match="no transaction id yet"):
                await _first_insert(live_engine)
