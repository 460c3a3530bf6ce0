"""Accompaniment workflow over HTTP: legal aid submits, a coordinator matches, volunteers go, outcomes count."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models import AccompanimentAssignment, AccompanimentRequest, Organization, RapidResponseIncident
from api.models.enums import (
    AccompanimentKind,
    AccompanimentStatus,
    AssignmentStatus,
    AuditOutcome,
    IncidentKind,
    IntakeChannel,
    OrganizationKind,
    Role,
)
from api.schema.engine.ids import decode_global_id
from tests import factories
from tests.accompaniment.factories import REQUEST, Network, assignment, network, request, submission
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.workflow import actor, call, mutation_audit, ok, user_error

ANSWER = REQUEST + " accompanimentAssignment { id status version }"
NOTES = "query($id: ID!) { node(id: $id) { ... on AccompanimentRequest { notes } } }"
INCIDENT = (
    "query($id: ID!) { node(id: $id) { ... on RapidResponseIncident { kind coarseArea intakeChannel exactLocation } } }"
)


def _uuid(opaque: str) -> uuid.UUID:
    return decode_global_id(opaque)[1]


async def _stored(db: AsyncSession, request_id: uuid.UUID) -> AccompanimentRequest:
    return await db.get_one(AccompanimentRequest, request_id, populate_existing=True)


async def test_legal_advocate_request_is_matched_confirmed_and_completed_with_its_audit_trail(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    notes = canary(f"Ana is afraid of the third floor {uuid.uuid4().hex[:8]}")
    submitted = await ok(client, "accompanimentRequestSubmit", submission(net, notes=notes), net.advocate, REQUEST)
    req = submitted["accompanimentRequest"]
    assert (req["status"], req["version"], req["congregation"], req["urgency"]) == ("SUBMITTED", 1, None, "SOON")
    values = {"id": req["id"], "expectedVersion": 1, "congregationId": gid(net.congregation), "urgency": "URGENT"}
    req = (await ok(client, "accompanimentRequestTriage", values, net.coordinator, REQUEST))["accompanimentRequest"]
    assert (req["status"], req["version"], req["urgency"]) == ("TRIAGED", 2, "URGENT")
    assert req["congregation"] == {"id": gid(net.congregation)}
    volunteers = [
        {"memberId": gid(net.volunteer.member), "role": "LEAD"},
        {"memberId": gid(net.colleague.member), "role": "INTERPRETER"},
    ]
    offer = {"id": req["id"], "expectedVersion": 2, "volunteers": volunteers}
    req = (await ok(client, "accompanimentRequestOffer", offer, net.coordinator, REQUEST))["accompanimentRequest"]
    assert (req["status"], req["version"]) == ("MATCHING", 3)
    assert sorted((a["role"], a["status"]) for a in req["assignments"]) == [
        ("INTERPRETER", "INVITED"),
        ("LEAD", "INVITED"),
    ]
    lead = next(a for a in req["assignments"] if a["role"] == "LEAD")
    other = next(a for a in req["assignments"] if a["role"] == "INTERPRETER")
    accepted = await ok(
        client, "accompanimentAssignmentAccept", {"id": lead["id"], "expectedVersion": 1}, net.volunteer, ANSWER
    )
    assert accepted["accompanimentAssignment"] == {"id": lead["id"], "status": "ACCEPTED", "version": 2}
    declined = await ok(client, "accompanimentAssignmentDecline", {"id": other["id"]}, net.colleague, ANSWER)
    assert declined["accompanimentAssignment"]["status"] == "DECLINED"
    confirmed = await ok(
        client, "accompanimentRequestConfirm", {"id": req["id"], "expectedVersion": 3}, net.coordinator, REQUEST
    )
    assert (confirmed["accompanimentRequest"]["status"], confirmed["accompanimentRequest"]["version"]) == (
        "CONFIRMED",
        4,
    )
    debrief = canary(f"The judge granted a continuance {uuid.uuid4().hex[:8]}")
    done = {"id": req["id"], "expectedVersion": 4, "outcome": "ATTENDED", "debriefNotes": debrief}
    req = (await ok(client, "accompanimentRequestComplete", done, net.volunteer, REQUEST))["accompanimentRequest"]
    assert (req["status"], req["outcome"], req["incident"]) == ("COMPLETED", "ATTENDED", None)
    assert req["closedAt"] is not None
    assert {a["id"]: a["status"] for a in req["assignments"]} == {lead["id"]: "COMPLETED", other["id"]: "DECLINED"}

    request_id = _uuid(req["id"])
    stored = await _stored(db, request_id)
    assert stored.notes is not None
    assert notes.encode() not in stored.notes
    assert debrief.encode() not in stored.notes
    opened = await sealer.open(db, net.legal_aid.id, request_id, "accompaniment_request.notes", stored.notes)
    assert opened is not None
    assert opened.startswith(notes)
    assert opened.endswith(debrief)
    seen = await gql(client, NOTES, {"id": req["id"]}, token=net.advocate.token)
    assert seen["data"]["node"]["notes"] == opened

    lead_id, other_id = _uuid(lead["id"]), _uuid(other["id"])
    assert await mutation_audit(db, net.advocate) == [
        ("accompanimentRequestSubmit", AuditOutcome.ALLOWED, [request_id])
    ]
    coordinator = await mutation_audit(db, net.coordinator)
    assert sorted(name for name, _, _ in coordinator) == [
        "accompanimentRequestConfirm", "accompanimentRequestOffer", "accompanimentRequestTriage",
    ]  # fmt: skip
    assert all(outcome is AuditOutcome.ALLOWED and request_id in ids for _, outcome, ids in coordinator)
    offered_ids = next(ids for name, _, ids in coordinator if name == "accompanimentRequestOffer")
    assert set(offered_ids) == {request_id, lead_id, other_id}
    assert sorted(await mutation_audit(db, net.volunteer)) == [
        ("accompanimentAssignmentAccept", AuditOutcome.ALLOWED, sorted([lead_id, request_id])),
        ("accompanimentRequestComplete", AuditOutcome.ALLOWED, [request_id]),
    ]
    assert await mutation_audit(db, net.colleague) == [
        ("accompanimentAssignmentDecline", AuditOutcome.ALLOWED, sorted([other_id, request_id]))
    ]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (AccompanimentKind.COURT_HEARING, IncidentKind.COURTHOUSE_ARREST),
        (AccompanimentKind.ICE_CHECK_IN, IncidentKind.CHECK_IN_ARREST),
        (AccompanimentKind.ISAP_CHECK_IN, IncidentKind.CHECK_IN_ARREST),
        (AccompanimentKind.BIOMETRICS, IncidentKind.OTHER),
    ],
)
async def test_a_detention_opens_an_incident_that_the_regions_dispatcher_sees(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, kind: AccompanimentKind, expected: IncidentKind
) -> None:
    net = await network(db, sealer)
    responders = await factories.organization(db, OrganizationKind.RAPID_RESPONSE, region_id=net.region.id)
    await factories.organization(db, OrganizationKind.RAPID_RESPONSE)  # another region's team: not this one
    dispatcher = await actor(db, responders, Role.RR_DISPATCHER)
    elsewhere = await actor(db, await factories.organization(db, OrganizationKind.RAPID_RESPONSE), Role.RR_DISPATCHER)
    place = canary(f"Federal Building, 5th floor window {uuid.uuid4().hex[:8]}")
    row = await request(db, sealer, net, AccompanimentStatus.CONFIRMED, kind=kind, place=place)
    await assignment(db, row, net.volunteer, AssignmentStatus.ACCEPTED)
    before = datetime.now(UTC)
    done = await ok(
        client, "accompanimentRequestComplete", {"id": gid(row), "outcome": "DETAINED"}, net.coordinator, REQUEST
    )
    incident_gid = done["accompanimentRequest"]["incident"]["id"]
    assert done["accompanimentRequest"]["incident"]["kind"] == expected.value
    incident = await db.get_one(RapidResponseIncident, _uuid(incident_gid))
    assert (incident.organization_id, incident.region_id, incident.kind) == (responders.id, net.region.id, expected)
    assert (incident.intake_channel, incident.coarse_area) == (IntakeChannel.ACCOMPANIMENT, net.region.name)
    assert before - timedelta(seconds=5) <= incident.reported_at <= datetime.now(UTC)
    assert incident.exact_location is not None
    assert place.encode() not in incident.exact_location
    column = "rapid_response_incident.exact_location"
    assert await sealer.open(db, responders.id, incident.id, column, incident.exact_location) == place
    assert (await _stored(db, row.id)).incident_id == incident.id
    seen = (await gql(client, INCIDENT, {"id": incident_gid}, token=dispatcher.token))["data"]["node"]
    assert seen == {
        "kind": expected.value, "coarseArea": net.region.name, "intakeChannel": "ACCOMPANIMENT", "exactLocation": place,
    }  # fmt: skip
    other = (await gql(client, INCIDENT, {"id": incident_gid}, token=elsewhere.token))["data"]["node"]
    assert (other["coarseArea"], other["exactLocation"]) == (net.region.name, None)
    [(_, _, ids)] = await mutation_audit(db, net.coordinator)
    assert sorted(ids) == sorted([row.id, incident.id])


async def test_without_a_rapid_response_team_in_the_region_the_hub_holds_the_incident(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    await factories.organization(db, OrganizationKind.NETWORK_HUB)
    row = await request(db, sealer, net, AccompanimentStatus.CONFIRMED, kind=AccompanimentKind.ICE_CHECK_IN)
    done = await ok(
        client, "accompanimentRequestComplete", {"id": gid(row), "outcome": "DETAINED"}, net.coordinator, REQUEST
    )
    incident = await db.get_one(RapidResponseIncident, _uuid(done["accompanimentRequest"]["incident"]["id"]))
    holder = await db.get_one(Organization, incident.organization_id)
    assert (holder.kind, incident.region_id) == (OrganizationKind.NETWORK_HUB, net.region.id)


async def test_other_outcomes_open_no_incident(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.CONFIRMED)
    count = (
        select(func.count()).select_from(RapidResponseIncident).where(RapidResponseIncident.region_id == net.region.id)
    )
    await ok(client, "accompanimentRequestComplete", {"id": gid(row), "outcome": "RELEASED"}, net.coordinator)
    assert await db.scalar(count) == 0
    assert (await _stored(db, row.id)).incident_id is None


async def test_notes_are_stored_sealed_and_shown_only_to_who_may_read_them(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    notes = canary(f"Lives behind the bakery on 5th {uuid.uuid4().hex[:8]}")
    payload = await ok(client, "accompanimentRequestSubmit", submission(net, notes=notes), net.advocate, REQUEST)
    opaque = payload["accompanimentRequest"]["id"]
    stored = await _stored(db, _uuid(opaque))
    assert stored.notes is not None
    assert notes.encode() not in stored.notes
    assert await sealer.open(db, net.legal_aid.id, stored.id, "accompaniment_request.notes", stored.notes) == notes
    assert (await gql(client, NOTES, {"id": opaque}, token=net.advocate.token))["data"]["node"]["notes"] == notes
    # a coordinator sees a routed request, but its notes only once one of its volunteers is on it
    body = await gql(client, NOTES, {"id": opaque}, token=net.coordinator.token)
    assert body["data"]["node"] == {"notes": None}


async def test_a_replayed_submit_returns_the_first_request_and_creates_nothing_new(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    values = submission(net, idempotencyKey="court-2026-05-01", notes="Bring the I-94")
    first = await ok(client, "accompanimentRequestSubmit", values, net.advocate, REQUEST)
    again = await ok(client, "accompanimentRequestSubmit", values, net.advocate, REQUEST)
    assert first == again
    changed = values | {"place": "Another court"}
    error = await user_error(client, "accompanimentRequestSubmit", changed, net.advocate, REQUEST)
    assert (error["code"], error["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    count = select(func.count()).where(AccompanimentRequest.organization_id == net.legal_aid.id)
    assert await db.scalar(count) == 1


async def _live_network(live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer) -> Network:
    async with live_sessions() as session:
        net = await network(session, sealer)
        await session.commit()
    return net


async def test_concurrent_triage_one_wins_one_conflicts_nothing_lost(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    net = await _live_network(live_sessions, sealer)
    async with live_sessions() as session:
        row = await request(session, sealer, net, congregation_id=None)
        second = await actor(session, await session.get_one(Organization, net.team.id), Role.ACCOMPANIMENT_COORDINATOR)
        await session.commit()
    first_values = {"id": gid(row), "expectedVersion": 1, "urgency": "EMERGENCY"}
    second_values = {"id": gid(row), "expectedVersion": 1, "congregationId": gid(net.congregation)}
    bodies = await asyncio.gather(
        call(live_client, "accompanimentRequestTriage", first_values, net.coordinator, REQUEST),
        call(live_client, "accompanimentRequestTriage", second_values, second, REQUEST),
    )
    results = [body["data"]["accompanimentRequestTriage"] for body in bodies]
    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [(), ("CONFLICT",)]
    async with live_sessions() as session:
        stored = await session.get_one(AccompanimentRequest, row.id)
    assert (stored.status, stored.version) == (AccompanimentStatus.TRIAGED, 2)
    urgent_won = results[0]["userErrors"] == []
    assert (stored.urgency.value == "EMERGENCY") is urgent_won
    assert (stored.congregation_id == net.congregation.id) is not urgent_won


async def test_the_last_volunteer_declining_while_the_coordinator_completes_leaves_a_consistent_request(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    net = await _live_network(live_sessions, sealer)
    async with live_sessions() as session:
        row = await request(session, sealer, net, AccompanimentStatus.CONFIRMED)
        mine = await assignment(session, row, net.volunteer, AssignmentStatus.ACCEPTED)
        await session.commit()
    bodies = await asyncio.gather(
        call(live_client, "accompanimentAssignmentDecline", {"id": gid(mine)}, net.volunteer, ANSWER),
        call(live_client, "accompanimentRequestComplete", {"id": gid(row), "outcome": "ATTENDED"}, net.coordinator),
    )
    declined, completed = (
        body["data"][name]
        for body, name in zip(bodies, ("accompanimentAssignmentDecline", "accompanimentRequestComplete"), strict=True)
    )
    errors = [e["code"] for r in (declined, completed) for e in r["userErrors"]]
    assert errors == ["ILLEGAL_TRANSITION"]  # exactly one of them happened
    async with live_sessions() as session:
        stored = await session.get_one(AccompanimentRequest, row.id)
        answer = await session.get_one(AccompanimentAssignment, mine.id)
    if declined["userErrors"]:
        assert (stored.status, answer.status) == (AccompanimentStatus.COMPLETED, AssignmentStatus.COMPLETED)
    else:
        assert (stored.status, answer.status) == (AccompanimentStatus.MATCHING, AssignmentStatus.DECLINED)


async def test_concurrent_replays_of_one_submit_create_one_request(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    net = await _live_network(live_sessions, sealer)
    values: dict[str, Any] = submission(net, idempotencyKey=f"burst-{uuid.uuid4()}")
    bodies = await asyncio.gather(
        *(call(live_client, "accompanimentRequestSubmit", values, net.advocate, REQUEST) for _ in range(3))
    )
    ids = {body["data"]["accompanimentRequestSubmit"]["accompanimentRequest"]["id"] for body in bodies}
    assert len(ids) == 1
    async with live_sessions() as session:
        count = select(func.count()).where(AccompanimentRequest.organization_id == net.legal_aid.id)
        assert await session.scalar(count) == 1
