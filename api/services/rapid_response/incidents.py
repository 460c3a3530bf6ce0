"""Rapid-response incidents: intake, verification, broadcast and the response lifecycle.

A report is held by the dispatcher's organization. Its exact location and the reporter's contact
are sealed before they reach the database; what members and the public see is the coarse area
(:mod:`api.services.rapid_response.locations`). Nothing is broadcast before the report is CONFIRMED and a
verifier has arrived on site, and a broadcast carries only the coarse area. Every change leaves
an entry in the incident's timeline (its note sealed too).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.auth.writable import may_report_in
from api.crypto import Sealer
from api.models import IncidentDispatch, IncidentTimelineEvent, RapidResponseIncident, Region
from api.models.base import storage_name
from api.models.enums import (
    DispatchRole,
    EventKind,
    IncidentKind,
    IncidentStatus,
    IntakeChannel,
    TimelineKind,
    Verification,
)
from api.services.rapid_response import locations
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import INCIDENT, INCIDENT_VERIFICATION, IncidentAction, VerificationAction

EXACT_LOCATION = storage_name(RapidResponseIncident.exact_location)
REPORTER_CONTACT = storage_name(RapidResponseIncident.reporter_contact)
TIMELINE_NOTE = storage_name(IncidentTimelineEvent.note)
# a report describes something seen recently; a small allowance for clocks running ahead
OBSERVED_PAST, OBSERVED_FUTURE = timedelta(days=30), timedelta(minutes=10)


class VerificationResult(enum.StrEnum):
    """What verification found (the moves of INCIDENT_VERIFICATION out of VERIFYING)."""

    CONFIRM = VerificationAction.CONFIRM.value
    FALSE_ALARM = VerificationAction.FALSE_ALARM.value
    NOT_ICE = VerificationAction.NOT_ICE.value
    UNABLE_TO_VERIFY = VerificationAction.UNABLE_TO_VERIFY.value


@dataclass(frozen=True)
class Report:
    """What a dispatcher takes down from a report (S.A.L.U.T.E.)."""

    kind: IncidentKind
    intake_channel: IntakeChannel
    region_id: uuid.UUID
    exact_location: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    reporter_contact: str | None = None
    size: str | None = None
    actions: str | None = None
    uniform: str | None = None
    observed_at: datetime | None = None
    equipment: str | None = None


async def report(
    session: AsyncSession, viewer: Viewer, sealer: Sealer, given: Report, *, grid_decimals: int
) -> RapidResponseIncident:
    """A new UNVERIFIED, OPEN incident in one of the dispatcher's regions, held by its organization."""
    assert viewer.organization_id is not None  # only members of an organization may call mutations
    region = await _dispatch_region(session, viewer, given.region_id)
    area = locations.coarse_area(region.name, locations.point(given.latitude, given.longitude), grid_decimals)
    return await new_incident(
        session, sealer, holder=viewer.organization_id, region_id=region.id, kind=given.kind,
        channel=given.intake_channel, reported_at=datetime.now(UTC), area=area,
        exact_location=checks.optional_text(given.exact_location, "exactLocation", max_length=500),
        reporter_contact=checks.optional_text(given.reporter_contact, "reporterContact", max_length=300),
        actor=viewer, **_salute(given),
    )  # fmt: skip


