"""The append-only audit trail: who read or changed what, never the values."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, Index, String, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped

from api.models.base import Base, Tier, enum_column, field
from api.models.enums import AuditAction, AuditOutcome


class AuditEvent(Base):
    """One audited read of T2/T3 data or one mutation, allowed or denied. Never updated or deleted."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_org_keyset", "organization_id", "occurred_at", "id"),)

    id: Mapped[uuid.UUID] = field(
        Tier.T1,
        UUID(as_uuid=True),
        primary_key=True,
        default=uuid.uuid4,
        server_default=text("gen_random_uuid()"),
    )
    occurred_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False, server_default=func.now())
    organization_id: Mapped[uuid.UUID | None] = field(Tier.T1, UUID(as_uuid=True))
    actor_member_id: Mapped[uuid.UUID | None] = field(Tier.T1, UUID(as_uuid=True))
    actor_client_id: Mapped[str | None] = field(Tier.T1, String(120))
    roles: Mapped[list[str]] = field(Tier.T1, ARRAY(String(32)), nullable=False, default=list)
    action: Mapped[AuditAction] = enum_column(AuditAction, Tier.T1, nullable=False)
    operation_name: Mapped[str | None] = field(Tier.T1, String(200))
    document_hash: Mapped[str | None] = field(Tier.T1, String(64))
    record_ids: Mapped[list[uuid.UUID]] = field(Tier.T1, ARRAY(UUID(as_uuid=True)), nullable=False, default=list)
    fields: Mapped[list[str]] = field(Tier.T1, ARRAY(String(120)), nullable=False, default=list)
    outcome: Mapped[AuditOutcome] = enum_column(AuditOutcome, Tier.T1, nullable=False)
    request_id: Mapped[str | None] = field(Tier.T1, String(64))
