"""The transactional outbox: one row per change that matters, written in the change's transaction.

A row names the record (type and id), the organizations concerned, the region where there is one, what
happened and who did it; never a value of the record (every column is T0/T1). Its ``id`` is a bigserial:
the order of the events and the point a consumer resumes from. Inserting a row notifies the channel
``sanctuary_events`` with the id only (a trigger, migration 0011); PostgreSQL delivers it on commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, BigInteger, DateTime, Identity, String, func
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped

from api.models.base import Base, Tier, enum_column, field
from api.models.enums import EventKind

CHANNEL = "sanctuary_events"


class DomainEvent(Base):
    """One change of a record, as fan-out and (later) subscriptions and webhooks see it. Never updated."""

    __tablename__ = "domain_event"

    id: Mapped[int] = field(Tier.T1, BigInteger, Identity(always=True), primary_key=True)
    occurred_at: Mapped[datetime] = field(
        Tier.T1, DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    kind: Mapped[EventKind] = enum_column(EventKind, Tier.T1, nullable=False)
    record_type: Mapped[str] = field(Tier.T1, String(64), nullable=False)
    record_id: Mapped[uuid.UUID] = field(Tier.T1, UUID(as_uuid=True), nullable=False)
    organization_ids: Mapped[list[uuid.UUID]] = field(Tier.T1, ARRAY(UUID(as_uuid=True)), nullable=False)
    region_id: Mapped[uuid.UUID | None] = field(Tier.T1, UUID(as_uuid=True))
    actor_member_id: Mapped[uuid.UUID | None] = field(Tier.T1, UUID(as_uuid=True))
    actor_client_id: Mapped[str | None] = field(Tier.T1, String(120))
