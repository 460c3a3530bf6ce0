"""Accompaniment requests: submit, triage, confirm, complete, cancel, and expire when unfilled.

Matching volunteers (offer, accept, decline) lives in :mod:`api.services.accompaniment.matching`.
A request's notes are critical (T3): sealed under the requesting organization's key, and a
debrief given at completion is appended to them, never stored in the clear.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.auth.writable import may_change
from api.crypto import Sealer
from api.models import AccompanimentAssignment, AccompanimentRequest, Congregation, Organization, Person, Region
from api.models.base import storage_name
from api.models.enums import (
    AccompanimentKind,
    AccompanimentOutcome,
    AccompanimentStatus,
    AssignmentStatus,
    EventKind,
    Urgency,
)
from api.services.rapid_response import detention
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import (
    ACCOMPANIMENT_ASSIGNMENT,
    ACCOMPANIMENT_REQUEST,
    AssignmentAction,
    RequestAction,
)

NOTES_COLUMN = storage_name(AccompanimentRequest.notes)
MAX_NOTES = 4000
MAX_NO_SHOWS = 10


@dataclass(frozen=True)
class Submission:
    """What a legal advocate (or a coordinator) gives to request an accompaniment."""

    person_id: uuid.UUID
    kind: AccompanimentKind
    appointment_at: datetime
    place: str | None = None
    languages_needed: tuple[str, ...] = ()
    urgency: Urgency = Urgency.ROUTINE
    notes: str | None = None
    region_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Completion:
    """How an accompaniment went: the outcome, a debrief, the accepted volunteers who did not come."""

    outcome: AccompanimentOutcome
    debrief: str | None = None
    no_show_ids: tuple[uuid.UUID, ...] = ()


async def submit(session: AsyncSession, viewer: Viewer, sealer: Sealer, submission: Submission) -> AccompanimentRequest:
    """A SUBMITTED request of the viewer's organization for one of its people, routed to the whole network."""
    assert viewer.organization_id is not None
    request = AccompanimentRequest(
        id=uuid.uuid4(),
        organization_id=viewer.organization_id,
        kind=submission.kind,
        appointment_at=checks.moment(submission.appointment_at, "appointmentAt", past=timedelta(0)),
        place=checks.optional_text(submission.place, "place", max_length=300),
        languages_needed=checks.languages(submission.languages_needed, "languagesNeeded"),
        urgency=submission.urgency,
        status=AccompanimentStatus.SUBMITTED,
    )
    notes = checks.optional_text(submission.notes, "notes", max_length=MAX_NOTES)
    request.person_id = await _own_person(session, viewer, submission.person_id)
    request.region_id = await _region(session, viewer, submission.region_id)
    request.notes = await sealer.seal(session, viewer.organization_id, request.id, NOTES_COLUMN, notes)
    session.add(request)
    await session.flush()
    await events.record(session, viewer, EventKind.REQUEST_SUBMITTED, request)
    return request


async def triage(
    session: AsyncSession,
    viewer: Viewer,
    request_id: uuid.UUID,
    expected_version: int | None,
    *,
    congregation_id: uuid.UUID | None = None,
    urgency: Urgency | None = None,
) -> AccompanimentRequest:
    """SUBMITTED -> TRIAGED, optionally routed to one congregation's team and re-graded."""
    request = await load(session, viewer, request_id, "accompanimentRequestTriage", expected_version)
    request.status = ACCOMPANIMENT_REQUEST.move(request.status, RequestAction.TRIAGE)
    if congregation_id is not None:
        found = await session.scalar(select(Congregation.id).where(Congregation.id == congregation_id))
        if found is None:
            raise UserFacingError(
                "CONGREGATION_NOT_FOUND", "No congregation of the network has this id.", "congregationId"
            )
        request.congregation_id = congregation_id
    if urgency is not None:
        request.urgency = urgency
    await session.flush()
    await events.record(session, viewer, EventKind.REQUEST_TRIAGED, request)
    return request


async def confirm(
    session: AsyncSession, viewer: Viewer, request_id: uuid.UUID, expected_version: int | None
) -> AccompanimentRequest:
    """MATCHING -> CONFIRMED, once at least one volunteer accepted."""
    request = await load(session, viewer, request_id, "accompanimentRequestConfirm", expected_version)
    request.status = ACCOMPANIMENT_REQUEST.move(request.status, RequestAction.CONFIRM)
    if not await accepted_count(session, request.id):
        raise UserFacingError("NO_ACCEPTED_VOLUNTEER", "No volunteer has accepted yet.")
    await session.flush()
    await events.record(session, viewer, EventKind.REQUEST_CONFIRMED, request)
    return request


