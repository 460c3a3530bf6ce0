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
    # when the person signed in to grant it (the access tokens' auth_time, refresh after refresh)
    auth_time: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))


class OAuthConsent(Entity):
    """A member's consent to a partner app and the scopes it named; remembered until revoked."""

    __tablename__ = "oauth_consent"
    __table_args__ = (UniqueConstraint("member_id", "client_id"),)

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    client_id: Mapped[uuid.UUID] = uuid_fk("oauth_client.id", ondelete="CASCADE")
    scopes: Mapped[list[str]] = field(Tier.T2, ARRAY(String(32)), nullable=False, default=list)
    revoked_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))


class OAuthAuthorizationCode(Entity):
    """An authorization code (stored as a hash), single use, bound to its client, redirect URI, PKCE challenge,
    member and sign-in time; ``session_id`` is the app session its exchange started (ended if it is replayed)."""

    __tablename__ = "oauth_authorization_code"

    code_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    # None: the API's own GraphiQL
    client_id: Mapped[uuid.UUID | None] = uuid_fk("oauth_client.id", nullable=True, ondelete="CASCADE")
    redirect_uri: Mapped[str] = field(Tier.T2, String(500), nullable=False)
    scopes: Mapped[list[str]] = field(Tier.T2, ARRAY(String(32)), nullable=False, default=list)
    code_challenge: Mapped[str] = field(Tier.T2, String(128), nullable=False)
    auth_time: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    device_name: Mapped[str] = field(Tier.T2, String(200), nullable=False, default="")
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    session_id: Mapped[uuid.UUID | None] = uuid_fk("oauth_session.id", nullable=True, ondelete="CASCADE")


class OAuthRefreshToken(Entity):
    """A refresh token of an app session (stored as a hash); rotated on use: a spent one presented again ends
    the whole session."""

    __tablename__ = "oauth_refresh_token"

    session_id: Mapped[uuid.UUID] = uuid_fk("oauth_session.id", ondelete="CASCADE")
    token_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))


class OAuthDeviceCode(Entity):
    """A device authorization request (RFC 8628): device and user codes stored as hashes; approved or denied by
    a signed-in member on ``/signin/device``; polled by the device until it expires."""

    __tablename__ = "oauth_device_code"

    device_code_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    user_code_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    client_id: Mapped[uuid.UUID] = uuid_fk("oauth_client.id", ondelete="CASCADE")
    scopes: Mapped[list[str]] = field(Tier.T2, ARRAY(String(32)), nullable=False, default=list)
    device_name: Mapped[str] = field(Tier.T2, String(200), nullable=False, default="")
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    interval_s: Mapped[int] = field(Tier.T2, Integer, nullable=False, default=5)
    last_polled_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    # PENDING, APPROVED, DENIED, USED
    status: Mapped[str] = field(Tier.T2, String(16), nullable=False, default="PENDING")
    member_id: Mapped[uuid.UUID | None] = uuid_fk("member.id", nullable=True, ondelete="CASCADE")
    auth_time: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
