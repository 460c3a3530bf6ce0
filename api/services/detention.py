"""Opening a rapid-response incident for a person detained where the network was present.

Used when an accompaniment ends with the person DETAINED; another workflow that learns of a
detention (a sanctuary exit, a hotline intake) can call :func:`open_incident` the same way.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AccompanimentRequest, Organization, RapidResponseIncident, Region
from api.models.enums import AccompanimentKind, IncidentKind, IntakeChannel, OrganizationKind
from api.services import locations, rapid_response
from api.services.errors import UserFacingError

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


async def holding_organization(session: AsyncSession, region_id: uuid.UUID) -> uuid.UUID:
    """The rapid-response organization of the region (the oldest if several), else the network hub."""
    for kind, where in (
        (OrganizationKind.RAPID_RESPONSE, Organization.region_id == region_id),
        (OrganizationKind.NETWORK_HUB, None),
    ):
        statement = select(Organization.id).where(Organization.kind == kind)
        statement = statement if where is None else statement.where(where)
        found = await session.scalar(statement.order_by(Organization.created_at, Organization.id).limit(1))
        if found is not None:
            return found
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
    """An OPEN, UNVERIFIED incident in the region, held by its rapid-response team; the location sealed."""
    holder = await holding_organization(session, region_id)
    region_name = await session.scalar(select(Region.name).where(Region.id == region_id))
    assert region_name is not None  # the region is a foreign key of the request
    return await rapid_response.new_incident(
        session, sealer, holder=holder, region_id=region_id, kind=kind, channel=channel, reported_at=reported_at,
        area=locations.coarse_area(region_name, None, 0), exact_location=exact_location,
    )  # fmt: skip


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
