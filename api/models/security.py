"""Credentials and key material: personal access tokens and wrapped per-organization data keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped

from api.models.base import Entity, Tier, field, uuid_fk


class PersonalAccessToken(Entity):
    """A member's bearer token; only its SHA-256 hash is stored."""

    __tablename__ = "personal_access_token"

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    name: Mapped[str] = field(Tier.T2, String(120), nullable=False)
    token_hash: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))


class DataKey(Entity):
    """A 256-bit key stored wrapped by a key-encryption key kept outside the database.

    ``purpose`` is ``DATA`` (one active per organization, encrypts its T3 values) or
    ``BLIND_INDEX`` (one active for the network, keys the HMAC lookups such as A-numbers).
    """

    __tablename__ = "data_key"

    organization_id: Mapped[uuid.UUID | None] = uuid_fk("organization.id", nullable=True)
    purpose: Mapped[str] = field(Tier.T2, String(16), nullable=False, default="DATA")
    kek_id: Mapped[str] = field(Tier.T2, String(64), nullable=False)
    wrapped_key: Mapped[bytes] = field(Tier.T2, LargeBinary, nullable=False)
    active: Mapped[bool] = field(Tier.T2, Boolean, nullable=False, default=True)
