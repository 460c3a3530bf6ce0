"""A dispatcher reads an incident's dispatches and timeline where it dispatches, like the incident's details:
in its regions whoever holds the incident, never its own organization's incidents elsewhere."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models.enums import OrganizationKind, Role
from tests import factories
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.rapid_response import factories as rr
from tests.workflow import Actor, actor, ok

DISPATCH = "query($id: ID!) { node(id: $id) { ... on IncidentDispatch { role dispatchedAt } } }"
ENTRY = "query($id: ID!) { node(id: $id) { ... on IncidentTimelineEvent { kind note } } }"
LISTS = "query($id: ID!) { node(id: $id) { ... on RapidResponseIncident { dispatches { id } timeline { id } } } }"
NOTE = "timelineEvent { id }"


async def _debrief(client: httpx.AsyncClient, incident: Any, who: Actor, text: str) -> str:
    values = {"incidentId": gid(incident), "kind": "DEBRIEF", "note": canary(text)}
    entry_id: str = (await ok(client, "incidentTimelineAdd", values, who, NOTE))["timelineEvent"]["id"]
    return entry_id


async def _node(client: httpx.AsyncClient, document: str, node_id: str, who: Actor) -> Any:
    body = await gql(client, document, {"id": node_id}, token=who.token)
    assert "errors" not in body, body["errors"]
    return body["data"]["node"]


async def test_a_dispatcher_reads_dispatches_and_timelines_in_its_regions_whoever_holds_the_incident(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    admin = await actor(db, crew.org, Role.ORG_ADMIN)
    elsewhere = await factories.region(db, name="Far County")
    # the team's own incident outside its dispatchers' regions, with a responder on it and a debrief
    away = await rr.incident(db, sealer, crew, region_id=elsewhere.id)
    away_dispatch = await rr.dispatched(db, away, crew.responder.member, arrived=True)
    # an incident in the team's region held by the hub, with the hub's responder on it
    hub = await factories.organization(db, OrganizationKind.NETWORK_HUB, region_id=elsewhere.id)
    hub_responder = await actor(db, hub, Role.RR_RESPONDER)
    here = await factories.incident(db, sealer, hub, region_id=crew.region.id)
    here_dispatch = await rr.dispatched(db, here, hub_responder.member, arrived=True)
    await db.commit()
    away_entry = await _debrief(client, away, crew.responder, "Debrief: far road")
    here_entry = await _debrief(client, here, hub_responder, "Debrief: near road")

    dispatcher = crew.dispatcher
    assert await _node(client, DISPATCH, gid(away_dispatch), dispatcher) is None
    assert await _node(client, ENTRY, away_entry, dispatcher) is None
    assert await _node(client, LISTS, gid(away), dispatcher) == {"dispatches": [], "timeline": []}
    assert (await _node(client, DISPATCH, gid(here_dispatch), dispatcher))["dispatchedAt"] is not None
    assert await _node(client, ENTRY, here_entry, dispatcher) == {"kind": "DEBRIEF", "note": "Debrief: near road"}
    listed = await _node(client, LISTS, gid(here), dispatcher)
    assert [d["id"] for d in listed["dispatches"]] == [gid(here_dispatch)]
    assert here_entry in [entry["id"] for entry in listed["timeline"]]
    # the holding organization's admins read their own incident's rows wherever it is (control)
    assert (await _node(client, DISPATCH, gid(away_dispatch), admin))["dispatchedAt"] is not None
    assert await _node(client, ENTRY, away_entry, admin) == {"kind": "DEBRIEF", "note": "Debrief: far road"}


async def test_a_dispatcher_who_also_responds_keeps_no_note_of_an_incident_outside_its_regions_once_released(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    both = await actor(db, crew.org, Role.RR_DISPATCHER, Role.RR_RESPONDER)
    away = await rr.incident(db, sealer, crew, region_id=(await factories.region(db, name="Far County")).id)
    sent = await rr.dispatched(db, away, both.member, arrived=True)
    await rr.dispatched(db, away, crew.responder.member, arrived=True)
    await db.commit()
    entry = await _debrief(client, away, crew.responder, "Debrief: van 8")
    assert (await _node(client, ENTRY, entry, both))["note"] == "Debrief: van 8"  # on the job

    await ok(client, "incidentDispatchRelease", {"id": gid(sent)}, both)

    body = await gql(client, ENTRY, {"id": entry}, token=both.token)  # as a responder released; as a dispatcher: no
    assert body["data"]["node"] == {"kind": None, "note": None}  # the row stays (its debrief may still go in)
    assert body["extensions"]["withheld"] == [
        {"path": ["node", field], "reason": "NO_RELATIONSHIP"} for field in ("kind", "note")
    ]
    assert (await _node(client, ENTRY, entry, crew.responder))["note"] == "Debrief: van 8"  # still on the job
