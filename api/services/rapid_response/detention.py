"""Opening a rapid-response incident for a person detained where the network was present.

Used when an accompaniment ends with the person DETAINED; another workflow that learns of a
detention (a sanctuary exit, a hotline intake) can call :func:`open_incident` the same way.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import ANONYMOUS
from api.crypto import Sealer
from api.models import AccompanimentRequest, Organization, RapidResponseIncident, Region
from api.models.enums import (
    AccompanimentKind,
    IncidentKind,
    IncidentRouting,
    IntakeChannel,
    OrganizationKind,
    TimelineKind,
)
from api.services.rapid_response import incidents as rapid_response
from api.services.rapid_response import locations
from api.services.shared.errors import UserFacingError

NO_HOLDER = "NO_INCIDENT_HOLDER"
NO_HOLDER_MESSAGE = "No rapid-response organization or network hub can hold the incident."

_KIND_BY_APPOINTMENT = {
    AccompanimentKind.ICE_CHECK_IN: IncidentKind.CHECK_IN_ARREST,
    AccompanimentKind.ISAP_CHECK_IN: IncidentKind.CHECK_IN_ARREST,
    AccompanimentKind.COURT_HEARING: IncidentKind.COURTHOUSE_ARREST,
}


def incident_kind(appointment: AccompanimentKind) -> IncidentKind:
    """The incident kind of a detention at an appointment of this kind."""
    return _KIND_BY_APPOINTMENT.get(appointment, IncidentKind.OTHER)


# Regions carry no geography beyond their name, so there is no honest "nearest region": without a team of
# the region or one the hub designated for it, the hub holds the incident and the incident says so.
_ROUTING_NOTES = {
    IncidentRouting.REGION_TEAM: "Routed to the rapid-response organization of the region.",
    IncidentRouting.DESIGNATED_TEAM: "Routed to the rapid-response organization the hub designated for the region.",
    IncidentRouting.HUB_FALLBACK: "Held by the network hub: the region has no rapid-response organization and "
    "none is designated for it. A dispatcher may act on it only once the hub designates one (regionUpdate).",
}


async def holding_organization(session: AsyncSession, region_id: uuid.UUID) -> tuple[uuid.UUID, IncidentRouting]:
    """Who holds a detention's incident, and how it was routed: the region's rapid-response organization (the
    oldest if several), else the one the hub designated for the region, else the network hub."""
    oldest = (Organization.created_at, Organization.id)
    team = select(Organization.id).where(
        Organization.kind == OrganizationKind.RAPID_RESPONSE, Organization.region_id == region_id
    )
    designated = select(Region.rapid_response_organization_id).where(Region.id == region_id)
    hub = select(Organization.id).where(Organization.kind == OrganizationKind.NETWORK_HUB)
    for routing, statement in (
        (IncidentRouting.REGION_TEAM, team.order_by(*oldest)),
        (IncidentRouting.DESIGNATED_TEAM, designated),
        (IncidentRouting.HUB_FALLBACK, hub.order_by(*oldest)),
    ):
        found = await session.scalar(statement.limit(1))
        if found is not None:
            return found, routing
    raise UserFacingError(NO_HOLDER, NO_HOLDER_MESSAGE)


async def open_incident(
    session: AsyncSession,
    sealer: Sealer,
    *,
    region_id: uuid.UUID,
    kind: IncidentKind,
    channel: IntakeChannel,
    exact_location: str | None,
    reported_at: datetime,
) -> RapidResponseIncident:
    """An OPEN, UNVERIFIED incident in the region, held as :func:`holding_organization` routes it (recorded in
    its ``routing`` and its timeline); the location sealed."""
    holder, routing = await holding_organization(session, region_id)
    region_name = await session.scalar(select(Region.name).where(Region.id == region_id))
    assert region_name is not None  # the region is a foreign key of the request
    incident = await rapid_response.new_incident(
        session, sealer, holder=holder, region_id=region_id, kind=kind, channel=channel, reported_at=reported_at,
        area=locations.coarse_area(region_name, None, 0), exact_location=exact_location,
    )  # fmt: skip
    incident.routing = routing
    await rapid_response.note_event(
        session, sealer, ANONYMOUS, incident, TimelineKind.NOTE, _ROUTING_NOTES[routing], reported_at
    )
    return incident


async def open_for_request(
    session: AsyncSession, sealer: Sealer, request: AccompanimentRequest, now: datetime
) -> RapidResponseIncident:
    """The incident for a person detained at an accompanied appointment (at the appointment's place)."""
    return await open_incident(
        session,
        sealer,
        region_id=request.region_id,
        kind=incident_kind(request.kind),
        channel=IntakeChannel.ACCOMPANIMENT,
        exact_location=request.place,
        reported_at=now,
    )
