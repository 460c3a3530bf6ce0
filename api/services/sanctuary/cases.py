"""Sanctuary cases: open an inquiry, walk its lifecycle, keep its critical details, supporters and consent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.models import CaseSupporter, Congregation, HospitalityShift, Person, SanctuaryCase
from api.models.base import storage_name
from api.models.enums import EventKind, ExitOutcome, SanctuaryCaseStatus, ShiftStatus, SupportRole
from api.services.advocacy import actions as advocacy
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import SANCTUARY_CASE, SANCTUARY_CASE_OPEN, SanctuaryCaseAction

LOCATION_MAX = 500
SUMMARY_MAX = 4000


@dataclass(frozen=True)
class Opening:
    """What a sanctuary coordinator gives to open an inquiry."""

    person_id: uuid.UUID
    host_congregation_id: uuid.UUID
    location_detail: str | None = None
    legal_status_summary: str | None = None


@dataclass(frozen=True)
class Details:
    """Critical details to change; None leaves one as it is, a blank value clears it."""

    location_detail: str | None = None
    legal_status_summary: str | None = None


async def open_case(session: AsyncSession, viewer: Viewer, sealer: Sealer, opening: Opening) -> SanctuaryCase:
    """An INQUIRY for a person of the viewer's organization at one of its congregations."""
    location = checks.optional_text(opening.location_detail, "locationDetail", max_length=LOCATION_MAX)
    summary = checks.optional_text(opening.legal_status_summary, "legalStatusSummary", max_length=SUMMARY_MAX)
    host = await session.scalar(
        select(Congregation).where(
            Congregation.id == opening.host_congregation_id, Congregation.organization_id == viewer.organization_id
        )
    )
    if host is None:
        raise UserFacingError("NOT_FOUND", "No congregation of your organization has this id.", "hostCongregationId")
    person = await checks.load_for_change(
        session, viewer, Person, "sanctuaryCaseOpen", opening.person_id, "personId"
    )  # locked: two inquiries for one person cannot race past the check below
    await _no_open_case(session, person.id)
    case = SanctuaryCase(
        id=uuid.uuid4(),
        organization_id=host.organization_id,
        person_id=person.id,
        host_congregation_id=host.id,
        status=SanctuaryCaseStatus.INQUIRY,
    )
    await _seal_details(session, sealer, case, Details(location, summary))
    session.add(case)
    await session.flush()
    await events.record(session, viewer, EventKind.CASE_OPENED, case)
    return case


async def transition(
    session: AsyncSession,
    viewer: Viewer,
    case_id: uuid.UUID,
    action: SanctuaryCaseAction,
    exit_outcome: ExitOutcome | None,
    expected_version: int | None,
) -> SanctuaryCase:
    """Move a case as its lifecycle allows; EXIT records how the stay ended."""
    if exit_outcome is not None and action is not SanctuaryCaseAction.EXIT:
        raise checks.invalid("exitOutcome", "Give an exit outcome only with the EXIT action.")
    case = await _load(session, viewer, case_id, "sanctuaryCaseTransition", expected_version)
    status = SANCTUARY_CASE.move(case.status, action)
    if action is SanctuaryCaseAction.EXIT and exit_outcome is None:
        raise UserFacingError("EXIT_OUTCOME_REQUIRED", "Say how the stay ended to exit sanctuary.", "exitOutcome")
    now = datetime.now(UTC)
    case.status = status
    if action is SanctuaryCaseAction.ENTER_SANCTUARY:
        case.entered_at = now
    elif action is SanctuaryCaseAction.EXIT:
        case.exited_at, case.exit_outcome = now, exit_outcome
    elif action in (SanctuaryCaseAction.CLOSE, SanctuaryCaseAction.DECLINE):
        case.closed_at = now
    await session.flush()
    await events.record(session, viewer, EventKind.CASE_STATUS_CHANGED, case)
    return case


async def change_details(
    session: AsyncSession,
    viewer: Viewer,
    sealer: Sealer,
    case_id: uuid.UUID,
    details: Details,
    expected_version: int | None,
) -> SanctuaryCase:
    """Change the location detail or legal status summary of an open case."""
    checks.optional_text(details.location_detail, "locationDetail", max_length=LOCATION_MAX)
    checks.optional_text(details.legal_status_summary, "legalStatusSummary", max_length=SUMMARY_MAX)
    case = await _load_open(session, viewer, case_id, "sanctuaryCaseUpdate", expected_version)
    await _seal_details(session, sealer, case, details)
    checks.touch(case)
    await session.flush()
    return case


