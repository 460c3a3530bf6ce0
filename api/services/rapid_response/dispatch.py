"""Responders on an incident: dispatch, arrival, release, and the notes and debriefs they add.

A dispatcher sends active responders of its own organization; a legal observer needs an unexpired
LEGAL_OBSERVER training. A member has at most one open (unreleased) dispatch per incident; the
incident row is locked while dispatching, so two dispatchers cannot send the same member twice.
The first dispatch activates an OPEN incident. A dispatch arrives once and is released once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import DISPATCHABLE_ROLES, actively_holds
from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models import IncidentDispatch, IncidentTimelineEvent, Member, RapidResponseIncident
from api.models.enums import DispatchRole, EventKind, IncidentStatus, TimelineKind, TrainingKind
from api.services.network import trainings
from api.services.rapid_response.incidents import load, move, note_event
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import IncidentAction
from api.services.shared.unique import insert_unique

ENTRY_KINDS = frozenset({TimelineKind.NOTE, TimelineKind.DEBRIEF})
# notes may be written down after the fact, but not about the future
ENTRY_PAST, ENTRY_FUTURE = timedelta(days=366), timedelta(minutes=10)


async def dispatch(
    session: AsyncSession,
    viewer: Viewer,
    sealer: Sealer,
    incident_id: uuid.UUID,
    member_id: uuid.UUID,
    role: DispatchRole,
) -> tuple[IncidentDispatch, RapidResponseIncident]:
    """Send a responder to an incident that is not closed; the first dispatch activates an OPEN incident."""
    incident = await checks.load_for_change(
        session, viewer, RapidResponseIncident, "incidentDispatch", incident_id, "incidentId"
    )
    if incident.status is IncidentStatus.CLOSED:
        raise UserFacingError("ILLEGAL_TRANSITION", "A closed incident takes no more dispatches.")
    responder = await _responder(session, viewer, member_id, role)
    already = UserFacingError("ALREADY_DISPATCHED", "This member is already dispatched to the incident.", "memberId")
    if await _open_dispatch(session, incident.id, responder.id):
        raise already
    row = IncidentDispatch(
        id=uuid.uuid4(), organization_id=incident.organization_id, incident_id=incident.id,
        region_id=incident.region_id, member_id=responder.id, role=role, dispatched_at=datetime.now(UTC),
    )  # fmt: skip
    await insert_unique(session, row, {"uq_incident_dispatch_open": already})  # the index holds it in any case
    await note_event(session, sealer, viewer, incident, TimelineKind.DISPATCH, f"Responder dispatched as {role.value}.")
    await events.record(session, viewer, EventKind.RESPONDER_DISPATCHED, row, region_id=incident.region_id)
    if incident.status is IncidentStatus.OPEN:
        await move(session, sealer, viewer, incident, IncidentAction.ACTIVATE)
    await session.flush()
    return row, incident


async def arrive(
    session: AsyncSession, viewer: Viewer, sealer: Sealer, dispatch_id: uuid.UUID, expected_version: int | None
) -> IncidentDispatch:
    """The responder arrived on site (once, and not after being released)."""
    row = await _load(session, viewer, dispatch_id, "incidentDispatchArrive", expected_version)
    if row.released_at is not None:
        raise UserFacingError("ILLEGAL_TRANSITION", "A released responder cannot arrive.")
    if row.arrived_at is not None:
        raise UserFacingError("ALREADY_ARRIVED", "The responder's arrival is already recorded.")
    row.arrived_at = datetime.now(UTC)
    await _dispatch_event(session, sealer, viewer, row, f"{row.role.value} arrived.", EventKind.RESPONDER_ARRIVED)
    return row


async def release(
    session: AsyncSession, viewer: Viewer, sealer: Sealer, dispatch_id: uuid.UUID, expected_version: int | None
) -> IncidentDispatch:
    """The responder is released (once; after arriving, or instead of it)."""
    row = await _load(session, viewer, dispatch_id, "incidentDispatchRelease", expected_version)
    if row.released_at is not None:
        raise UserFacingError("ALREADY_RELEASED", "The responder is already released.")
    row.released_at = datetime.now(UTC)
    await _dispatch_event(session, sealer, viewer, row, f"{row.role.value} released.", EventKind.RESPONDER_RELEASED)
    return row


async def add_entry(
    session: AsyncSession,
    viewer: Viewer,
    sealer: Sealer,
    incident_id: uuid.UUID,
    kind: TimelineKind,
    note: str,
    occurred_at: datetime | None,
) -> IncidentTimelineEvent:
    """A NOTE or DEBRIEF in the timeline of an incident of the dispatcher's region or one the responder was sent to."""
    if kind not in ENTRY_KINDS:
        raise checks.invalid("kind", "Add only NOTE or DEBRIEF entries; the others are recorded by the workflow.")
    text = checks.text(note, "note", max_length=4000)
    when = (
        None if occurred_at is None else checks.moment(occurred_at, "occurredAt", past=ENTRY_PAST, future=ENTRY_FUTURE)
    )
    incident = await load(session, viewer, incident_id, "incidentTimelineAdd", None, "incidentId")
    return await note_event(session, sealer, viewer, incident, kind, text, when)


async def _load(
    session: AsyncSession, viewer: Viewer, dispatch_id: uuid.UUID, mutation: str, expected_version: int | None
) -> IncidentDispatch:
    row = await checks.load_for_change(
        session, viewer, IncidentDispatch, mutation, dispatch_id, expected_version=expected_version
    )
    return row


async def _responder(session: AsyncSession, viewer: Viewer, member_id: uuid.UUID, role: DispatchRole) -> Member:
    """An active responder (or dispatcher) of the viewer's organization, trained as a legal observer if sent as one."""
    member = await session.scalar(
        select(Member).where(Member.id == member_id, Member.organization_id == viewer.organization_id)
    )
    if member is None:
        raise UserFacingError("MEMBER_NOT_FOUND", "No member of your organization has this id.", "memberId")
    if not actively_holds(member, *DISPATCHABLE_ROLES):
        raise UserFacingError("MEMBER_NOT_ELIGIBLE", "Only active responders and dispatchers can be sent.", "memberId")
    if role is DispatchRole.LEGAL_OBSERVER and member.id not in await trainings.trained(
        session, [member.id], TrainingKind.LEGAL_OBSERVER, datetime.now(UTC)
    ):
        raise UserFacingError(
            "TRAINING_REQUIRED", "A legal observer needs an unexpired legal observer training.", "memberId"
        )
    return member


async def _open_dispatch(session: AsyncSession, incident_id: uuid.UUID, member_id: uuid.UUID) -> bool:
    open_one = exists().where(
        IncidentDispatch.incident_id == incident_id,
        IncidentDispatch.member_id == member_id,
        IncidentDispatch.released_at.is_(None),
    )
    return bool(await session.scalar(select(open_one)))


async def _dispatch_event(
    session: AsyncSession, sealer: Sealer, viewer: Viewer, row: IncidentDispatch, text: str, kind: EventKind
) -> None:
    # a dispatch is held by its incident's organization, in its region: no need to load the incident
    await note_event(session, sealer, viewer, row, TimelineKind.DISPATCH, text)
    await events.record(session, viewer, kind, row, region_id=row.region_id)