async def new_incident(
    session: AsyncSession,
    sealer: Sealer,
    *,
    holder: uuid.UUID,
    region_id: uuid.UUID,
    kind: IncidentKind,
    channel: IntakeChannel,
    reported_at: datetime,
    area: locations.CoarseArea,
    exact_location: str | None,
    reporter_contact: str | None = None,
    actor: Viewer | None = None,
    **salute: object,
) -> RapidResponseIncident:
    """An UNVERIFIED, OPEN incident held by ``holder``, its critical values sealed: how every incident starts
    (a dispatcher's report, a detention seen by the network). ``salute``: the S.A.L.U.T.E. fields, checked;
    ``actor``: who reported it (None: the network itself)."""
    incident = RapidResponseIncident(
        id=uuid.uuid4(), organization_id=holder, region_id=region_id, kind=kind, intake_channel=channel,
        verification=Verification.UNVERIFIED, status=IncidentStatus.OPEN, reported_at=reported_at,
        coarse_area=area.label, coarse_latitude=area.latitude, coarse_longitude=area.longitude, **salute,
    )  # fmt: skip
    incident.exact_location = await sealer.seal(session, holder, incident.id, EXACT_LOCATION, exact_location)
    incident.reporter_contact = await sealer.seal(session, holder, incident.id, REPORTER_CONTACT, reporter_contact)
    session.add(incident)
    await session.flush()
    await events.record(session, actor, EventKind.INCIDENT_REPORTED, incident)
    return incident


async def start_verification(
    session: AsyncSession, viewer: Viewer, sealer: Sealer, incident_id: uuid.UUID, expected_version: int | None
) -> RapidResponseIncident:
    """UNVERIFIED -> VERIFYING; the triage time starts (the reporter's contact is purged a while after it)."""
    incident = await load(session, viewer, incident_id, "incidentVerificationStart", expected_version)
    incident.verification = INCIDENT_VERIFICATION.move(incident.verification, VerificationAction.START)
    incident.triaged_at = datetime.now(UTC)
    await note_event(session, sealer, viewer, incident, TimelineKind.VERIFICATION, "Verification started.")
    await events.record(session, viewer, EventKind.INCIDENT_VERIFICATION_CHANGED, incident)
    return incident


async def record_verification(
    session: AsyncSession,
    viewer: Viewer,
    sealer: Sealer,
    incident_id: uuid.UUID,
    result: VerificationResult,
    expected_version: int | None,
) -> RapidResponseIncident:
    """VERIFYING -> what the verification found."""
    incident = await load(session, viewer, incident_id, "incidentVerificationRecord", expected_version)
    incident.verification = INCIDENT_VERIFICATION.move(incident.verification, VerificationAction(result.value))
    text = f"Verification result: {incident.verification.value}."
    await note_event(session, sealer, viewer, incident, TimelineKind.VERIFICATION, text)
    await events.record(session, viewer, EventKind.INCIDENT_VERIFICATION_CHANGED, incident)
    return incident


async def broadcast(
    session: AsyncSession, viewer: Viewer, sealer: Sealer, incident_id: uuid.UUID, expected_version: int | None
) -> RapidResponseIncident:
    """Publish the alert (coarse area only): the report is CONFIRMED and a verifier has arrived on site."""
    incident = await load(session, viewer, incident_id, "incidentBroadcast", expected_version)
    if incident.status is IncidentStatus.CLOSED or incident.broadcast_at is not None:
        raise UserFacingError("ILLEGAL_TRANSITION", "A closed or already broadcast incident cannot be broadcast.")
    if incident.verification is not Verification.CONFIRMED:
        raise UserFacingError("NOT_CONFIRMED", "Only a confirmed report may be broadcast.")
    if not await _verifier_arrived(session, incident.id):
        raise UserFacingError("NO_VERIFIER_ARRIVED", "A verifier must have arrived on site before a broadcast.")
    incident.broadcast_at = datetime.now(UTC)
    await note_event(session, sealer, viewer, incident, TimelineKind.BROADCAST, "Alert broadcast (coarse area).")
    await events.record(session, viewer, EventKind.INCIDENT_BROADCAST, incident)
    return incident


async def retract(
    session: AsyncSession, viewer: Viewer, sealer: Sealer, incident_id: uuid.UUID, expected_version: int | None
) -> RapidResponseIncident:
    """Withdraw the public alert."""
    incident = await load(session, viewer, incident_id, "incidentBroadcastRetract", expected_version)
    if incident.broadcast_at is None:
        raise UserFacingError("ILLEGAL_TRANSITION", "The incident is not broadcast.")
    incident.broadcast_at = None
    await note_event(session, sealer, viewer, incident, TimelineKind.BROADCAST, "Alert retracted.")
    await events.record(session, viewer, EventKind.INCIDENT_RETRACTED, incident)
    return incident


