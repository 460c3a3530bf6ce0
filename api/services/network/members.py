"""Members of an organization, their roles and trainings (org admins of that organization).

Roles must fit the organization's kind and be ones the viewer may grant (:func:`api.auth.roles.grantable`,
the rule partner apps' ceilings follow too). An organization always keeps
one active admin: removing ORG_ADMIN from, or deactivating, its last one is ``LAST_ADMIN``; such
changes serialize on the organization's row, so two admins demoting each other at once cannot
leave it without any. Roles and the active flag are read again on every request, so changes
take effect on the member's next request. Legal names and phones are never logged or echoed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import active_holders, actively_holds, grantable
from api.auth.viewer import Viewer
from api.models import Member, Organization, Passkey, Region, Training
from api.models.enums import EventKind, Role, TrainingKind
from api.services.network import contacts
from api.services.network.sessions import EndReason, end_everything
from api.services.shared import checks, events
from api.services.shared.errors import UserFacingError
from api.services.shared.unique import insert_unique
from api.signin.invitations import expire_invitations

MAX_TRAINING_AGE = timedelta(days=20 * 366)
MAX_TRAINING_VALIDITY = timedelta(days=10 * 366)
CLOCK_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class MemberFields:
    """A member's details; in changes None leaves a field as it is (blank legal name or phone clears it)."""

    alias: str | None = None
    legal_name: str | None = None
    phone: str | None = None
    languages: Sequence[str] | None = None
    roles: Sequence[Role] | None = None
    region_id: uuid.UUID | None = None


async def create_member(session: AsyncSession, viewer: Viewer, email: str, fields: MemberFields) -> Member:
    """A new active member of the viewer's organization (``EMAIL_TAKEN`` when the address is in use)."""
    organization = await session.get_one(Organization, viewer.organization_id)
    member = Member(
        id=uuid.uuid4(),
        organization_id=organization.id,
        email=contacts.email(email, "email"),
        alias=checks.text(fields.alias or "", "alias", max_length=80),
        legal_name=checks.optional_text(fields.legal_name, "legalName", max_length=200),
        phone=contacts.phone(fields.phone, "phone"),
        languages=checks.languages(fields.languages),
        roles=_roles(fields.roles or [], organization, viewer),
        region_id=await _region(session, fields.region_id),
        active=True,
    )
    taken = UserFacingError("EMAIL_TAKEN", "Another member already uses this email address.", "email")
    if await session.scalar(select(func.count()).where(func.lower(Member.email) == member.email)):
        raise taken
    await insert_unique(session, member, {"uq_member_email": taken})
    return member


async def update_member(
    session: AsyncSession, viewer: Viewer, member_id: uuid.UUID, changes: MemberFields, expected_version: int | None
) -> Member:
    """Change a member's roles or details; the organization keeps at least one active admin."""
    member = await checks.load_for_change(
        session, viewer, Member, "memberUpdate", member_id, expected_version=expected_version
    )
    if changes.alias is not None:
        member.alias = checks.text(changes.alias, "alias", max_length=80)
    if changes.legal_name is not None:
        member.legal_name = checks.optional_text(changes.legal_name, "legalName", max_length=200)
    if changes.phone is not None:
        member.phone = contacts.phone(changes.phone, "phone")
    if changes.languages is not None:
        member.languages = checks.languages(changes.languages)
    if changes.region_id is not None:
        member.region_id = await _region(session, changes.region_id)
    if changes.roles is not None:
        roles = _roles(changes.roles, await session.get_one(Organization, member.organization_id), viewer)
        if actively_holds(member, Role.ORG_ADMIN) and Role.ORG_ADMIN not in roles:
            await _keep_an_admin(session, member, "roles")
        member.roles = roles
    await session.flush()
    return member