async def add_supporter(
    session: AsyncSession,
    viewer: Viewer,
    case_id: uuid.UUID,
    congregation_id: uuid.UUID,
    roles: list[SupportRole],
    expected_version: int | None,
) -> SanctuaryCase:
    """Add a supporting congregation to an open case, or replace the roles it already has there."""
    wanted = checks.items(roles, "roles", min_items=1, max_items=len(SupportRole))
    case = await _load_open(session, viewer, case_id, "sanctuaryCaseSupporterAdd", expected_version, "caseId")
    if congregation_id == case.host_congregation_id:
        raise checks.invalid("congregationId", "The host congregation cannot also support its own case.")
    if await session.get(Congregation, congregation_id) is None:
        raise UserFacingError("CONGREGATION_NOT_FOUND", "No congregation has this id.", "congregationId")
    supporter = await _supporter(session, case.id, congregation_id)
    values = sorted(role.value for role in wanted)
    if supporter is None:
        session.add(CaseSupporter(id=uuid.uuid4(), case_id=case.id, congregation_id=congregation_id, roles=values))
    else:
        supporter.roles = values
    checks.touch(case)
    await session.flush()
    return case


async def remove_supporter(
    session: AsyncSession, viewer: Viewer, case_id: uuid.UUID, congregation_id: uuid.UUID, expected_version: int | None
) -> SanctuaryCase:
    """Remove a supporting congregation from an open case; it stops staffing the case's unfinished shifts."""
    case = await _load_open(session, viewer, case_id, "sanctuaryCaseSupporterRemove", expected_version, "caseId")
    supporter = await _supporter(session, case.id, congregation_id)
    if supporter is None:
        raise UserFacingError("SUPPORTER_NOT_FOUND", "This congregation does not support the case.", "congregationId")
    await session.execute(delete(CaseSupporter).where(CaseSupporter.id == supporter.id))
    await session.execute(
        update(HospitalityShift)
        .where(HospitalityShift.case_id == case.id, HospitalityShift.supporting_congregation_id == congregation_id)
        .where(HospitalityShift.status.in_((ShiftStatus.OPEN, ShiftStatus.FILLED)))
        .values(supporting_congregation_id=None, version=HospitalityShift.version + 1)
        .execution_options(synchronize_session="fetch")
    )
    checks.touch(case)
    await session.flush()
    return case


async def record_consent(
    session: AsyncSession, viewer: Viewer, case_id: uuid.UUID, expected_version: int | None
) -> SanctuaryCase:
    """Record the guest's consent to a public story (open cases only); recording it twice changes nothing."""
    case = await _load_open(session, viewer, case_id, "sanctuaryCaseConsentRecord", expected_version, "caseId")
    if not case.public_story_consent:
        case.public_story_consent = True
        await session.flush()
    return case


async def withdraw_consent(session: AsyncSession, viewer: Viewer, case_id: uuid.UUID) -> SanctuaryCase:
    """Withdraw public-story consent, in any state; actions that have not happened stop telling the story."""
    case = await checks.load_for_change(
        session, viewer, SanctuaryCase, "sanctuaryCaseConsentWithdraw", case_id, "caseId"
    )
    if case.public_story_consent:
        case.public_story_consent = False
        await session.flush()
    await advocacy.unlink_withdrawn_consent(session, case.id)
    return case


async def _load(
    session: AsyncSession,
    viewer: Viewer,
    case_id: uuid.UUID,
    mutation: str,
    expected_version: int | None,
    field: str = "id",
) -> SanctuaryCase:
    case = await checks.load_for_change(
        session, viewer, SanctuaryCase, mutation, case_id, field, expected_version=expected_version
    )
    return case


async def _load_open(
    session: AsyncSession,
    viewer: Viewer,
    case_id: uuid.UUID,
    mutation: str,
    expected_version: int | None,
    field: str = "id",
) -> SanctuaryCase:
    case = await _load(session, viewer, case_id, mutation, expected_version, field)
    if case.status not in SANCTUARY_CASE_OPEN:
        raise UserFacingError("ILLEGAL_TRANSITION", "An exited, closed or declined case can no longer be changed.")
    return case


async def _no_open_case(session: AsyncSession, person_id: uuid.UUID) -> None:
    found = await session.scalar(
        select(SanctuaryCase.id).where(
            SanctuaryCase.person_id == person_id, SanctuaryCase.status.in_(SANCTUARY_CASE_OPEN)
        )
    )
    if found is not None:
        raise UserFacingError("PERSON_HAS_OPEN_CASE", "This person already has an open sanctuary case.", "personId")


async def _supporter(session: AsyncSession, case_id: uuid.UUID, congregation_id: uuid.UUID) -> CaseSupporter | None:
    return await session.scalar(
        select(CaseSupporter)
        .where(CaseSupporter.case_id == case_id, CaseSupporter.congregation_id == congregation_id)
        .with_for_update()
    )


async def _seal_details(session: AsyncSession, sealer: Sealer, case: SanctuaryCase, details: Details) -> None:
    org_id = case.organization_id
    if details.location_detail is not None:
        value = checks.optional_text(details.location_detail, "locationDetail", max_length=LOCATION_MAX)
        case.location_detail = await sealer.seal(
            session, org_id, case.id, storage_name(SanctuaryCase.location_detail), value
        )
    if details.legal_status_summary is not None:
        value = checks.optional_text(details.legal_status_summary, "legalStatusSummary", max_length=SUMMARY_MAX)
        column = storage_name(SanctuaryCase.legal_status_summary)
        case.legal_status_summary = await sealer.seal(session, org_id, case.id, column, value)
