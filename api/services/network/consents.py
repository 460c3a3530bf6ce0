"""A member's consents to partner apps: list them, revoke one (which ends that app's sessions of the member)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.consents import consent_owner
from api.auth.viewer import Viewer
from api.models import OAuthClient, OAuthConsent
from api.oauth import consents
from api.services.shared.errors import UserFacingError


async def my_consents(session: AsyncSession, viewer: Viewer) -> list[tuple[OAuthConsent, OAuthClient]]:
    """The viewer's own live consents (none for a credential that is not the person's own)."""
    owner = consent_owner(viewer)
    return [] if owner is None else await consents.own_consents(session, owner)


async def revoke_consent(
    session: AsyncSession, viewer: Viewer, consent_id: uuid.UUID
) -> tuple[OAuthConsent, OAuthClient]:
    """Revoke one of the viewer's own consents; the app's sessions of the member end on their next request."""
    owner = consent_owner(viewer)
    if owner is None:
        raise UserFacingError(
            "OWN_CREDENTIAL_REQUIRED", "Sign in as yourself (not through a partner app) to revoke a consent.", "id"
        )
    consent = await consents.revoke(session, owner, consent_id)
    if consent is None:
        raise UserFacingError("CONSENT_NOT_FOUND", "You have no live consent with this id.", "id")
    return consent, await session.get_one(OAuthClient, consent.client_id)
