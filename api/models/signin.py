"""Signing in: invitations, passkeys, browser sessions and pending WebAuthn challenges (only hashes of secrets)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, DateTime, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from api.models.base import Entity, Tier, field, uuid_fk


class MemberInvitation(Entity):
    """A one-time link to enroll a passkey; only the SHA-256 hash of its token is stored."""

    __tablename__ = "member_invitation"

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    invited_by_id: Mapped[uuid.UUID | None] = uuid_fk("member.id", nullable=True, ondelete="SET NULL")
    token_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    revoke_passkeys: Mapped[bool] = field(Tier.T2, Boolean, nullable=False, default=False)


class Passkey(Entity):
    """A WebAuthn credential of a member (public key, sign count, a name the member chose)."""

    __tablename__ = "passkey"

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    credential_id: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    public_key: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False)
    sign_count: Mapped[int] = field(Tier.T2, Integer, nullable=False, default=0)
    name: Mapped[str] = field(Tier.T2, String(120), nullable=False)
    transports: Mapped[list[str]] = field(Tier.T2, ARRAY(String(32)), nullable=False, default=list)
    last_used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))


class SigninSession(Entity):
    """A browser session of a member on the API's own pages; the cookie holds a secret whose hash is stored."""

    __tablename__ = "signin_session"

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    token_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    device_name: Mapped[str] = field(Tier.T2, String(200), nullable=False, default="")
    method: Mapped[str] = field(Tier.T2, String(32), nullable=False, default="PASSKEY")
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    last_used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = field(Tier.T2, String(32))


class WebauthnChallenge(Entity):
    """A pending registration or authentication ceremony: its challenge, used at most once, briefly valid."""

    __tablename__ = "webauthn_challenge"

    purpose: Mapped[str] = field(Tier.T2, String(16), nullable=False)
    challenge: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False)
    invitation_id: Mapped[uuid.UUID | None] = uuid_fk("member_invitation.id", nullable=True, ondelete="CASCADE")
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)


class OAuthSession(Entity):
    """A partner app's session for a member (one authorization code or device grant and its refresh chain).

    Access tokens issued in it carry its id (``sid``); ending it (sign-out, ``mySessions`` end, an admin,
    deactivation) refuses them and its refresh tokens on the next request.
    """

    __tablename__ = "oauth_session"

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    # None: the API's own first-party GraphiQL (public client ``graphiql``, no consent screen)
    client_id: Mapped[uuid.UUID | None] = uuid_fk("oauth_client.id", nullable=True, ondelete="CASCADE")
    grant_type: Mapped[str] = field(Tier.T2, String(32), nullable=False)
    scopes: Mapped[list[str]] = field(Tier.T2, ARRAY(String(32)), nullable=False, default=list)
    device_name: Mapped[str] = field(Tier.T2, String(200), nullable=False, default="")
    last_used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = field(Tier.T2, String(32))


class OAuthConsent(Entity):
    """A member's consent to a partner app and the scopes it named; remembered until revoked."""

    __tablename__ = "oauth_consent"
    __table_args__ = (UniqueConstraint("member_id", "client_id"),)

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    client_id: Mapped[uuid.UUID] = uuid_fk("oauth_client.id", ondelete="CASCADE")
    scopes: Mapped[list[str]] = field(Tier.T2, ARRAY(String(32)), nullable=False, default=list)
    revoked_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
