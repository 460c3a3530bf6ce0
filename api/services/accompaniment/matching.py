"""Matching volunteers to accompaniment requests: offer, accept, decline.

Only active accompaniers of the coordinator's own organization, with an accompaniment training
valid on the day of the appointment and (when the request needs languages) a shared language, can
be offered. Locks are taken request first, then assignments, in every workflow that touches both.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import active_holders
from api.auth.viewer import Viewer
from api.auth.writable import may_change
from api.models import AccompanimentAssignment, AccompanimentRequest, Member
from api.models.enums import AccompanimentStatus, AssignmentRole, AssignmentStatus, EventKind, Role, TrainingKind
from api.services.accompaniment.requests import accepted_count, load
from api.services.network import trainings
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import (
    ACCOMPANIMENT_ANSWERABLE,
    ACCOMPANIMENT_ASSIGNMENT,
    ACCOMPANIMENT_REQUEST,
    AssignmentAction,
    RequestAction,
)

MAX_VOLUNTEERS = 10


@dataclass(frozen=True)
class Volunteer:
    """A member offered a place on a request, in a role."""

    member_id: uuid.UUID
    role: AssignmentRole


async def offer(
    session: AsyncSession,
    viewer: Viewer,
    request_id: uuid.UUID,
    volunteers: Sequence[Volunteer],
    expected_version: int | None,
) -> tuple[AccompanimentRequest, list[AccompanimentAssignment]]:
    """Invite eligible volunteers (all or none); TRIAGED or MATCHING -> MATCHING."""
    member_ids = checks.items([v.member_id for v in volunteers], "volunteers", min_items=1, max_items=MAX_VOLUNTEERS)
    request = await load(session, viewer, request_id, "accompanimentRequestOffer", expected_version)
    request.status = ACCOMPANIMENT_REQUEST.move(request.status, RequestAction.OFFER)
    await _check_eligible(session, viewer, request, member_ids)
    assignments = [
        AccompanimentAssignment(
            id=uuid.uuid4(),
            request_id=request.id,
            member_id=volunteer.member_id,
            role=volunteer.role,
            status=AssignmentStatus.INVITED,
        )
        for volunteer in volunteers
    ]
    session.add_all(assignments)
    checks.touch(request)  # a new offer is a change of the request: its version moves on
    await session.flush()
    await events.record(session, viewer, EventKind.REQUEST_MATCHING, request)
    for assignment in assignments:
        await _assignment_event(session, viewer, EventKind.ASSIGNMENT_OFFERED, request, assignment)
    return request, assignments


async def accept(
    session: AsyncSession, viewer: Viewer, assignment_id: uuid.UUID, expected_version: int | None
) -> tuple[AccompanimentRequest, AccompanimentAssignment]:
    """The volunteer accepts its invitation while the request still takes answers."""
    request, assignment = await _load_answer(
        session, viewer, assignment_id, "accompanimentAssignmentAccept", expected_version
    )
    assignment.status = ACCOMPANIMENT_ASSIGNMENT.move(assignment.status, AssignmentAction.ACCEPT)
    await session.flush()
    await _assignment_event(session, viewer, EventKind.ASSIGNMENT_ACCEPTED, request, assignment)
    return request, assignment


async def decline(
    session: AsyncSession, viewer: Viewer, assignment_id: uuid.UUID, expected_version: int | None
) -> tuple[AccompanimentRequest, AccompanimentAssignment]:
    """The volunteer declines (or withdraws); a confirmed request left without volunteers is matched again."""
    request, assignment = await _load_answer(
        session, viewer, assignment_id, "accompanimentAssignmentDecline", expected_version
    )
    assignment.status = ACCOMPANIMENT_ASSIGNMENT.move(assignment.status, AssignmentAction.DECLINE)
    await session.flush()
    await _assignment_event(session, viewer, EventKind.ASSIGNMENT_DECLINED, request, assignment)
    if request.status is AccompanimentStatus.CONFIRMED and not await accepted_count(session, request.id):
        request.status = ACCOMPANIMENT_REQUEST.move(request.status, RequestAction.REOPEN)
        await session.flush()
        await events.record(session, viewer, EventKind.REQUEST_MATCHING, request)
    return request, assignment


async def _load_answer(
    session: AsyncSession, viewer: Viewer, assignment_id: uuid.UUID, mutation: str, expected_version: int | None
) -> tuple[AccompanimentRequest, AccompanimentAssignment]:
    """The viewer's own assignment and its request, both locked (request first)."""
    request_id = await session.scalar(
        select(AccompanimentAssignment.request_id).where(
            AccompanimentAssignment.id == assignment_id, may_change(viewer, AccompanimentAssignment, mutation)
        )
    )
    if request_id is None:
        raise UserFacingError("NOT_FOUND", "No record you may change has this id.", "id")
    request = await session.scalar(
        select(AccompanimentRequest).where(AccompanimentRequest.id == request_id).with_for_update()
    )
    assignment = await checks.load_for_change(
        session, viewer, AccompanimentAssignment, mutation, assignment_id, expected_version=expected_version
    )
    assert request is not None
    if request.status not in ACCOMPANIMENT_ANSWERABLE:
        raise UserFacingError("ILLEGAL_TRANSITION", "The request no longer takes answers from volunteers.")
    return request, assignment


