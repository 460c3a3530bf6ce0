"""Rate-limit token buckets (api/ratelimit/buckets.py): one row per caller and policy, keyed by a digest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Double, LargeBinary
from sqlalchemy.orm import Mapped

from api.models.base import Base, Tier, field


class RateLimitBucket(Base):
    """A caller's token bucket: the points left when it was last touched (the key is a SHA-256 digest)."""

    __tablename__ = "rate_limit_bucket"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    key: Mapped[bytes] = field(Tier.T1, LargeBinary, primary_key=True)
    tokens: Mapped[float] = field(Tier.T1, Double, nullable=False)
    granted: Mapped[bool] = field(Tier.T1, Boolean, nullable=False)
    updated_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False, index=True)