async def deactivate_member(
    session: AsyncSession, viewer: Viewer, member_id: uuid.UUID, expected_version: int | None
) -> Member:
    """Deactivate a member: every session (so every refresh token) and personal access token ends, effective on
    their next request; nothing of it comes back on reactivation."""
    member = await checks.load_for_change(
        session, viewer, Member, "memberDeactivate", member_id, expected_version=expected_version
    )
    if member.id == viewer.member_id:
        raise UserFacingError("CANNOT_DEACTIVATE_SELF", "You cannot deactivate yourself; ask another admin.", "id")
    if not member.active:
        return member
    if Role.ORG_ADMIN in member.roles:
        await _keep_an_admin(session, member, "id")
    member.active = False
    await end_everything(session, member.id, EndReason.DEACTIVATED)  # sessions, app sessions, personal tokens
    await expire_invitations(session, member.id)  # and its unused invitations
    await session.flush()
    await events.record(session, viewer, EventKind.MEMBER_DEACTIVATED, member)
    return member


async def reactivate_member(
    session: AsyncSession, viewer: Viewer, member_id: uuid.UUID, expected_version: int | None
) -> Member:
    """Reactivate a member with nothing given back: no session, no token, no passkey (a new invitation is
    needed to sign in again); their roles count anew from now (``member_role_grant``)."""
    member = await checks.load_for_change(
        session, viewer, Member, "memberReactivate", member_id, expected_version=expected_version
    )
    if member.active:
        raise UserFacingError("MEMBER_ACTIVE", "The member is active: only a deactivated member is reactivated.", "id")
    member.active = True
    await end_everything(session, member.id, EndReason.REACTIVATED)  # in case anything outlived the deactivation
    await expire_invitations(session, member.id)
    await session.execute(delete(Passkey).where(Passkey.member_id == member.id))
    await session.flush()
    return member


async def record_training(
    session: AsyncSession,
    viewer: Viewer,
    member_id: uuid.UUID,
    kind: TrainingKind,
    completed_at: datetime,
    expires_at: datetime | None,
) -> Training:
    """Record a training an active member of the viewer's organization completed."""
    member = await checks.load_for_change(session, viewer, Member, "trainingRecord", member_id, "memberId")
    if not member.active:
        raise UserFacingError("MEMBER_INACTIVE", "The member was deactivated.", "memberId")
    completed = checks.moment(completed_at, "completedAt", past=MAX_TRAINING_AGE, future=CLOCK_SKEW)
    expires = None
    if expires_at is not None:
        expires = checks.moment(expires_at, "expiresAt", past=MAX_TRAINING_AGE, future=MAX_TRAINING_VALIDITY)
        if not completed < expires <= completed + MAX_TRAINING_VALIDITY:
            raise checks.invalid("expiresAt", "A training expires after its completion, within 10 years.")
    training = Training(id=uuid.uuid4(), member_id=member.id, kind=kind, completed_at=completed, expires_at=expires)
    session.add(training)
    await session.flush()
    return training


def _roles(roles: Sequence[Role], organization: Organization, viewer: Viewer) -> list[str]:
    """The roles, each once, each fitting the organization's kind and one the viewer may grant."""
    wanted = checks.items(roles, "roles", max_items=len(Role))
    if set(wanted) - grantable(viewer, organization.kind):
        raise UserFacingError(
            "ROLE_NOT_ALLOWED", "A role in the list is not held in this kind of organization.", "roles"
        )
    return sorted(role.value for role in wanted)


async def _keep_an_admin(session: AsyncSession, member: Member, field: str) -> None:
    """LAST_ADMIN unless another active admin remains; serialized per organization."""
    await session.execute(
        select(Organization.id).where(Organization.id == member.organization_id).with_for_update(key_share=True)
    )
    others = await session.scalar(
        select(func.count()).where(
            Member.organization_id == member.organization_id,
            Member.id != member.id,
            active_holders(Role.ORG_ADMIN),
        )
    )
    if not others:
        raise UserFacingError(
            "LAST_ADMIN", "The organization would have no active admin left; make someone else admin first.", field
        )


async def _region(session: AsyncSession, region_id: uuid.UUID | None) -> uuid.UUID | None:
    if region_id is not None and await session.get(Region, region_id) is None:
        raise UserFacingError("REGION_NOT_FOUND", "No region has this id.", "regionId")
    return region_id
