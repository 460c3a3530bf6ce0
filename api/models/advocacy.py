"""Advocacy: public actions, vigils, call-ins and meetings with officials."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from api.models.base import Entity, Tier, enum_column, field, uuid_fk
from api.models.enums import AdvocacyKind, AdvocacyLevel, AdvocacyStatus, Visibility


class AdvocacyAction(Entity):
    """A planned or held advocacy action; its visibility decides who sees it."""

    __tablename__ = "advocacy_action"

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    title: Mapped[str] = field(Tier.T0, String(200), nullable=False)
    kind: Mapped[AdvocacyKind] = enum_column(AdvocacyKind, Tier.T0, nullable=False)
    level: Mapped[AdvocacyLevel] = enum_column(AdvocacyLevel, Tier.T0, nullable=False)
    target: Mapped[str | None] = field(Tier.T0, String(200))
    starts_at: Mapped[datetime] = field(Tier.T0, DateTime(timezone=True), nullable=False, index=True)
    place: Mapped[str | None] = field(Tier.T0, String(300))
    visibility: Mapped[Visibility] = enum_column(Visibility, Tier.T0, nullable=False, index=True)
    status: Mapped[AdvocacyStatus] = enum_column(
        AdvocacyStatus, Tier.T0, nullable=False, default=AdvocacyStatus.PLANNED
    )
    sanctuary_case_id: Mapped[uuid.UUID | None] = uuid_fk("sanctuary_case.id", nullable=True)


class AdvocacyOrganizer(Entity):
    """An organization co-organizing an advocacy action."""

    __tablename__ = "advocacy_organizer"
    __table_args__ = (UniqueConstraint("action_id", "organization_id"),)

    action_id: Mapped[uuid.UUID] = uuid_fk("advocacy_action.id", ondelete="CASCADE")
    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
