"""Consents: remembered per member and app (with the scopes named) until the member revokes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import OAuthClient, OAuthConsent, OAuthSession
from api.oauth.store import end_sessions

MAX_LISTED = 200


async def remembered(session: AsyncSession, member_id: uuid.UUID, client_id: uuid.UUID, scopes: list[str]) -> bool:
    """Whether the member's live consent to the app covers every one of ``scopes``."""
    granted = await session.scalar(
        select(OAuthConsent.scopes).where(
            OAuthConsent.member_id == member_id, OAuthConsent.client_id == client_id, OAuthConsent.revoked_at.is_(None)
        )
    )
    return granted is not None and set(scopes) <= set(granted)


async def remember(session: AsyncSession, member_id: uuid.UUID, client_id: uuid.UUID, scopes: list[str]) -> uuid.UUID:
    """Record (or widen, or renew after a revocation) the member's consent to the app; returns its id."""
    now = datetime.now(UTC)
    current = await session.scalar(
        select(OAuthConsent).where(OAuthConsent.member_id == member_id, OAuthConsent.client_id == client_id)
    )
    if current is not None:
        kept = set(current.scopes) if current.revoked_at is None else set()
        current.scopes, current.revoked_at, current.updated_at = sorted(kept | set(scopes)), None, now
        await session.flush()
        return current.id
    statement = insert(OAuthConsent).values(
        id=uuid.uuid4(), member_id=member_id, client_id=client_id, scopes=sorted(set(scopes))
    )
    await session.execute(statement.on_conflict_do_nothing(index_elements=["member_id", "client_id"]))
    found = await session.scalar(
        select(OAuthConsent.id).where(OAuthConsent.member_id == member_id, OAuthConsent.client_id == client_id)
    )
    assert found is not None
    return found


async def own_consents(session: AsyncSession, member_id: uuid.UUID) -> list[tuple[OAuthConsent, OAuthClient]]:
    """The member's live consents and their apps, newest first (bounded)."""
    rows = await session.execute(
        select(OAuthConsent, OAuthClient)
        .join(OAuthClient, OAuthClient.id == OAuthConsent.client_id)
        .where(OAuthConsent.member_id == member_id, OAuthConsent.revoked_at.is_(None))
        .order_by(OAuthConsent.updated_at.desc(), OAuthConsent.id)
        .limit(MAX_LISTED)
    )
    return [(row[0], row[1]) for row in rows]


async def revoke(session: AsyncSession, member_id: uuid.UUID, consent_id: uuid.UUID) -> OAuthConsent | None:
    """Revoke one of the member's own consents and end that app's sessions of the member; None if not theirs."""
    consent = await session.scalar(
        select(OAuthConsent).where(
            OAuthConsent.id == consent_id, OAuthConsent.member_id == member_id, OAuthConsent.revoked_at.is_(None)
        )
    )
    if consent is None:
        return None
    consent.revoked_at = datetime.now(UTC)
    await end_sessions(
        session, "consent_revoked", OAuthSession.member_id == member_id, OAuthSession.client_id == consent.client_id
    )
    await session.flush()
    await session.refresh(consent)  # its updated_at was set by the database
    return consent
