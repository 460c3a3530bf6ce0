"""First light: a dispatcher receives an incident of its region."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models.enums import EventKind, OrganizationKind, Role
from api.services.shared import events
from tests import factories as f
from tests.live.harness import Served, open_live

QUERY = "subscription { incidentEvents { eventId kind occurredAt incident { coarseArea exactLocation } } }"


async def test_a_dispatcher_receives_an_incident_of_its_region(
    served: Served, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer
) -> None:
    async with live_sessions() as db:
        org = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
        dispatcher = await f.member(db, org, Role.RR_DISPATCHER)
        token = await f.token_for(db, dispatcher)
        await db.commit()
    live = await open_live(served.url, token)
    op = await live.subscribe(QUERY)
    async with live_sessions() as db:
        incident = await f.incident(db, live_sealer, org, exact_location="12 Elm St")
        await events.record(db, None, EventKind.INCIDENT_REPORTED, incident)
        await db.commit()
    message = await live.receive()
    assert message["id"] == op and message["type"] == "next", message
    assert message["payload"]["data"]["incidentEvents"]["kind"] == "INCIDENT_REPORTED"
    assert message["payload"]["data"]["incidentEvents"]["incident"]["exactLocation"] == "12 Elm St"
    await live.close()
