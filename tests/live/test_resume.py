"""Resume after a reconnect misses nothing and repeats nothing (late commits included); two instances of the
service on one database behave as one."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models import Member
from api.models.enums import EventKind, OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from api.settings import Settings
from tests import factories as f
from tests.live import world as w
from tests.live.harness import Served, open_live, serving

INCIDENTS = "subscription($after: String) { incidentEvents(after: $after) { eventId kind incident { id } } }"


async def _team(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, Member, str]:
    async with sessions() as db:
        org = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
        member = await f.member(db, org, Role.RR_DISPATCHER)
        token = await f.token_for(db, member)
        await db.commit()
    return org, member, token


def _incident_id(message: dict[str, Any]) -> str:
    return str(message["payload"]["data"]["incidentEvents"]["incident"]["id"])


async def test_a_client_that_reconnects_resumes_without_gaps_or_repeats(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    org, _, token = await _team(live_sessions)
    live = await open_live(served.url, token)
    op = await live.subscribe(INCIDENTS)
    async with live_sessions() as db:
        seen = await w.incident(db, live_sealer, org)
        await w.emit(db, EventKind.INCIDENT_REPORTED, seen)
    first = await live.next_for(op)
    assert _incident_id(first) == encode_global_id("RapidResponseIncident", seen.id)
    await live.close()  # the phone loses signal in a basement
    missed = []
    async with live_sessions() as db:
        for _ in range(3):
            missed.append(await w.incident(db, live_sealer, org))
            await w.emit(db, EventKind.INCIDENT_REPORTED, missed[-1])
    back = await open_live(served.url, token)
    op = await back.subscribe(INCIDENTS, {"after": first["payload"]["data"]["incidentEvents"]["eventId"]})
    async with live_sessions() as db:
        fresh = await w.incident(db, live_sealer, org)
        await w.emit(db, EventKind.INCIDENT_REPORTED, fresh)
    received = [_incident_id(await back.next_for(op)) for _ in range(4)]
    assert received == [encode_global_id("RapidResponseIncident", row.id) for row in [*missed, fresh]]
    await back.close()


async def test_an_event_that_commits_late_is_not_lost_across_a_reconnect(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    org, _, token = await _team(live_sessions)
    live = await open_live(served.url, token)
    op = await live.subscribe(INCIDENTS)
    async with live_sessions() as slow, live_sessions() as quick:
        late = await w.incident(slow, live_sealer, org)
        await w.record_only(slow, EventKind.INCIDENT_REPORTED, late)  # its id is taken, not yet committed
        early = await w.incident(quick, live_sealer, org)
        await w.emit(quick, EventKind.INCIDENT_REPORTED, early)  # a higher id, committed first
        first = await live.next_for(op)
        assert _incident_id(first) == encode_global_id("RapidResponseIncident", early.id)
        await live.close()
        await slow.commit()  # the lower id becomes visible after the client saw the higher one
    back = await open_live(served.url, token)
    op = await back.subscribe(INCIDENTS, {"after": first["payload"]["data"]["incidentEvents"]["eventId"]})
    assert _incident_id(await back.next_for(op)) == encode_global_id("RapidResponseIncident", late.id)
    await back.close()


async def test_a_mutation_on_one_instance_reaches_a_subscriber_on_the_other(
    served: Served, live_settings: Settings, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    org, _, token = await _team(live_sessions)
    region = encode_global_id("Region", org.region_id)
    with serving(live_settings) as other:
        live = await open_live(other.url, token)
        op = await live.subscribe(INCIDENTS)
        async with httpx.AsyncClient(base_url=served.http) as client:
            response = await client.post(
                "/graphql",
                headers={"Authorization": f"Bearer {token}"},
                json={
                    "query": "mutation($input: IncidentReportInput!) { incidentReport(input: $input) { incident { id } "
                    "userErrors { code } } }",
                    "variables": {"input": {"kind": "WORKPLACE_RAID", "intakeChannel": "HOTLINE", "regionId": region}},
                },
            )
        reported = response.json()["data"]["incidentReport"]
        assert reported["userErrors"] == []
        message = await live.next_for(op)
        assert message["payload"]["data"]["incidentEvents"]["kind"] == "INCIDENT_REPORTED"
        assert _incident_id(message) == reported["incident"]["id"]
        await live.close()
