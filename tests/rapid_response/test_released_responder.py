"""A responder reads an incident's exact location while dispatched, not after release (debriefs still go in)."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.rapid_response import factories as rr
from tests.workflow import ok

EXACT = "query Where($id: ID!) { node(id: $id) { ... on RapidResponseIncident { coarseArea exactLocation } } }"


async def test_release_ends_the_responders_view_of_the_exact_location_but_not_its_debrief(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew, exact_location=canary("77 Orchard Row, unit 3"))
    sent = await rr.dispatched(db, row, crew.responder.member, arrived=True)

    on_the_job = await gql(client, EXACT, {"id": gid(row)}, token=crew.responder.token)
    assert on_the_job["data"]["node"]["exactLocation"] == "77 Orchard Row, unit 3"

    await ok(client, "incidentDispatchRelease", {"id": gid(sent)}, crew.responder)
    released = await gql(client, EXACT, {"id": gid(row)}, token=crew.responder.token)
    assert released["data"]["node"] == {"coarseArea": row.coarse_area, "exactLocation": None}
    assert released["extensions"]["withheld"] == [{"path": ["node", "exactLocation"], "reason": "NO_RELATIONSHIP"}]

    debrief = {"incidentId": gid(row), "kind": "DEBRIEF", "note": canary("Family reached; lawyer called")}
    await ok(client, "incidentTimelineAdd", debrief, crew.responder, "timelineEvent { kind }")
