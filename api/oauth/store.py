"""What the OAuth grants for people keep in PostgreSQL: codes, app sessions, refresh tokens (hashes only).

Codes live :data:`CODE_LIFETIME` (60 seconds: the client exchanges it right after the redirect), are used once,
and are kept (spent) until the chain they started ends, so that a replay is recognized and ends that chain.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import AnyClient
from api.auth.delegated import Grantee
from api.auth.roles import fitting
from api.auth.tokens import hash_token
from api.models import Member, OAuthAuthorizationCode, OAuthRefreshToken, OAuthSession, Organization

CODE_LIFETIME = timedelta(seconds=60)


def client_row_id(client: AnyClient) -> uuid.UUID | None:
    """The ``oauth_client`` id of a partner app; None for the API's own GraphiQL."""
    return None if client.row is None else client.row.id


async def save_code(
    session: AsyncSession,
    client: AnyClient,
    member_id: uuid.UUID,
    *,
    code: tuple[str, str, str, str],
    auth_time: datetime,
    device_name: str,
) -> OAuthAuthorizationCode:
    """Store a new code (its hash) bound to the client, redirect URI, challenge, member and sign-in time."""
    secret, scope, redirect_uri, challenge = code
    row = OAuthAuthorizationCode(
        id=uuid.uuid4(), code_hash=hash_token(secret), member_id=member_id, client_id=client_row_id(client),
        redirect_uri=redirect_uri, scopes=sorted(set(scope.split())), code_challenge=challenge, auth_time=auth_time,
        device_name=device_name[:200], expires_at=datetime.now(UTC) + CODE_LIFETIME,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def load_code(session: AsyncSession, code: str) -> OAuthAuthorizationCode | None:
    """The stored code with this value (locked until the transaction ends), spent or not."""
    if not code or len(code) > 200:
        return None
    statement = select(OAuthAuthorizationCode).where(OAuthAuthorizationCode.code_hash == hash_token(code))
    return await session.scalar(statement.with_for_update())


async def grantee(
    session: AsyncSession, client: AnyClient, member_id: uuid.UUID, auth_time: datetime, session_id: uuid.UUID
) -> Grantee | None:
    """The person a grant is for, acting with their current roles within the client's ceiling; None when the
    member is inactive or nothing is left of their roles."""
    found = (
        await session.execute(
            select(Member.organization_id, Member.roles, Organization.kind)
            .join(Organization, Organization.id == Member.organization_id)
            .where(Member.id == member_id, Member.active)
        )
    ).one_or_none()
    if found is None:
        return None
    roles = fitting(found.roles, found.kind)
    if client.roles is not None:
        roles &= client.roles  # the app's ceiling as its organization allows it (Client.roles)
    if not roles:
        return None
    return Grantee(member_id, found.organization_id, roles, auth_time, session_id)


async def start_session(
    session: AsyncSession, client: AnyClient, who: Grantee, *, grant_type: str, scope: str, device_name: str
) -> OAuthSession:
    """The app session a code or device grant starts (its id is the one the grantee's tokens carry)."""
    row = OAuthSession(
        id=who.session_id, member_id=who.member_id, client_id=client_row_id(client), grant_type=grant_type,
        scopes=sorted(set(scope.split())), device_name=device_name[:200], last_used_at=datetime.now(UTC),
        auth_time=who.auth_time,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def store_refresh(
    session: AsyncSession, session_id: uuid.UUID, token: str, expires_at: datetime
) -> OAuthRefreshToken:
    """Store a new refresh token of the session (its hash)."""
    row = OAuthRefreshToken(id=uuid.uuid4(), session_id=session_id, token_hash=hash_token(token), expires_at=expires_at)
    session.add(row)
    await session.flush()
    return row


async def load_refresh(session: AsyncSession, token: str) -> tuple[OAuthRefreshToken, OAuthSession] | None:
    """The stored refresh token with this value and its session (both locked), spent or not."""
    if not token or len(token) > 200:
        return None
    found = (
        await session.execute(
            select(OAuthRefreshToken, OAuthSession)
            .join(OAuthSession, OAuthSession.id == OAuthRefreshToken.session_id)
            .where(OAuthRefreshToken.token_hash == hash_token(token))
            .with_for_update()
        )
    ).one_or_none()
    return None if found is None else (found[0], found[1])


async def end_sessions(session: AsyncSession, reason: str, *where: object) -> list[uuid.UUID]:
    """End the live app sessions matching ``where`` and spend their refresh tokens; returns their ids."""
    now = datetime.now(UTC)
    ended = list(
        await session.scalars(
            update(OAuthSession)
            .where(OAuthSession.revoked_at.is_(None), *where)  # type: ignore[arg-type]
            .values(revoked_at=now, revoked_reason=reason)
            .returning(OAuthSession.id)
        )
    )
    if ended:
        await session.execute(
            update(OAuthRefreshToken)
            .where(OAuthRefreshToken.session_id.in_(ended), OAuthRefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
    return ended
