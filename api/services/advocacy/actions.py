"""Advocacy actions: plan, edit, announce, hold or cancel; tell a sanctuary story only with consent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.access import readable
from api.auth.viewer import Viewer
from api.models import AdvocacyAction, AdvocacyOrganizer, Organization, SanctuaryCase
from api.models.enums import AdvocacyKind, AdvocacyLevel, AdvocacyStatus, EventKind, Visibility
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import ADVOCACY_ACTION, AdvocacyActionStep

EDITABLE = frozenset({AdvocacyStatus.PLANNED, AdvocacyStatus.ANNOUNCED})
ADVOCACY_KINDS = {
    AdvocacyActionStep.ANNOUNCE: EventKind.ADVOCACY_ANNOUNCED,
    AdvocacyActionStep.HOLD: EventKind.ADVOCACY_HELD,
    AdvocacyActionStep.CANCEL: EventKind.ADVOCACY_CANCELLED,
}


@dataclass(frozen=True)
class Plan:
    """What an organizer gives to plan an action."""

    title: str
    kind: AdvocacyKind
    level: AdvocacyLevel
    starts_at: datetime
    visibility: Visibility
    target: str | None = None
    place: str | None = None
    co_organizer_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Changes:
    """Fields to change on an action; None leaves a field as it is."""

    title: str | None = None
    target: str | None = None
    starts_at: datetime | None = None
    place: str | None = None
    visibility: Visibility | None = None


async def plan(session: AsyncSession, viewer: Viewer, plan: Plan) -> AdvocacyAction:
    """A PLANNED action organized by the viewer's organization, with its co-organizers."""
    co_organizers = checks.items(plan.co_organizer_ids, "coOrganizerIds", max_items=20)
    action = AdvocacyAction(
        id=uuid.uuid4(),
        organization_id=viewer.organization_id,
        title=checks.text(plan.title, "title", max_length=200),
        kind=plan.kind,
        level=plan.level,
        target=checks.optional_text(plan.target, "target", max_length=200),
        starts_at=checks.moment(plan.starts_at, "startsAt"),
        place=checks.optional_text(plan.place, "place", max_length=300),
        visibility=plan.visibility,
        status=AdvocacyStatus.PLANNED,
    )
    session.add(action)
    await session.flush()
    await _add_co_organizers(session, viewer, action, co_organizers)
    return action


async def edit(
    session: AsyncSession, viewer: Viewer, action_id: uuid.UUID, changes: Changes, expected_version: int | None
) -> AdvocacyAction:
    """Change an action that is still PLANNED or ANNOUNCED."""
    action = await _load(session, viewer, action_id, "advocacyActionUpdate", expected_version)
    if action.status not in EDITABLE:
        raise UserFacingError("ILLEGAL_TRANSITION", "A held or cancelled action can no longer be changed.")
    if changes.title is not None:
        action.title = checks.text(changes.title, "title", max_length=200)
    if changes.target is not None:
        action.target = checks.optional_text(changes.target, "target", max_length=200)
    if changes.starts_at is not None:
        action.starts_at = checks.moment(changes.starts_at, "startsAt")
    if changes.place is not None:
        action.place = checks.optional_text(changes.place, "place", max_length=300)
    if changes.visibility is not None:
        action.visibility = changes.visibility
    await session.flush()
    return action


async def move(
    session: AsyncSession, viewer: Viewer, action_id: uuid.UUID, step: AdvocacyActionStep, expected_version: int | None
) -> AdvocacyAction:
    """Announce, hold or cancel an action, as its lifecycle allows."""
    action = await _load(session, viewer, action_id, "advocacyActionTransition", expected_version)
    action.status = ADVOCACY_ACTION.move(action.status, step)
    await session.flush()
    await events.record(session, viewer, ADVOCACY_KINDS[step], action)
    return action


async def link_case(
    session: AsyncSession, viewer: Viewer, action_id: uuid.UUID, case_id: uuid.UUID, expected_version: int | None
) -> AdvocacyAction:
    """Tell the public story of a sanctuary case in an action: only while the case has public-story consent."""
    action = await _load(session, viewer, action_id, "advocacyActionLinkCase", expected_version)
    if action.status not in EDITABLE:
        raise UserFacingError("ILLEGAL_TRANSITION", "A held or cancelled action can no longer be changed.")
    consented = await session.scalar(
        readable(viewer, SanctuaryCase)
        .with_only_columns(SanctuaryCase.public_story_consent)
        .where(SanctuaryCase.id == case_id)
        .with_for_update(of=SanctuaryCase)  # consent cannot be withdrawn while we link
    )
    if consented is None:
        raise UserFacingError("CASE_NOT_FOUND", "No sanctuary case you may see has this id.", "sanctuaryCaseId")
    if not consented:
        raise UserFacingError(
            "NO_PUBLIC_STORY_CONSENT", "The guest has not consented to a public story.", "sanctuaryCaseId"
        )
    action.sanctuary_case_id = case_id
    await session.flush()
    return action


async def unlink_case(
    session: AsyncSession, viewer: Viewer, action_id: uuid.UUID, expected_version: int | None
) -> AdvocacyAction:
    """Stop telling a case's story in an action."""
    action = await _load(session, viewer, action_id, "advocacyActionUnlinkCase", expected_version)
    action.sanctuary_case_id = None
    await session.flush()
    return action


async def unlink_withdrawn_consent(session: AsyncSession, case_id: uuid.UUID) -> int:
    """After consent is withdrawn: unlink the case from every action that has not happened yet."""
    result = await session.execute(
        update(AdvocacyAction)
        .where(AdvocacyAction.sanctuary_case_id == case_id, AdvocacyAction.status.in_(EDITABLE))
        .values(sanctuary_case_id=None, version=AdvocacyAction.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _load(
    session: AsyncSession, viewer: Viewer, action_id: uuid.UUID, mutation: str, expected_version: int | None
) -> AdvocacyAction:
    action = await checks.load_for_change(
        session, viewer, AdvocacyAction, mutation, action_id, expected_version=expected_version
    )
    return action


async def _add_co_organizers(
    session: AsyncSession, viewer: Viewer, action: AdvocacyAction, organization_ids: list[uuid.UUID]
) -> None:
    wanted = [org_id for org_id in organization_ids if org_id != viewer.organization_id]
    if not wanted:
        return
    found = set(await session.scalars(select(Organization.id).where(Organization.id.in_(wanted))))
    if len(found) != len(wanted):
        raise UserFacingError("ORGANIZATION_NOT_FOUND", "An organization in the list does not exist.", "coOrganizerIds")
    session.add_all(AdvocacyOrganizer(action_id=action.id, organization_id=org_id) for org_id in wanted)
    await session.flush()
