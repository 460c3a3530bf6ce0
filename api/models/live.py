"""Open subscription WebSockets of every instance (api/ratelimit/connections.py): one row per counted
connection, so that the limits per member and per app hold across instances sharing the database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, LargeBinary
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped

from api.models.base import Base, Tier, field


class LiveConnectionSlot(Base):
    """A connection counted against its member's and app's limits: the instance holding it, keyed digests of the
    member and the app (never their ids), and when that instance last said it was still open."""

    __tablename__ = "live_connection_slot"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    id: Mapped[uuid.UUID] = field(Tier.T1, UUID(as_uuid=True), primary_key=True)
    instance_id: Mapped[uuid.UUID] = field(Tier.T1, UUID(as_uuid=True), nullable=False)
    member_key: Mapped[bytes | None] = field(Tier.T1, LargeBinary, index=True)
    app_key: Mapped[bytes | None] = field(Tier.T1, LargeBinary, index=True)
    seen_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False)
