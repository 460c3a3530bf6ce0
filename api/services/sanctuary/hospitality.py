"""Hospitality shifts: coordinators schedule them, volunteers sign up and withdraw, shifts are completed or missed.

Every change to a shift's sign-ups locks the shift row first, so sign-ups for the last places are
counted one at a time and a shift never takes more volunteers than it needs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import CaseSupporter, HospitalityShift, SanctuaryCase, ShiftAssignment
from api.models.enums import EventKind, SanctuaryCaseStatus, ShiftAssignmentStatus, ShiftStatus
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.lifecycles import HOSPITALITY_SHIFT, SHIFT_SIGNUP, ShiftAction, ShiftSignupAction

MIN_VOLUNTEERS, MAX_VOLUNTEERS = 2, 20
LONGEST_SHIFT = timedelta(hours=24)
SCHEDULABLE = frozenset({SanctuaryCaseStatus.PREPARING, SanctuaryCaseStatus.IN_SANCTUARY})
_SIGNED_UP = ShiftAssignmentStatus.SIGNED_UP


@dataclass(frozen=True)
class NewShift:
    """What a sanctuary coordinator gives to schedule a shift."""

    case_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    needed_volunteers: int
    supporting_congregation_id: uuid.UUID | None = None


async def create(session: AsyncSession, viewer: Viewer, new: NewShift) -> HospitalityShift:
    """An OPEN shift of a case the viewer's organization hosts, while the case is PREPARING or IN_SANCTUARY."""
    if not MIN_VOLUNTEERS <= new.needed_volunteers <= MAX_VOLUNTEERS:
        raise checks.invalid("neededVolunteers", f"A shift needs {MIN_VOLUNTEERS} to {MAX_VOLUNTEERS} volunteers.")
    starts = checks.moment(new.starts_at, "startsAt", past=timedelta(days=1), future=timedelta(days=366))
    ends = checks.moment(new.ends_at, "endsAt", past=timedelta(days=1), future=timedelta(days=367))
    if not starts < ends <= starts + LONGEST_SHIFT:
        raise checks.invalid("endsAt", "A shift ends after it starts and lasts at most 24 hours.")
    case = await checks.load_for_change(session, viewer, SanctuaryCase, "hospitalityShiftCreate", new.case_id, "caseId")
    if case.status not in SCHEDULABLE:
        raise UserFacingError("ILLEGAL_TRANSITION", "Shifts are scheduled only for cases PREPARING or IN_SANCTUARY.")
    if new.supporting_congregation_id is not None:
        await _must_support(session, case.id, new.supporting_congregation_id)
    shift = HospitalityShift(
        id=uuid.uuid4(),
        organization_id=case.organization_id,
        case_id=case.id,
        supporting_congregation_id=new.supporting_congregation_id,
        starts_at=starts,
        ends_at=ends,
        needed_volunteers=new.needed_volunteers,
        status=ShiftStatus.OPEN,
    )
    session.add(shift)
    await session.flush()
    await events.record(session, viewer, EventKind.SHIFT_CREATED, shift)
    return shift


async def sign_up(session: AsyncSession, viewer: Viewer, shift_id: uuid.UUID) -> HospitalityShift:
    """Sign the viewer up for an open shift that has not started; the last place needed fills it."""
    assert viewer.member_id is not None  # members only (api/auth/permissions.py)
    shift = await checks.load_for_change(session, viewer, HospitalityShift, "hospitalityShiftSignUp", shift_id)
    if shift.status is not ShiftStatus.OPEN:
        raise UserFacingError("ILLEGAL_TRANSITION", f"A {shift.status.value.lower()} shift takes no more sign-ups.")
    _not_started(shift)
    case_status = await session.scalar(select(SanctuaryCase.status).where(SanctuaryCase.id == shift.case_id))
    if case_status not in SCHEDULABLE:  # the guest left sanctuary (or the case ended): no one to be with
        raise UserFacingError("ILLEGAL_TRANSITION", "The case of this shift is no longer preparing or in sanctuary.")
    signup = await _signup_of(session, shift.id, viewer.member_id)
    if signup is None:
        session.add(ShiftAssignment(id=uuid.uuid4(), shift_id=shift.id, member_id=viewer.member_id, status=_SIGNED_UP))
    elif signup.status is _SIGNED_UP:
        raise UserFacingError("ALREADY_SIGNED_UP", "You are already signed up for this shift.")
    else:
        signup.status = SHIFT_SIGNUP.move(signup.status, ShiftSignupAction.SIGN_UP_AGAIN)
    await session.flush()
    if await _signed_up(session, shift.id) >= shift.needed_volunteers:
        shift.status = HOSPITALITY_SHIFT.move(shift.status, ShiftAction.FILL)
        await events.record(session, viewer, EventKind.SHIFT_FILLED, shift)
    checks.touch(shift)
    await session.flush()
    return shift


