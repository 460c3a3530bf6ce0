"""Accompaniment: requests from legal aid groups and the volunteers matched to them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, DateTime, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped

from api.models.base import Entity, Tier, enum_column, field, sealed, uuid_fk
from api.models.enums import (
    AccompanimentKind,
    AccompanimentOutcome,
    AccompanimentStatus,
    AssignmentRole,
    AssignmentStatus,
    Urgency,
)


class AccompanimentRequest(Entity):
    """A request that trained volunteers go with a person to an appointment or help them reach services."""

    __tablename__ = "accompaniment_request"
    __table_args__ = (
        Index("ix_accompaniment_request_created_keyset", "created_at", "id"),
        Index("ix_accompaniment_request_updated_keyset", "updated_at", "id"),
        # keyset pages of one organization's requests, and of those routed to one congregation
        Index("ix_accompaniment_request_org_created_keyset", "organization_id", "created_at", "id"),
        Index("ix_accompaniment_request_org_updated_keyset", "organization_id", "updated_at", "id"),
        Index("ix_accompaniment_request_congregation_keyset", "congregation_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    person_id: Mapped[uuid.UUID] = uuid_fk("person.id")
    region_id: Mapped[uuid.UUID] = uuid_fk("region.id")
    congregation_id: Mapped[uuid.UUID | None] = uuid_fk("congregation.id", nullable=True)
    kind: Mapped[AccompanimentKind] = enum_column(AccompanimentKind, Tier.T1, nullable=False)
    urgency: Mapped[Urgency] = enum_column(Urgency, Tier.T1, nullable=False, default=Urgency.ROUTINE)
    status: Mapped[AccompanimentStatus] = enum_column(
        AccompanimentStatus, Tier.T1, nullable=False, default=AccompanimentStatus.SUBMITTED, index=True
    )
    outcome: Mapped[AccompanimentOutcome | None] = enum_column(AccompanimentOutcome, Tier.T2)
    appointment_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False, index=True)
    place: Mapped[str | None] = field(Tier.T2, String(300))
    languages_needed: Mapped[list[str]] = field(Tier.T1, ARRAY(String(16)), nullable=False, default=list)
    notes: Mapped[bytes | None] = sealed()
    incident_id: Mapped[uuid.UUID | None] = uuid_fk("rapid_response_incident.id", nullable=True)
    # when it reached COMPLETED, CANCELLED or UNFILLED (retention counts from here)
    closed_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))


class AccompanimentAssignment(Entity):
    """A volunteer invited to, or confirmed on, an accompaniment request."""

    __tablename__ = "accompaniment_assignment"
    __table_args__ = (UniqueConstraint("request_id", "member_id"),)

    request_id: Mapped[uuid.UUID] = uuid_fk("accompaniment_request.id", ondelete="CASCADE")
    member_id: Mapped[uuid.UUID] = uuid_fk("member.id")
    role: Mapped[AssignmentRole] = enum_column(AssignmentRole, Tier.T1, nullable=False)
    status: Mapped[AssignmentStatus] = enum_column(
        AssignmentStatus, Tier.T1, nullable=False, default=AssignmentStatus.INVITED
    )
