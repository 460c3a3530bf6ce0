"""Physical sanctuary: cases, supporting congregations, hospitality shifts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Boolean, CheckConstraint, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, relationship

from api.models.base import Entity, Tier, enum_column, field, sealed, uuid_fk
from api.models.enums import ExitOutcome, SanctuaryCaseStatus, ShiftAssignmentStatus, ShiftStatus


class SanctuaryCase(Entity):
    """A person sheltered (or being considered for shelter) by a host congregation."""

    __tablename__ = "sanctuary_case"
    __table_args__ = (CheckConstraint("status <> 'EXITED' OR exit_outcome IS NOT NULL", name="exit_needs_outcome"),)

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    person_id: Mapped[uuid.UUID] = uuid_fk("person.id")
    host_congregation_id: Mapped[uuid.UUID] = uuid_fk("congregation.id")
    status: Mapped[SanctuaryCaseStatus] = enum_column(SanctuaryCaseStatus, Tier.T2, nullable=False, index=True)
    exit_outcome: Mapped[ExitOutcome | None] = enum_column(ExitOutcome, Tier.T2)
    public_story_consent: Mapped[bool] = field(Tier.T1, Boolean, nullable=False, default=False)
    legal_status_summary: Mapped[bytes | None] = sealed()
    location_detail: Mapped[bytes | None] = sealed()
    entered_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    exited_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))

    supporters: Mapped[list[CaseSupporter]] = relationship(lazy="raise", back_populates="case")


class CaseSupporter(Entity):
    """A congregation supporting a sanctuary case, with the roles it took on."""

    __tablename__ = "case_supporter"
    __table_args__ = (UniqueConstraint("case_id", "congregation_id"),)

    case_id: Mapped[uuid.UUID] = uuid_fk("sanctuary_case.id", ondelete="CASCADE")
    congregation_id: Mapped[uuid.UUID] = uuid_fk("congregation.id")
    roles: Mapped[list[str]] = field(Tier.T1, ARRAY(String(16)), nullable=False, default=list)

    case: Mapped[SanctuaryCase] = relationship(lazy="raise", back_populates="supporters")


class HospitalityShift(Entity):
    """A block of time during which volunteers are present with a guest in sanctuary."""

    __tablename__ = "hospitality_shift"
    __table_args__ = (
        CheckConstraint("needed_volunteers >= 2", name="at_least_two_volunteers"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    case_id: Mapped[uuid.UUID] = uuid_fk("sanctuary_case.id", ondelete="CASCADE")
    supporting_congregation_id: Mapped[uuid.UUID | None] = uuid_fk("congregation.id", nullable=True)
    starts_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    ends_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    needed_volunteers: Mapped[int] = field(Tier.T1, Integer, nullable=False, default=2)
    status: Mapped[ShiftStatus] = enum_column(ShiftStatus, Tier.T1, nullable=False, default=ShiftStatus.OPEN)


class ShiftAssignment(Entity):
    """A volunteer signed up for a hospitality shift."""

    __tablename__ = "shift_assignment"
    __table_args__ = (UniqueConstraint("shift_id", "member_id"),)

    shift_id: Mapped[uuid.UUID] = uuid_fk("hospitality_shift.id", ondelete="CASCADE")
    member_id: Mapped[uuid.UUID] = uuid_fk("member.id")
    status: Mapped[ShiftAssignmentStatus] = enum_column(
        ShiftAssignmentStatus, Tier.T1, nullable=False, default=ShiftAssignmentStatus.SIGNED_UP
    )


class CaseBurnRequest(Entity):
    """A first org admin's request to burn a case's critical data, waiting for a second admin to confirm."""

    __tablename__ = "case_burn_request"
    __table_args__ = (UniqueConstraint("case_id"),)

    case_id: Mapped[uuid.UUID] = uuid_fk("sanctuary_case.id", ondelete="CASCADE")
    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    requested_by_id: Mapped[uuid.UUID] = uuid_fk("member.id")
    expires_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False)
