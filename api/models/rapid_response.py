"""Rapid response: incident reports, verification, dispatches and the incident timeline."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped

from api.models.base import Entity, Tier, enum_column, field, sealed, uuid_fk
from api.models.enums import (
    DispatchRole,
    IncidentKind,
    IncidentRouting,
    IncidentStatus,
    IntakeChannel,
    TimelineKind,
    Verification,
)


class RapidResponseIncident(Entity):
    """A reported enforcement action, verified before anything is broadcast (S.A.L.U.T.E.)."""

    __tablename__ = "rapid_response_incident"
    __table_args__ = (
        Index("ix_rapid_response_incident_created_keyset", "created_at", "id"),
        Index("ix_rapid_response_incident_updated_keyset", "updated_at", "id"),
        Index("ix_rapid_response_incident_region_keyset", "region_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    region_id: Mapped[uuid.UUID] = uuid_fk("region.id")
    kind: Mapped[IncidentKind] = enum_column(IncidentKind, Tier.T0, nullable=False)
    intake_channel: Mapped[IntakeChannel] = enum_column(IntakeChannel, Tier.T2, nullable=False)
    verification: Mapped[Verification] = enum_column(
        Verification, Tier.T1, nullable=False, default=Verification.UNVERIFIED
    )
    status: Mapped[IncidentStatus] = enum_column(IncidentStatus, Tier.T1, nullable=False, default=IncidentStatus.OPEN)
    reported_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False)
    # S.A.L.U.T.E.: Size, Actions, Location (below), Uniform, Time (observed_at), Equipment.
    size: Mapped[str | None] = field(Tier.T2, String(200))
    actions: Mapped[str | None] = field(Tier.T2, Text)
    uniform: Mapped[str | None] = field(Tier.T2, String(200))
    observed_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    equipment: Mapped[str | None] = field(Tier.T2, String(300))
    exact_location: Mapped[bytes | None] = sealed()
    coarse_area: Mapped[str] = field(Tier.T0, String(200), nullable=False)
    coarse_latitude: Mapped[Decimal | None] = field(Tier.T0, Numeric(7, 3))
    coarse_longitude: Mapped[Decimal | None] = field(Tier.T0, Numeric(8, 3))
    reporter_contact: Mapped[bytes | None] = sealed()
    # when verification started (the hotline reporter's contact is purged a while after it)
    triaged_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    broadcast_at: Mapped[datetime | None] = field(Tier.T0, DateTime(timezone=True), index=True)
    closed_at: Mapped[datetime | None] = field(Tier.T1, DateTime(timezone=True))
    # how a detention's incident was routed to its holder (null: reported by a dispatcher of the holder)
    routing: Mapped[IncidentRouting | None] = enum_column(IncidentRouting, Tier.T1)


class IncidentDispatch(Entity):
    """A responder sent to an incident, with a role and arrival/release times."""

    __tablename__ = "incident_dispatch"
    # a member is sent to an incident once at a time (released, they may be sent again)
    __table_args__ = (
        Index(
            "uq_incident_dispatch_open", "incident_id", "member_id", unique=True,
            postgresql_where=text("released_at IS NULL"),
        ),
    )  # fmt: skip

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    incident_id: Mapped[uuid.UUID] = uuid_fk("rapid_response_incident.id", ondelete="CASCADE")
    # the incident's region, copied at write (an incident stays in its region): its dispatchers read the row
    region_id: Mapped[uuid.UUID] = uuid_fk("region.id")
    member_id: Mapped[uuid.UUID] = uuid_fk("member.id")
    role: Mapped[DispatchRole] = enum_column(DispatchRole, Tier.T1, nullable=False)
    dispatched_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    arrived_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))
    released_at: Mapped[datetime | None] = field(Tier.T2, DateTime(timezone=True))


class IncidentTimelineEvent(Entity):
    """An entry in an incident's timeline; notes and debriefs are critical."""

    __tablename__ = "incident_timeline_event"

    organization_id: Mapped[uuid.UUID] = uuid_fk("organization.id")
    incident_id: Mapped[uuid.UUID] = uuid_fk("rapid_response_incident.id", ondelete="CASCADE")
    # the incident's region, copied at write (an incident stays in its region): its dispatchers read the row
    region_id: Mapped[uuid.UUID] = uuid_fk("region.id")
    author_id: Mapped[uuid.UUID | None] = uuid_fk("member.id", nullable=True)
    kind: Mapped[TimelineKind] = enum_column(TimelineKind, Tier.T2, nullable=False)
    occurred_at: Mapped[datetime] = field(Tier.T2, DateTime(timezone=True), nullable=False)
    note: Mapped[bytes | None] = sealed()
