"""Members (people who use the system), their trainings, and the people the network protects."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, relationship

from api.models.base import Base, Entity, Tier, enum_column, field, sealed, uuid_fk
from api.models.enums import TrainingKind


class Member(Entity):
    """A person who uses the system, in one organization, with roles there."""

    __tablename__ = "member"

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    region_id: Mapped[uuid.UUID | None] = uuid_fk("region.id", nullable=True)
    email: Mapped[str] = field(Tier.T2, String(254), nullable=False, unique=True)
    alias: Mapped[str] = field(Tier.T1, String(80), nullable=False)
    legal_name: Mapped[str | None] = field(Tier.T2, String(200))
    phone: Mapped[str | None] = field(Tier.T2, String(40))
    languages: Mapped[list[str]] = field(Tier.T1, ARRAY(String(16)), nullable=False, default=list)
    roles: Mapped[list[str]] = field(Tier.T1, ARRAY(String(32)), nullable=False, default=list)
    active: Mapped[bool] = field(Tier.T1, Boolean, nullable=False, default=True)

    trainings: Mapped[list[Training]] = relationship(lazy="raise", back_populates="member")


class MemberRoleGrant(Base):
    """Since when a member holds a role without a break (two-person rules ask who held a role before a request).

    Kept by the ``member_role_grant`` trigger on ``member`` (migration 0009), whatever writes the
    member (API, CLI, seed, tests): a role added starts now, a role removed loses its row, and a
    member reactivated starts all their roles anew (nothing comes back on reactivation).
    """

    __tablename__ = "member_role_grant"

    member_id: Mapped[uuid.UUID] = field(
        Tier.T1, UUID(as_uuid=True), ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = field(Tier.T1, String(32), primary_key=True)
    granted_at: Mapped[datetime] = field(
        Tier.T1, DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()
    )


class Training(Entity):
    """A completed training of a member, with its expiry."""

    __tablename__ = "training"
    __table_args__ = (
        CheckConstraint("expires_at IS NULL OR expires_at > completed_at", name="expires_after_completion"),
    )

    member_id: Mapped[uuid.UUID] = uuid_fk("member.id", ondelete="CASCADE")
    kind: Mapped[TrainingKind] = enum_column(TrainingKind, Tier.T1, nullable=False)
    completed_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))

    member: Mapped[Member] = relationship(lazy="raise", back_populates="trainings")


class Person(Entity):
    """Someone the network protects: a guest in sanctuary, a person accompanied, a person affected by a raid."""

    __tablename__ = "person"
    __table_args__ = (Index("ix_person_org_created_keyset", "organization_id", "created_at", "id"),)

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    preferred_name: Mapped[str] = field(Tier.T2, String(120), nullable=False)
    legal_name: Mapped[bytes | None] = sealed()
    a_number: Mapped[bytes | None] = sealed()
    # keyed HMAC of the normalised A-number (api.crypto.Sealer.blind_index); `keys reencrypt --blind-index` recomputes it
    a_number_index: Mapped[bytes | None] = field(Tier.T2, LargeBinary, index=True, info={"blind_index_of": "a_number"})
    country_of_origin: Mapped[str | None] = field(Tier.T2, String(80))
    languages: Mapped[list[str]] = field(Tier.T1, ARRAY(String(16)), nullable=False, default=list)


class HouseholdLink(Entity):
    """A household relation between two protected people; the relation itself is critical."""

    __tablename__ = "household_link"
    __table_args__ = (
        UniqueConstraint("person_id", "related_person_id"),
        CheckConstraint("person_id <> related_person_id", name="not_self"),
    )

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    person_id: Mapped[uuid.UUID] = uuid_fk("person.id", ondelete="CASCADE")
    related_person_id: Mapped[uuid.UUID] = uuid_fk("person.id", ondelete="CASCADE")
    relation: Mapped[bytes | None] = sealed()
