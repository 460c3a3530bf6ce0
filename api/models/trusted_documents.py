"""Trusted documents: the GraphQL operations a partner app registered, the only ones a trusted-only app may send."""

from __future__ import annotations

import uuid

from sqlalchemy import ARRAY, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped

from api.models.base import Entity, Tier, field, uuid_fk


class TrustedDocument(Entity):
    """One registered document of a partner app, by the SHA-256 of its text (checked at registration)."""

    __tablename__ = "trusted_document"
    __table_args__ = (UniqueConstraint("client_id", "document_hash"),)

    client_id: Mapped[uuid.UUID] = uuid_fk("oauth_client.id", ondelete="CASCADE")
    document_hash: Mapped[str] = field(Tier.T1, String(64), nullable=False)  # lowercase hex, no prefix
    document: Mapped[str] = field(Tier.T1, Text, nullable=False)
    operation_names: Mapped[list[str]] = field(Tier.T1, ARRAY(String(100)), nullable=False, default=list)
    # who registered it: a member (through the API), or NULL for the operator (`sanctuary-api client documents add`)
    created_by_member_id: Mapped[uuid.UUID | None] = uuid_fk("member.id", nullable=True, ondelete="SET NULL")
