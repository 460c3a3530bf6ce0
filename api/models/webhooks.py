"""Webhook endpoints of partner apps and their deliveries (Standard Webhooks), with the outbox cursor.

An endpoint belongs to one partner app (``oauth_client``) and its organization; its signing secrets are
sealed (envelope encryption, ``api.crypto``: the worker must read them back to sign). A delivery is one
event of the outbox (``domain_event``) for one endpoint: at most one per pair, retried under the same
``webhook-id`` until it succeeds, is dropped or gives up. No payload is stored: it is computed at each
attempt under the app's rights of that moment.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped

from api.models.base import Base, Entity, Tier, enum_column, field, sealed, uuid_fk
from api.models.enums import WebhookDeliveryStatus, WebhookDisabledReason


class WebhookEndpoint(Entity):
    """Where a partner app wants events of some kinds, and the subscription document selecting their payload."""

    __tablename__ = "webhook_endpoint"

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    app_id: Mapped[uuid.UUID] = uuid_fk("oauth_client.id", ondelete="CASCADE")
    url: Mapped[str] = field(Tier.T1, String(2048), nullable=False)
    event_kinds: Mapped[list[str]] = field(Tier.T1, ARRAY(String(32)), nullable=False)
    document: Mapped[str] = field(Tier.T1, Text, nullable=False)
    description: Mapped[str | None] = field(Tier.T1, String(200))
    secret: Mapped[bytes | None] = sealed()
    previous_secret: Mapped[bytes | None] = sealed()
    previous_secret_expires_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    secret_rotated_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    disabled_reason: Mapped[WebhookDisabledReason | None] = enum_column(WebhookDisabledReason, Tier.T1)
    consecutive_failures: Mapped[int] = field(Tier.T1, Integer, nullable=False, default=0, server_default="0")
    failing_since: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    last_error: Mapped[str | None] = field(Tier.T1, String(32))


class WebhookDelivery(Entity):
    """One event for one endpoint: its state, attempts and last outcome (never the body, never the secret)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_endpoint_event"),
        Index("ix_webhook_delivery_due", "next_attempt_at", postgresql_where="status = 'PENDING'"),
        Index("ix_webhook_delivery_endpoint_created", "endpoint_id", "created_at", "id"),
    )

    endpoint_id: Mapped[uuid.UUID] = uuid_fk("webhook_endpoint.id", ondelete="CASCADE")
    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    event_id: Mapped[int] = field(Tier.T1, BigInteger, nullable=False)
    event_kind: Mapped[str] = field(Tier.T1, String(32), nullable=False)
    status: Mapped[WebhookDeliveryStatus] = enum_column(
        WebhookDeliveryStatus, Tier.T1, nullable=False, default=WebhookDeliveryStatus.PENDING
    )
    attempts: Mapped[int] = field(Tier.T1, Integer, nullable=False, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    last_response_code: Mapped[int | None] = field(Tier.T1, Integer)
    last_error: Mapped[str | None] = field(Tier.T1, String(32))
    delivered_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))


class WebhookCursor(Base):
    """How far the fan-out has read the outbox: every id up to ``last_event_id`` but the gaps (ids not visible
    yet when a later one was read), each with the transaction id after which it can no longer fill
    (``api/webhooks/cursor.py``). One row, advanced by one instance at a time (an advisory lock)."""

    __tablename__ = "webhook_cursor"
    __table_args__ = (CheckConstraint("cardinality(gap_ids) = cardinality(gap_xids)", name="gaps_paired"),)

    name: Mapped[str] = field(Tier.T1, String(32), primary_key=True)
    last_event_id: Mapped[int] = field(Tier.T1, BigInteger, nullable=False)
    gap_ids: Mapped[list[int]] = field(Tier.T1, ARRAY(BigInteger), nullable=False, server_default=text("'{}'"))
    gap_xids: Mapped[list[int]] = field(Tier.T1, ARRAY(BigInteger), nullable=False, server_default=text("'{}'"))
