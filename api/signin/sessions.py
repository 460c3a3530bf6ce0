"""Browser sessions on the API's own pages: a random cookie secret, stored as a hash, ended on sign-out."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from api.auth.tokens import hash_token
from api.models import Member, OAuthSession, SigninSession

COOKIE = "sanctuary_session"
TOKEN_PREFIX = "snses_"  # noqa: S105 (a prefix, not a secret)


async def start_session(
    session: AsyncSession, member: Member, *, device_name: str, lifetime: timedelta, method: str = "PASSKEY"
) -> tuple[SigninSession, str]:
    """A new session for the member; returns the row and the cookie's secret (never stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    row = SigninSession(
        id=uuid.uuid4(), member_id=member.id, token_hash=hash_token(token), device_name=device_name[:200],
        method=method, expires_at=now + lifetime, last_used_at=now,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row, token


async def current_session(session: AsyncSession, token: str | None) -> tuple[SigninSession, Member] | None:
    """The live session of an active member with this cookie secret (last use noted), or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    now = datetime.now(UTC)
    found = (
        await session.execute(
            select(SigninSession, Member)
            .join(Member, Member.id == SigninSession.member_id)
            .where(
                SigninSession.token_hash == hash_token(token),
                SigninSession.revoked_at.is_(None),
                SigninSession.expires_at > now,
                Member.active,
            )
        )
    ).first()
    if found is None:
        return None
    row, member = found
    # a plain UPDATE (no version bump): two requests of one browser at once must not conflict over a timestamp
    await session.execute(update(SigninSession).where(SigninSession.id == row.id).values(last_used_at=now))
    set_committed_value(row, "last_used_at", now)
    return row, member


async def end_session(session: AsyncSession, row: SigninSession, reason: str = "SIGNED_OUT") -> None:
    """End one session (sign-out)."""
    row.revoked_at = datetime.now(UTC)
    row.revoked_reason = reason
    await session.flush()


async def end_member_sessions(session: AsyncSession, member_id: uuid.UUID, reason: str = "RECOVERY") -> int:
    """End every live browser session of a member (deactivation, recovery, an admin); how many ended."""
    result = await session.execute(
        update(SigninSession)
        .where(SigninSession.member_id == member_id, SigninSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def end_app_sessions(session: AsyncSession, member_id: uuid.UUID, reason: str) -> int:
    """End every live app session (``oauth_session``) of a member: its access and refresh tokens are refused
    from the next request on; how many ended."""
    result = await session.execute(
        update(OAuthSession)
        .where(OAuthSession.member_id == member_id, OAuthSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def end_all_sessions(session: AsyncSession, member_id: uuid.UUID, reason: str) -> int:
    """End every browser and app session of a member; how many ended."""
    return await end_member_sessions(session, member_id, reason) + await end_app_sessions(session, member_id, reason)
