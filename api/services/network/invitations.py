"""Inviting a member to enroll a passkey (org admins of the member's organization; recovery is a new invitation)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import Member, MemberInvitation
from api.services.shared import checks
from api.services.shared.errors import UserFacingError
from api.signin.invitations import MAX_VALIDITY, create_invitation


async def invite_member(
    session: AsyncSession, viewer: Viewer, member_id: uuid.UUID, *, valid: timedelta, revoke_passkeys: bool
) -> tuple[Member, MemberInvitation, str]:
    """A one-time invitation for an active member of the viewer's organization (token returned once)."""
    member = await checks.load_for_change(session, viewer, Member, "memberInvite", member_id, "memberId")
    if not member.active:
        raise UserFacingError("MEMBER_INACTIVE", "The member was deactivated.", "memberId")
    if not timedelta(hours=1) <= valid <= MAX_VALIDITY:
        raise UserFacingError("INVALID_INPUT", "An invitation is valid between 1 and 720 hours.", "validHours")
    invitation, token = await create_invitation(
        session, member, valid=valid, revoke_passkeys=revoke_passkeys, invited_by=viewer.member_id
    )
    return member, invitation, token


def invitation_link(public_url: str, token: str) -> str:
    """The link to hand to the invited person."""
    return f"{public_url.rstrip('/')}/signin/invitation/{token}"
