"""One-time invitation links to enroll a passkey: minted for a member, stored as a hash, redeemed once."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import hash_token
from api.models import Member, MemberInvitation, Passkey
from api.signin.sessions import end_all_sessions

TOKEN_PREFIX = "sninv_"  # noqa: S105 (a prefix, not a secret)
MAX_VALIDITY = timedelta(days=30)


async def create_invitation(
    session: AsyncSession,
    member: Member,
    *,
    valid: timedelta,
    revoke_passkeys: bool,
    invited_by: uuid.UUID | None,
) -> tuple[MemberInvitation, str]:
    """A new invitation for an active member (the token returned once); earlier unused ones stop working."""
    if not timedelta(minutes=5) <= valid <= MAX_VALIDITY:
        raise ValueError("an invitation is valid between 5 minutes and 30 days")
    if not member.active:
        raise ValueError("the member is deactivated")
    now = datetime.now(UTC)
    await expire_invitations(session, member.id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = MemberInvitation(
        id=uuid.uuid4(), member_id=member.id, invited_by_id=invited_by, token_hash=hash_token(token),
        expires_at=now + valid, revoke_passkeys=revoke_passkeys,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row, token


async def expire_invitations(session: AsyncSession, member_id: uuid.UUID) -> None:
    """The member's unused invitations stop working (a new one replaces them; deactivation ends them)."""
    await session.execute(
        update(MemberInvitation)
        .where(
            MemberInvitation.member_id == member_id,
            MemberInvitation.used_at.is_(None),
            MemberInvitation.expires_at > func.now(),
        )
        .values(expires_at=func.now())
    )


async def open_invitation(session: AsyncSession, token: str, *, lock: bool = False) -> MemberInvitation | None:
    """The unused, unexpired invitation of an active member with this token, or None (whatever the reason)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    query = (
        select(MemberInvitation)
        .join(Member, Member.id == MemberInvitation.member_id)
        .where(
            MemberInvitation.token_hash == hash_token(token),
            MemberInvitation.used_at.is_(None),
            MemberInvitation.expires_at > datetime.now(UTC),
            Member.active,
        )
    )
    if lock:
        query = query.with_for_update(of=MemberInvitation)
    return await session.scalar(query)


async def redeem(session: AsyncSession, invitation: MemberInvitation) -> None:
    """Spend the invitation; when it says so, the member's earlier passkeys and sessions end."""
    now = datetime.now(UTC)
    invitation.used_at = now
    if invitation.revoke_passkeys:
        await session.execute(delete(Passkey).where(Passkey.member_id == invitation.member_id))
        await end_all_sessions(session, invitation.member_id, "RECOVERY")
    await session.flush()