async def complete(
    session: AsyncSession,
    viewer: Viewer,
    sealer: Sealer,
    request_id: uuid.UUID,
    completion: Completion,
    expected_version: int | None,
) -> AccompanimentRequest:
    """CONFIRMED -> COMPLETED with its outcome; a detention opens a rapid-response incident."""
    request = await load(session, viewer, request_id, "accompanimentRequestComplete", expected_version)
    debrief = checks.optional_text(completion.debrief, "debriefNotes", max_length=MAX_NOTES)
    no_shows = checks.items(completion.no_show_ids, "noShowAssignmentIds", max_items=MAX_NO_SHOWS)
    request.status = ACCOMPANIMENT_REQUEST.move(request.status, RequestAction.COMPLETE)
    now = datetime.now(UTC)
    await _close_assignments(session, request.id, set(no_shows))
    request.outcome = completion.outcome
    request.closed_at = now
    if debrief is not None:
        request.notes = await _append_debrief(session, sealer, request, debrief, now)
    if completion.outcome is AccompanimentOutcome.DETAINED:
        request.incident_id = (await detention.open_for_request(session, sealer, request, now)).id
    await session.flush()
    await events.record(session, viewer, EventKind.REQUEST_COMPLETED, request)
    return request


async def cancel(
    session: AsyncSession, viewer: Viewer, request_id: uuid.UUID, expected_version: int | None
) -> AccompanimentRequest:
    """Any open state -> CANCELLED. Assignments stay as they are: they record who was asked and answered."""
    request = await load(session, viewer, request_id, "accompanimentRequestCancel", expected_version)
    request.status = ACCOMPANIMENT_REQUEST.move(request.status, RequestAction.CANCEL)
    request.closed_at = datetime.now(UTC)
    await session.flush()
    await events.record(session, viewer, EventKind.REQUEST_CANCELLED, request)
    return request


async def expire_unfilled(session: AsyncSession, now: datetime) -> int:
    """Requests whose appointment passed before they were confirmed become UNFILLED; returns how many."""
    sources, target = ACCOMPANIMENT_REQUEST.moves[RequestAction.EXPIRE]
    result = await session.execute(
        update(AccompanimentRequest)
        .where(AccompanimentRequest.status.in_(sources), AccompanimentRequest.appointment_at < now)
        .values(status=target, closed_at=now, version=AccompanimentRequest.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def load(
    session: AsyncSession, viewer: Viewer, request_id: uuid.UUID, mutation: str, expected_version: int | None
) -> AccompanimentRequest:
    """The request the viewer may change through ``mutation``, locked, at the version the caller read."""
    request = await checks.load_for_change(
        session, viewer, AccompanimentRequest, mutation, request_id, expected_version=expected_version
    )
    return request


async def accepted_count(session: AsyncSession, request_id: uuid.UUID) -> int:
    """How many volunteers currently stand accepted on the request."""
    count = await session.scalar(
        select(func.count()).where(
            AccompanimentAssignment.request_id == request_id,
            AccompanimentAssignment.status == AssignmentStatus.ACCEPTED,
        )
    )
    return int(count or 0)


async def _own_person(session: AsyncSession, viewer: Viewer, person_id: uuid.UUID) -> uuid.UUID:
    found = await session.scalar(
        select(Person.id).where(Person.id == person_id, may_change(viewer, Person, "accompanimentRequestSubmit"))
    )
    if found is None:
        raise UserFacingError("PERSON_NOT_FOUND", "No person of your organization has this id.", "personId")
    return found


async def _region(session: AsyncSession, viewer: Viewer, region_id: uuid.UUID | None) -> uuid.UUID:
    if region_id is None:
        own = await session.scalar(select(Organization.region_id).where(Organization.id == viewer.organization_id))
        assert own is not None
        return own
    found = await session.scalar(select(Region.id).where(Region.id == region_id))
    if found is None:
        raise UserFacingError("REGION_NOT_FOUND", "No region has this id.", "regionId")
    return found


async def _close_assignments(session: AsyncSession, request_id: uuid.UUID, no_shows: set[uuid.UUID]) -> None:
    """Accepted volunteers completed the accompaniment, except those reported as no-shows."""
    assignments = list(
        await session.scalars(
            select(AccompanimentAssignment).where(AccompanimentAssignment.request_id == request_id).with_for_update()
        )
    )
    if not no_shows <= {assignment.id for assignment in assignments}:
        raise UserFacingError(
            "ASSIGNMENT_NOT_FOUND", "A no-show is not a volunteer on this request.", "noShowAssignmentIds"
        )
    for assignment in assignments:
        if assignment.id in no_shows:
            assignment.status = ACCOMPANIMENT_ASSIGNMENT.move(assignment.status, AssignmentAction.NO_SHOW)
        elif assignment.status is AssignmentStatus.ACCEPTED:
            assignment.status = ACCOMPANIMENT_ASSIGNMENT.move(assignment.status, AssignmentAction.COMPLETE)


async def _append_debrief(
    session: AsyncSession, sealer: Sealer, request: AccompanimentRequest, debrief: str, now: datetime
) -> bytes | None:
    """The request's notes with the debrief appended, sealed again under the requesting organization."""
    owner = request.organization_id
    notes = await sealer.open(session, owner, request.id, NOTES_COLUMN, request.notes)
    entry = f"Debrief ({now.isoformat(timespec='minutes')}):\n{debrief}"
    combined = f"{notes}\n\n{entry}" if notes else entry
    return await sealer.seal(session, owner, request.id, NOTES_COLUMN, combined)
