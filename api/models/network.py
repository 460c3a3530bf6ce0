"""Regions, organizations and congregations: the shape of the network."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, relationship

from api.models.base import Entity, Tier, enum_column, field, uuid_fk
from api.models.enums import Commitment, OrganizationKind


class Region(Entity):
    """Coarse geography (a county or metro area) used for routing and broadcasts."""

    __tablename__ = "region"

    name: Mapped[str] = field(Tier.T0, String(120), nullable=False)
    code: Mapped[str] = field(Tier.T0, String(40), nullable=False, unique=True)
    # the RAPID_RESPONSE organization the hub made responsible for the region (its dispatchers dispatch here)
    rapid_response_organization_id: Mapped[uuid.UUID | None] = field(
        Tier.T1,
        UUID(as_uuid=True),
        ForeignKey("organization.id", ondelete="RESTRICT", use_alter=True),  # organization -> region too
        index=True,
    )


class Organization(Entity):
    """A member organization of the network."""

    __tablename__ = "organization"

    name: Mapped[str] = field(Tier.T1, String(200), nullable=False)
    kind: Mapped[OrganizationKind] = enum_column(OrganizationKind, Tier.T1, nullable=False)
    region_id: Mapped[uuid.UUID] = uuid_fk("region.id")

    region: Mapped[Region] = relationship(lazy="raise", foreign_keys=[region_id])


class Congregation(Entity):
    """The congregation profile of a CONGREGATION organization (one per organization)."""

    __tablename__ = "congregation"
    __table_args__ = (
        UniqueConstraint("organization_id"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_non_negative"),
    )

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    public_name: Mapped[str] = field(Tier.T0, String(200), nullable=False)
    faith_tradition: Mapped[str] = field(Tier.T0, String(120), nullable=False)
    city: Mapped[str] = field(Tier.T0, String(120), nullable=False)
    commitment: Mapped[Commitment] = enum_column(Commitment, Tier.T0, nullable=False)
    public_declaration: Mapped[bool] = field(Tier.T0, Boolean, nullable=False, default=False)
    capacity: Mapped[int | None] = field(Tier.T1, Integer)
    accessibility_notes: Mapped[str | None] = field(Tier.T1, Text)
    contact_name: Mapped[str | None] = field(Tier.T1, String(200))
    contact_phone: Mapped[str | None] = field(Tier.T1, String(40))
    contact_email: Mapped[str | None] = field(Tier.T1, String(254))

    organization: Mapped[Organization] = relationship(lazy="raise")
