"""Managing an organization's credentials: members' personal tokens and partner apps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import ClientRegistrationError, create_client
from api.auth.tokens import MAX_LIFETIME, create_personal_token
from api.auth.viewer import Viewer
from api.models import Member, OAuthClient, Organization, PersonalAccessToken
from api.services.errors import UserFacingError


async def create_member_token(
    session: AsyncSession, viewer: Viewer, member_id: uuid.UUID, *, name: str, days: int
) -> tuple[PersonalAccessToken, str]:
    """A new personal token for an active member of the viewer's organization (secret returned once)."""
    if not 1 <= days <= MAX_LIFETIME.days:
        raise UserFacingError(
            "INVALID_LIFETIME", f"A token lives between 1 and {MAX_LIFETIME.days} days.", "expiresInDays"
        )
    if not 1 <= len(name.strip()) <= 120:
        raise UserFacingError("INVALID_NAME", "Give the token a name of 1 to 120 characters.", "name")
    member = await session.scalar(
        select(Member).where(Member.id == member_id, Member.organization_id == viewer.organization_id, Member.active)
    )
    if member is None:
        raise UserFacingError("MEMBER_NOT_FOUND", "No active member of your organization has this id.", "memberId")
    return await create_personal_token(session, member, name=name.strip(), lifetime=timedelta(days=days))


async def revoke_member_token(session: AsyncSession, viewer: Viewer, token_id: uuid.UUID) -> PersonalAccessToken:
    """Revoke a token of a member of the viewer's organization; it stops working on the next request."""
    token = await session.scalar(
        select(PersonalAccessToken)
        .join(Member, Member.id == PersonalAccessToken.member_id)
        .where(PersonalAccessToken.id == token_id, Member.organization_id == viewer.organization_id)
    )
    if token is None:
        raise UserFacingError("TOKEN_NOT_FOUND", "No token of your organization has this id.", "id")
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)
        await session.flush()
    return token


async def register_partner_app(
    session: AsyncSession, viewer: Viewer, *, name: str, scopes: list[str], max_roles: list[str]
) -> tuple[OAuthClient, str]:
    """Register a partner app of the viewer's organization (secret returned once)."""
    if not 1 <= len(name.strip()) <= 120:
        raise UserFacingError("INVALID_NAME", "Give the app a name of 1 to 120 characters.", "name")
    organization = await session.get(Organization, viewer.organization_id)
    assert organization is not None
    try:
        return await create_client(session, organization, name=name.strip(), scopes=scopes, max_roles=max_roles)
    except ClientRegistrationError as error:
        raise UserFacingError("INVALID_GRANT", str(error), "scopes") from None


async def disable_partner_app(session: AsyncSession, viewer: Viewer, app_id: uuid.UUID) -> OAuthClient:
    """Disable a partner app of the viewer's organization; its tokens stop working on the next request."""
    app = await session.scalar(
        select(OAuthClient).where(OAuthClient.id == app_id, OAuthClient.organization_id == viewer.organization_id)
    )
    if app is None:
        raise UserFacingError("APP_NOT_FOUND", "No partner app of your organization has this id.", "id")
    if app.disabled_at is None:
        app.disabled_at = datetime.now(UTC)
        await session.flush()
    return app
