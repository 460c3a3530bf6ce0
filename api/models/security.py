"""Credentials and key material: personal access tokens and wrapped per-organization data keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, DateTime, Index, LargeBinary, String, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped

from api.models.base import Base, Entity, Tier, field, uuid_fk


class PersonalAccessToken(Entity):
    """A member's bearer token; only its SHA-256 hash is stored."""

    __tablename__ = "personal_access_token"

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    name: Mapped[str] = field(Tier.T2, String(120), nullable=False)
    token_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    # SELF (the member, through the API), OPERATOR (`sanctuary-api token create`, seed) or UNKNOWN (before 0009)
    minted_by: Mapped[str] = field(Tier.T2, String(16), nullable=False, server_default="UNKNOWN")


class DataKey(Entity):
    """A 256-bit key stored wrapped by a key-encryption key kept outside the database.

    ``purpose`` is ``DATA`` (one active per organization, encrypts its T3 values) or
    ``BLIND_INDEX`` (one active for the network, keys the HMAC lookups such as A-numbers).
    """

    __tablename__ = "data_key"
    __table_args__ = (  # one active key per organization and purpose, even under concurrent first use
        Index(
            "uq_data_key_one_active",
            "purpose",
            text("coalesce(organization_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            unique=True,
            postgresql_where=text("active"),
        ),
    )

    organization_id: Mapped[uuid.UUID | None] = uuid_fk("organization.id", nullable=True)
    purpose: Mapped[str] = field(Tier.T2, String(16), nullable=False, default="DATA")
    kek_id: Mapped[str] = field(Tier.T2, String(64), nullable=False)
    wrapped_key: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False)
    active: Mapped[bool] = field(Tier.T2, Boolean, nullable=False, default=True)


class OAuthClient(Entity):
    """A partner app of an organization (OAuth 2.0 client); only the secret's hash is stored.

    A public client (a single-page or native app, a script) has no usable secret and authenticates
    with PKCE alone; ``grant_types`` lists what it may use; redirects go only to ``redirect_uris``
    (exact match).
    """

    __tablename__ = "oauth_client"

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    client_id: Mapped[str] = field(Tier.T1, String(64), nullable=False, unique=True)
    name: Mapped[str] = field(Tier.T1, String(120), nullable=False)
    secret_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False)
    scopes: Mapped[list[str]] = field(Tier.T1, ARRAY(String(32)), nullable=False, default=list)
    max_roles: Mapped[list[str]] = field(Tier.T1, ARRAY(String(32)), nullable=False, default=list)
    disabled_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    redirect_uris: Mapped[list[str]] = field(
        Tier.T1, ARRAY(String(500)), nullable=False, default=list, server_default="{}"
    )
    public: Mapped[bool] = field(Tier.T1, Boolean, nullable=False, default=False, server_default="false")
    grant_types: Mapped[list[str]] = field(
        Tier.T1, ARRAY(String(64)), nullable=False, default=lambda: ["client_credentials"],
        server_default="{client_credentials}",
    )  # fmt: skip


class SigningKey(Entity):
    """An asymmetric key signing access tokens; the private half is sealed with the key-encryption key."""

    __tablename__ = "signing_key"

    kid: Mapped[str] = field(Tier.T1, String(64), nullable=False, unique=True)
    algorithm: Mapped[str] = field(Tier.T1, String(16), nullable=False)
    kek_id: Mapped[str] = field(Tier.T2, String(64), nullable=False)
    sealed_private_key: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False)
    public_jwk: Mapped[dict[str, str]] = field(Tier.T1, JSONB, nullable=False)
    retired_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))


class RevokedToken(Base):
    """A revoked access token (by its ``jti``), kept until the token would have expired anyway."""

    __tablename__ = "revoked_token"

    jti: Mapped[str] = field(Tier.T1, String(64), primary_key=True)
    expires_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False, index=True)
    revoked_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False, server_default=func.now())


class IdempotencyKey(Base):
    """A create mutation's idempotency key: repeating it returns the first result instead of creating again.

    ``request_digest`` is a keyed HMAC of the input (never the input itself), to tell a replay
    from a reuse of the key with different input. Kept at least 24 hours (``expires_at``).
    """

    __tablename__ = "idempotency_key"

    actor: Mapped[str] = field(Tier.T2, String(80), primary_key=True)
    mutation: Mapped[str] = field(Tier.T1, String(64), primary_key=True)
    key: Mapped[str] = field(Tier.T2, String(200), primary_key=True)
    request_digest: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False)
    record_id: Mapped[uuid.UUID | None] = field(Tier.T1, UUID(as_uuid=True))
    created_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False, server_default=func.now())
    expires_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False, index=True)