async def transition(
    session: AsyncSession,
    viewer: Viewer,
    sealer: Sealer,
    incident_id: uuid.UUID,
    action: IncidentAction,
    expected_version: int | None,
) -> RapidResponseIncident:
    """Activate, stabilize or close an incident, as its lifecycle allows; closing records the time."""
    incident = await load(session, viewer, incident_id, "incidentTransition", expected_version)
    await move(session, sealer, viewer, incident, action)
    return incident


async def move(
    session: AsyncSession, sealer: Sealer, viewer: Viewer, incident: RapidResponseIncident, action: IncidentAction
) -> None:
    """One move of the INCIDENT lifecycle, with its timeline entry and its event."""
    incident.status = INCIDENT.move(incident.status, action)
    if incident.status is IncidentStatus.CLOSED:
        incident.closed_at = datetime.now(UTC)
    text = f"Status: {incident.status.value}."
    await note_event(session, sealer, viewer, incident, TimelineKind.STATUS_CHANGE, text)
    closed = incident.status is IncidentStatus.CLOSED
    kind = EventKind.INCIDENT_CLOSED if closed else EventKind.INCIDENT_STATUS_CHANGED
    await events.record(session, viewer, kind, incident)


async def load(
    session: AsyncSession,
    viewer: Viewer,
    incident_id: uuid.UUID,
    mutation: str,
    expected_version: int | None,
    field: str = "id",
) -> RapidResponseIncident:
    """The incident the viewer may change through ``mutation``, locked; CONFLICT when it read an older version."""
    incident = await checks.load_for_change(
        session, viewer, RapidResponseIncident, mutation, incident_id, field, expected_version=expected_version
    )
    return incident


async def note_event(
    session: AsyncSession,
    sealer: Sealer,
    viewer: Viewer,
    on: RapidResponseIncident | IncidentDispatch,
    kind: TimelineKind,
    note: str,
    occurred_at: datetime | None = None,
) -> IncidentTimelineEvent:
    """Add an entry to the timeline of an incident (``on`` it, or on one of its dispatches: the entry takes their
    holder and region), the note sealed."""
    incident_id = on.id if isinstance(on, RapidResponseIncident) else on.incident_id
    organization_id = on.organization_id
    event = IncidentTimelineEvent(
        id=uuid.uuid4(), organization_id=organization_id, incident_id=incident_id, region_id=on.region_id,
        author_id=viewer.member_id, kind=kind, occurred_at=occurred_at or datetime.now(UTC),
    )  # fmt: skip
    event.note = await sealer.seal(session, organization_id, event.id, TIMELINE_NOTE, note)
    session.add(event)
    await session.flush()
    return event


def _salute(given: Report) -> dict[str, object]:
    observed = given.observed_at
    return {
        "size": checks.optional_text(given.size, "size", max_length=200),
        "actions": checks.optional_text(given.actions, "actions", max_length=2000),
        "uniform": checks.optional_text(given.uniform, "uniform", max_length=200),
        "equipment": checks.optional_text(given.equipment, "equipment", max_length=300),
        "observed_at": None
        if observed is None
        else checks.moment(observed, "observedAt", past=OBSERVED_PAST, future=OBSERVED_FUTURE),
    }


async def _dispatch_region(session: AsyncSession, viewer: Viewer, region_id: uuid.UUID) -> Region:
    region = await session.scalar(select(Region).where(Region.id == region_id, may_report_in(viewer)))
    if region is None:
        raise checks.invalid("regionId", "Report incidents only in a region you dispatch for.")
    return region


async def _verifier_arrived(session: AsyncSession, incident_id: uuid.UUID) -> bool:
    arrived = exists().where(
        IncidentDispatch.incident_id == incident_id,
        IncidentDispatch.role == DispatchRole.VERIFIER,
        IncidentDispatch.arrived_at.is_not(None),
    )
    return bool(await session.scalar(select(arrived)))
