"""Burning a sanctuary case: two org admins of the host organization erase its critical data at once.

The first admin's call leaves a :class:`CaseBurnRequest` (it expires after
``SANCTUARY_BURN_CONFIRMATION_HOURS``); a *different* admin of the same organization, one already
before the request and acting with a credential of their own (:mod:`api.auth.two_person`),
confirming it within that window erases, immediately and in the tables (set to NULL, not flagged): the case's legal
status summary and location detail, the guest's legal name, A-number and its blind index, the sealed
relation of the guest's household links, and any critical column of a record tied to the case. An
attestation in the audit log names the case, both admins and the erased fields, never values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth import two_person
from api.auth.roles import active_holders
from api.auth.viewer import Viewer
from api.models import AuditEvent, CaseBurnRequest, HouseholdLink, Member, Person, SanctuaryCase
from api.models.base import Base, storage_name
from api.models.enums import AuditAction, AuditOutcome, EventKind, Role
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError

MUTATION = "sanctuaryCaseBurn"
CASE_FIELDS = ("legal_status_summary", "location_detail")
PERSON_FIELDS = ("legal_name", "a_number", "a_number_index")


@dataclass(frozen=True)
class BurnResult:
    """The case after the call, and whether it was burned (False: waiting for a second admin)."""

    case: SanctuaryCase
    burned: bool


async def burn(
    session: AsyncSession, viewer: Viewer, case_id: uuid.UUID, *, now: datetime, window: timedelta, request_id: str
) -> BurnResult:
    """Request a burn of the case, or confirm another admin's pending request and burn it now."""
    assert viewer.member_id is not None  # members only (api/auth/permissions.py)
    case = await checks.load_for_change(session, viewer, SanctuaryCase, MUTATION, case_id)  # locked
    pending = await _pending(session, case.id, now)
    if pending is None:
        _refuse(two_person.may_request(viewer))
        session.add(
            CaseBurnRequest(
                id=uuid.uuid4(),
                case_id=case.id,
                organization_id=case.organization_id,
                requested_by_id=viewer.member_id,
                expires_at=now + window,
                created_at=func.clock_timestamp(),  # the database's clock, as member_role_grant.granted_at
            )
        )
        await session.flush()
        await events.record(session, viewer, EventKind.BURN_REQUESTED, case)
        return BurnResult(case, False)
    _refuse(
        await two_person.may_confirm(
            session, viewer, organization_id=pending.organization_id, requested_by=pending.requested_by_id,
            requested_at=pending.created_at,
        )
    )  # fmt: skip
    fields = await _erase(session, case)
    await session.execute(delete(CaseBurnRequest).where(CaseBurnRequest.id == pending.id))
    record_ids = [case.id, case.person_id, pending.requested_by_id, viewer.member_id]
    session.add(_attestation(viewer, record_ids, fields, request_id))
    await session.flush()
    await events.record(session, viewer, EventKind.BURN_CONFIRMED, case)
    return BurnResult(case, True)


REFUSALS = {
    two_person.SECOND_ADMIN_REQUIRED: "Another org admin of your organization must confirm this burn.",
    two_person.ADMIN_BEFORE_REQUEST_REQUIRED: "Only an org admin who was one before the burn was requested may "
    "confirm it.",
    two_person.OWN_CREDENTIAL_REQUIRED: "A burn needs your own credential: sign in, or use a token you created.",
}


def _refuse(code: str | None) -> None:
    if code is not None:
        raise UserFacingError(code, REFUSALS[code], "id")


async def _pending(session: AsyncSession, case_id: uuid.UUID, now: datetime) -> CaseBurnRequest | None:
    """The case's live burn request; an expired one, or one whose requester is no longer an admin, is dropped."""
    pending = await session.scalar(select(CaseBurnRequest).where(CaseBurnRequest.case_id == case_id))
    if pending is None:
        return None
    requester = await session.scalar(
        select(Member.id).where(
            Member.id == pending.requested_by_id,
            Member.organization_id == pending.organization_id,
            active_holders(Role.ORG_ADMIN),
        )
    )
    if pending.expires_at > now and requester is not None:
        return pending
    await session.execute(delete(CaseBurnRequest).where(CaseBurnRequest.id == pending.id))
    session.expunge(pending)
    return None


async def _erase(session: AsyncSession, case: SanctuaryCase) -> list[str]:
    """NULL every critical value of the case, its guest and the records tied to them; the fields erased."""
    for name in CASE_FIELDS:
        setattr(case, name, None)
    await session.flush()  # bumps the case's version
    await _null(session, Person, PERSON_FIELDS, Person.id == case.person_id)
    household = or_(HouseholdLink.person_id == case.person_id, HouseholdLink.related_person_id == case.person_id)
    await _null(session, HouseholdLink, ("relation",), household)
    fields = [storage_name(getattr(SanctuaryCase, name)) for name in CASE_FIELDS]
    fields += [storage_name(getattr(Person, name)) for name in PERSON_FIELDS] + [storage_name(HouseholdLink.relation)]
    for model, columns in _sealed_children():
        await _null(session, model, columns, model.case_id == case.id)
        fields += [storage_name(getattr(model, name)) for name in columns]
    return fields


async def _null(session: AsyncSession, model: Any, columns: tuple[str, ...], where: ColumnElement[bool]) -> None:
    values: dict[str, Any] = dict.fromkeys(columns)
    if hasattr(model, "version"):
        values["version"] = model.version + 1
    statement = update(model).where(where).values(values)
    await session.execute(statement.execution_options(synchronize_session=False))


def _sealed_children() -> list[tuple[Any, tuple[str, ...]]]:
    """Models tied to a case (a ``case_id`` to ``sanctuary_case``) with critical columns: none today."""
    found = []
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        case_id = table.columns.get("case_id")
        if case_id is None or not any(fk.column.table.name == "sanctuary_case" for fk in case_id.foreign_keys):
            continue
        sealed = tuple(column.name for column in table.columns if column.info.get("sealed"))
        if sealed:
            found.append((mapper.class_, sealed))
    return found


def _attestation(viewer: Viewer, record_ids: list[uuid.UUID], fields: list[str], request_id: str) -> AuditEvent:
    """The audit log's record of the burn: the case, the guest, both admins and the fields, never values."""
    return AuditEvent(
        organization_id=viewer.organization_id,
        actor_member_id=viewer.member_id,
        roles=viewer.audit_roles,
        action=AuditAction.MUTATION,
        outcome=AuditOutcome.ALLOWED,
        operation_name=f"{MUTATION}.attestation",
        record_ids=record_ids,
        fields=[MUTATION, *fields],
        request_id=request_id,
    )