async def _check_eligible(
    session: AsyncSession, viewer: Viewer, request: AccompanimentRequest, member_ids: list[uuid.UUID]
) -> None:
    """Each volunteer: an active accompanier of the viewer's organization, trained, speaking, not yet offered."""
    members = list(
        await session.scalars(
            select(Member).where(
                Member.id.in_(member_ids),
                Member.organization_id == viewer.organization_id,
                active_holders(Role.ACCOMPANIER),
            )
        )
    )
    if len(members) != len(member_ids):
        raise _volunteer_error("VOLUNTEER_NOT_FOUND", "A volunteer is not an active accompanier of your organization.")
    if len(await trainings.trained(session, member_ids, TrainingKind.ACCOMPANIMENT, request.appointment_at)) != len(
        member_ids
    ):
        raise _volunteer_error("TRAINING_REQUIRED", "A volunteer has no accompaniment training valid on that day.")
    if request.languages_needed and not all(_speaks(m.languages, request.languages_needed) for m in members):
        raise _volunteer_error("LANGUAGE_MISMATCH", "A volunteer speaks none of the languages the request needs.")
    offered = await session.scalar(
        select(AccompanimentAssignment.id)
        .where(AccompanimentAssignment.request_id == request.id, AccompanimentAssignment.member_id.in_(member_ids))
        .limit(1)
    )
    if offered is not None:
        raise _volunteer_error("ALREADY_OFFERED", "A volunteer was already offered this request.")


def _speaks(spoken: Sequence[str], needed: Sequence[str]) -> bool:
    """A shared language, compared by primary subtag (``pt-BR`` serves a request for ``pt``)."""
    return bool({_primary(tag) for tag in spoken} & {_primary(tag) for tag in needed})


def _primary(tag: str) -> str:
    return tag.split("-", 1)[0].lower()


def _volunteer_error(code: str, message: str) -> UserFacingError:
    return UserFacingError(code, message, "volunteers")


async def _assignment_event(
    session: AsyncSession,
    viewer: Viewer,
    kind: EventKind,
    request: AccompanimentRequest,
    assignment: AccompanimentAssignment,
) -> None:
    """An event about an assignment: concerns the requesting organization and the volunteer's (the viewer's
    when a coordinator offers or the volunteer answers), in the request's region."""
    organizations = (request.organization_id, viewer.organization_id)
    await events.record(session, viewer, kind, assignment, organization_ids=organizations, region_id=request.region_id)
