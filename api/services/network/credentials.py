"""Managing an organization's credentials: members' personal tokens and partner apps."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import CeilingError, ClientRegistrationError, create_client
from api.auth.recent_signin import signed_in_recently
from api.auth.roles import grantable
from api.auth.tokens import MAX_LIFETIME, create_personal_token
from api.auth.viewer import Viewer
from api.models import Member, OAuthClient, Organization, PersonalAccessToken
from api.services.shared.errors import UserFacingError


async def create_own_token(
    session: AsyncSession, viewer: Viewer, member_id: uuid.UUID | None, *, name: str, days: int, recent: timedelta
) -> tuple[PersonalAccessToken, str]:
    """A new personal token for the calling member themselves, right after a sign-in (secret returned once);
    nobody mints one for another, and neither a token nor a partner app mints one."""
    if viewer.member_id is None or member_id not in (None, viewer.member_id):
        raise UserFacingError(
            "NOT_YOUR_OWN", "A personal access token can only be created by its own member.", "memberId"
        )
    if not viewer.own_credential:  # a token someone else may have minted does not mint the person's own
        raise UserFacingError(
            "OWN_CREDENTIAL_REQUIRED", "Sign in, or use a token you created, to create a token.", "memberId"
        )
    if not signed_in_recently(viewer, recent):
        raise UserFacingError(
            "RECENT_SIGNIN_REQUIRED",
            f"Sign in again (within {int(recent.total_seconds() // 60)} minutes) to create a token: a personal "
            "access token or a partner app cannot create one.",
            None,
        )
    if not 1 <= days <= MAX_LIFETIME.days:
        raise UserFacingError(
            "INVALID_LIFETIME", f"A token lives between 1 and {MAX_LIFETIME.days} days.", "expiresInDays"
        )
    if not 1 <= len(name.strip()) <= 120:
        raise UserFacingError("INVALID_NAME", "Give the token a name of 1 to 120 characters.", "name")
    member = await session.get_one(Member, viewer.member_id)  # active: its token authenticated this request
    return await create_personal_token(
        session, member, name=name.strip(), lifetime=timedelta(days=days), minted_by=member
    )


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
    session: AsyncSession,
    viewer: Viewer,
    *,
    name: str,
    scopes: list[str],
    max_roles: list[str],
    grants: list[str] | None = None,
    redirect_uris: list[str] | None = None,
    public: bool = False,
    trusted_documents_only: bool = True,
) -> tuple[OAuthClient, str]:
    """Register a partner app of the viewer's organization (secret returned once; none usable when public)."""
    if not 1 <= len(name.strip()) <= 120:
        raise UserFacingError("INVALID_NAME", "Give the app a name of 1 to 120 characters.", "name")
    if not trusted_documents_only and viewer.client_id is not None:  # an app never registers one freer than itself
        raise UserFacingError(
            "INVALID_GRANT", "Only a person may register an app that sends any document.", "trustedDocumentsOnly"
        )
    organization = await session.get_one(Organization, viewer.organization_id)
    try:
        return await create_client(
            session, organization, name=name.strip(), scopes=scopes, max_roles=max_roles,
            grantable=grantable(viewer, organization.kind), grants=grants, redirect_uris=redirect_uris, public=public,
            trusted_documents_only=trusted_documents_only,
        )  # fmt: skip
    except CeilingError:
        raise UserFacingError(
            "ROLE_NOT_ALLOWED", "A role in the list cannot be granted to an app of your organization.", "maxRoles"
        ) from None
    except ClientRegistrationError as error:
        code = "INVALID_REDIRECT_URI" if error.field == "redirectUris" else "INVALID_GRANT"
        raise UserFacingError(code, str(error), error.field) from None


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