async def withdraw(session: AsyncSession, viewer: Viewer, shift_id: uuid.UUID) -> HospitalityShift:
    """Withdraw the viewer's sign-up before the shift starts; a filled shift falling below its need reopens."""
    # the write rule finds only shifts the viewer signed up for: NOT_FOUND for any other
    shift = await checks.load_for_change(session, viewer, HospitalityShift, "hospitalityShiftWithdraw", shift_id)
    assert viewer.member_id is not None  # the rule matched the viewer's own sign-up
    signup = await _signup_of(session, shift.id, viewer.member_id)
    assert signup is not None  # idem; locked after the shift, as sign-up locks them
    signup.status = SHIFT_SIGNUP.move(signup.status, ShiftSignupAction.WITHDRAW)
    _not_started(shift)
    await session.flush()
    if shift.status is ShiftStatus.FILLED and await _signed_up(session, shift.id) < shift.needed_volunteers:
        shift.status = HOSPITALITY_SHIFT.move(shift.status, ShiftAction.REOPEN)
        await events.record(session, viewer, EventKind.SHIFT_NEEDS_VOLUNTEERS, shift)
    checks.touch(shift)
    await session.flush()
    return shift


async def complete(
    session: AsyncSession, viewer: Viewer, shift_id: uuid.UUID, expected_version: int | None
) -> HospitalityShift:
    """A filled shift that has started is COMPLETED; its volunteers ATTENDED."""
    shift = await _load(session, viewer, shift_id, "hospitalityShiftComplete", expected_version)
    status = HOSPITALITY_SHIFT.move(shift.status, ShiftAction.COMPLETE)
    if shift.starts_at > datetime.now(UTC):
        raise UserFacingError("SHIFT_NOT_STARTED", "A shift can be completed once it has started.")
    shift.status = status
    await _settle_signups(session, shift.id, ShiftSignupAction.ATTEND)
    await session.flush()
    await events.record(session, viewer, EventKind.SHIFT_COMPLETED, shift)
    return shift


async def miss(
    session: AsyncSession, viewer: Viewer, shift_id: uuid.UUID, expected_version: int | None
) -> HospitalityShift:
    """An open or filled shift nobody (or not enough people) kept is MISSED; its volunteers ABSENT."""
    shift = await _load(session, viewer, shift_id, "hospitalityShiftMiss", expected_version)
    shift.status = HOSPITALITY_SHIFT.move(shift.status, ShiftAction.MISS)
    await _settle_signups(session, shift.id, ShiftSignupAction.MISS)
    await session.flush()
    await events.record(session, viewer, EventKind.SHIFT_MISSED, shift)
    return shift


async def _load(
    session: AsyncSession, viewer: Viewer, shift_id: uuid.UUID, mutation: str, expected_version: int | None
) -> HospitalityShift:
    shift = await checks.load_for_change(
        session, viewer, HospitalityShift, mutation, shift_id, expected_version=expected_version
    )
    return shift


def _not_started(shift: HospitalityShift) -> None:
    if shift.starts_at <= datetime.now(UTC):
        raise UserFacingError("SHIFT_STARTED", "The shift has already started.")


async def _must_support(session: AsyncSession, case_id: uuid.UUID, congregation_id: uuid.UUID) -> None:
    found = await session.scalar(
        select(CaseSupporter.id).where(
            CaseSupporter.case_id == case_id, CaseSupporter.congregation_id == congregation_id
        )
    )
    if found is None:
        raise UserFacingError(
            "NOT_A_SUPPORTER", "This congregation does not support the case.", "supportingCongregationId"
        )


async def _signup_of(session: AsyncSession, shift_id: uuid.UUID, member_id: uuid.UUID) -> ShiftAssignment | None:
    return await session.scalar(
        select(ShiftAssignment)
        .where(ShiftAssignment.shift_id == shift_id, ShiftAssignment.member_id == member_id)
        .with_for_update()
    )


async def _signed_up(session: AsyncSession, shift_id: uuid.UUID) -> int:
    count = select(func.count()).where(ShiftAssignment.shift_id == shift_id, ShiftAssignment.status == _SIGNED_UP)
    return int(await session.scalar(count) or 0)


async def _settle_signups(session: AsyncSession, shift_id: uuid.UUID, action: ShiftSignupAction) -> None:
    signups = await session.scalars(
        select(ShiftAssignment)
        .where(ShiftAssignment.shift_id == shift_id, ShiftAssignment.status == _SIGNED_UP)
        .with_for_update()
    )
    for signup in signups:
        signup.status = SHIFT_SIGNUP.move(signup.status, action)
