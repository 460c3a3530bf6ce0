"""Rapid response under concurrency (real committed transactions): one wins, the other is told, nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models import IncidentDispatch, IncidentTimelineEvent, RapidResponseIncident
from api.models.enums import IncidentStatus, Role, TimelineKind, Verification
from tests.graphql import gid
from tests.rapid_response import factories as rr
from tests.workflow import Actor, actor, call

SELECT = "incident { id verification status version }"
DISPATCH = "incidentDispatch { id incident { status version } }"


async def _live(
    live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer, **values: Any
) -> tuple[rr.Team, Actor, RapidResponseIncident]:
    async with live_sessions() as session:
        crew = await rr.team(session)
        colleague = await actor(session, crew.org, Role.RR_DISPATCHER)
        row = await rr.incident(session, sealer, crew, **values)
        await session.commit()
    return crew, colleague, row


def _codes(bodies: Sequence[dict[str, Any]], name: str) -> list[tuple[str, ...]]:
    return sorted(tuple(e["code"] for e in body["data"][name]["userErrors"]) for body in bodies)


async def _count(live_sessions: async_sessionmaker[AsyncSession], statement: Any) -> int:
    async with live_sessions() as session:
        return int(await session.scalar(statement) or 0)


async def test_two_dispatchers_recording_different_results_one_wins_one_conflicts(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    crew, colleague, row = await _live(live_sessions, sealer, verification=Verification.VERIFYING)
    incident_id = gid(row)
    bodies = await asyncio.gather(
        call(live_client, "incidentVerificationRecord", {"id": incident_id, "result": "CONFIRM", "expectedVersion": 1},
             crew.dispatcher, SELECT),
        call(live_client, "incidentVerificationRecord", {"id": incident_id, "result": "FALSE_ALARM", "expectedVersion": 1},
             colleague, SELECT),
    )  # fmt: skip
    assert _codes(bodies, "incidentVerificationRecord") == [(), ("CONFLICT",)]
    winner = next(b for b in bodies if not b["data"]["incidentVerificationRecord"]["userErrors"])
    async with live_sessions() as session:
        stored = await session.get_one(RapidResponseIncident, row.id)
    assert (stored.verification.value, stored.version) == (
        winner["data"]["incidentVerificationRecord"]["incident"]["verification"], 2
    )  # fmt: skip
    events = select(func.count()).where(IncidentTimelineEvent.incident_id == row.id)
    assert await _count(live_sessions, events) == 1  # the loser's entry was rolled back with it


async def test_concurrent_transition_and_broadcast_on_one_version_one_conflicts(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    crew, colleague, row = await _live(
        live_sessions, sealer, verification=Verification.CONFIRMED, status=IncidentStatus.ACTIVE
    )
    async with live_sessions() as session:
        await rr.dispatched(session, row, crew.responder.member, arrived=True)
        await session.commit()
    incident_id = gid(row)
    bodies = await asyncio.gather(
        call(live_client, "incidentTransition", {"id": incident_id, "action": "STABILIZE", "expectedVersion": 1},
             crew.dispatcher, SELECT),
        call(live_client, "incidentBroadcast", {"id": incident_id, "expectedVersion": 1}, colleague, SELECT),
    )  # fmt: skip
    outcomes = [
        b["data"][n]["userErrors"] for b, n in zip(bodies, ("incidentTransition", "incidentBroadcast"), strict=True)
    ]
    assert sorted(tuple(e["code"] for e in errors) for errors in outcomes) == [(), ("CONFLICT",)]
    async with live_sessions() as session:
        stored = await session.get_one(RapidResponseIncident, row.id)
    stabilized = not outcomes[0]
    assert stored.version == 2
    assert (stored.status is IncidentStatus.STABLE) == stabilized
    assert (stored.broadcast_at is not None) == (not stabilized)


async def test_concurrent_dispatches_lose_nothing_and_never_send_a_member_twice(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    crew, colleague, row = await _live(live_sessions, sealer)
    async with live_sessions() as session:
        others = [(await actor(session, crew.org, Role.RR_RESPONDER)).member for _ in range(3)]
        await session.commit()
    send = [{"incidentId": gid(row), "memberId": gid(who), "role": "LEGAL_LIAISON"} for who in others]
    twice = {"incidentId": gid(row), "memberId": gid(crew.responder.member), "role": "VERIFIER"}
    bodies = await asyncio.gather(
        *(call(live_client, "incidentDispatch", values, crew.dispatcher, DISPATCH) for values in send),
        call(live_client, "incidentDispatch", twice, crew.dispatcher, DISPATCH),
        call(live_client, "incidentDispatch", twice, colleague, DISPATCH),
    )
    assert _codes(bodies, "incidentDispatch") == [(), (), (), (), ("ALREADY_DISPATCHED",)]
    dispatches = select(func.count()).where(IncidentDispatch.incident_id == row.id)
    assert await _count(live_sessions, dispatches) == 4
    async with live_sessions() as session:
        stored = await session.get_one(RapidResponseIncident, row.id)
    assert (stored.status, stored.version) == (IncidentStatus.ACTIVE, 2)  # activated exactly once
    entries = select(func.count()).where(
        IncidentTimelineEvent.incident_id == row.id, IncidentTimelineEvent.kind == TimelineKind.DISPATCH
    )
    assert await _count(live_sessions, entries) == 4
