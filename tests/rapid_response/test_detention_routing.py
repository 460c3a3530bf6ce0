"""A detention in a region without a rapid-response team reaches a dispatcher who can act on it, or says it cannot."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import IncidentTimelineEvent, RapidResponseIncident
from api.models.enums import AccompanimentKind, AccompanimentStatus, AssignmentStatus, OrganizationKind, Role
from api.schema.engine.ids import decode_global_id
from tests import factories
from tests.accompaniment.factories import REQUEST, assignment, network, request
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.workflow import Actor, actor, ok, user_error

INCIDENT = "query($id: ID!) { node(id: $id) { ... on RapidResponseIncident { routing exactLocation version } } }"
REGION = "region { rapidResponseOrganization { id } version }"


async def _detained(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, place: str) -> tuple[str, Actor]:
    """A detention at an accompanied check-in in a region of its own (no rapid-response team there)."""
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.CONFIRMED, kind=AccompanimentKind.ICE_CHECK_IN,
                        place=place)  # fmt: skip
    await assignment(db, row, net.volunteer, AssignmentStatus.ACCEPTED)
    await db.commit()
    return gid(net.region), net.coordinator


async def _complete(client: httpx.AsyncClient, db: AsyncSession, coordinator: Actor) -> RapidResponseIncident:
    rows = await gql(client, "{ accompanimentRequests(first: 1) { nodes { id } } }", token=coordinator.token)
    request_id = rows["data"]["accompanimentRequests"]["nodes"][0]["id"]
    done = await ok(client, "accompanimentRequestComplete", {"id": request_id, "outcome": "DETAINED"}, coordinator,
                    REQUEST)  # fmt: skip
    _type, incident_id = decode_global_id(done["accompanimentRequest"]["incident"]["id"])
    return await db.get_one(RapidResponseIncident, incident_id)


async def test_a_designated_team_holds_the_detention_and_its_dispatcher_reads_and_acts_on_it(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    hub = await factories.organization(db, OrganizationKind.NETWORK_HUB)
    coordinator = await actor(db, hub, Role.NETWORK_COORDINATOR)
    team = await factories.organization(db, OrganizationKind.RAPID_RESPONSE)  # works in another region
    dispatcher = await actor(db, team, Role.RR_DISPATCHER)
    other = await actor(db, await factories.organization(db, OrganizationKind.RAPID_RESPONSE), Role.RR_DISPATCHER)
    place = canary("Field office, window 4")
    region_id, matcher = await _detained(client, db, sealer, place)

    designated = await ok(client, "regionUpdate", {"id": region_id, "rapidResponseOrganizationId": gid(team)},
                          coordinator, REGION)  # fmt: skip
    assert designated["region"]["rapidResponseOrganization"] == {"id": gid(team)}
    incident = await _complete(client, db, matcher)

    assert incident.organization_id == team.id
    seen = (await gql(client, INCIDENT, {"id": gid(incident)}, token=dispatcher.token))["data"]["node"]
    assert (seen["routing"], seen["exactLocation"]) == ("DESIGNATED_TEAM", place)
    elsewhere = await gql(client, INCIDENT, {"id": gid(incident)}, token=other.token)
    assert elsewhere["data"]["node"]["exactLocation"] is None
    assert [w["reason"] for w in elsewhere["extensions"]["withheld"]] == ["NO_RELATIONSHIP"]
    await ok(client, "incidentVerificationStart", {"id": gid(incident), "expectedVersion": seen["version"]},
             dispatcher, "incident { verification }")  # fmt: skip
    notes = await db.scalar(select(IncidentTimelineEvent.id).where(IncidentTimelineEvent.incident_id == incident.id))
    assert notes is not None  # the timeline says how it was routed


async def test_without_a_team_or_a_designation_the_hub_holds_it_and_the_incident_says_so(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    hub = await factories.organization(db, OrganizationKind.NETWORK_HUB)
    hub_dispatcher = await actor(db, hub, Role.RR_DISPATCHER)  # the hub's hotline works in the hub's region only
    _region, matcher = await _detained(client, db, sealer, canary("Field office, window 5"))

    incident = await _complete(client, db, matcher)

    assert incident.organization_id == hub.id
    seen = (await gql(client, INCIDENT, {"id": gid(incident)}, token=hub_dispatcher.token))["data"]["node"]
    assert (seen["routing"], seen["exactLocation"]) == ("HUB_FALLBACK", None)


async def test_only_a_rapid_response_organization_can_be_designated_and_only_by_the_hub(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    hub = await factories.organization(db, OrganizationKind.NETWORK_HUB)
    coordinator = await actor(db, hub, Role.NETWORK_COORDINATOR)
    congregation = await factories.organization(db, OrganizationKind.CONGREGATION)
    region = await factories.region(db)
    admin = await actor(db, congregation, Role.ORG_ADMIN)
    await db.commit()
    values = {"id": gid(region), "rapidResponseOrganizationId": gid(congregation)}
    error = await user_error(client, "regionUpdate", values, coordinator)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "rapidResponseOrganizationId")
    body = await gql(client, 'mutation { regionUpdate(input: {id: "x"}) { region { id } } }', token=admin.token)
    assert body["errors"][0]["message"] == "Cannot query field 'regionUpdate' on type 'Mutation'."
