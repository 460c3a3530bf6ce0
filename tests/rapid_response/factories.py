"""Builders for rapid-response tests: a team with its region, incidents in a given state, dispatches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import IncidentDispatch, Member, Organization, RapidResponseIncident, Region, Training
from api.models.enums import DispatchRole, OrganizationKind, Role, TrainingKind
from tests import factories
from tests.workflow import Actor, actor


@dataclass
class Team:
    """A rapid-response organization in its own region, with a dispatcher and a responder."""

    region: Region
    org: Organization
    dispatcher: Actor
    responder: Actor


async def team(db: AsyncSession, **region: Any) -> Team:
    """A new region and rapid-response team (members of other teams never share its region)."""
    where = await factories.region(db, **region)
    org = await factories.organization(db, OrganizationKind.RAPID_RESPONSE, region_id=where.id)
    dispatcher = await actor(db, org, Role.RR_DISPATCHER)
    responder = await actor(db, org, Role.RR_RESPONDER)
    return Team(where, org, dispatcher, responder)


async def incident(db: AsyncSession, sealer: Sealer, crew: Team, **values: Any) -> RapidResponseIncident:
    """An incident of the team's region held by the team (defaults: UNVERIFIED, OPEN)."""
    return await factories.incident(db, sealer, crew.org, **values)


async def dispatched(
    db: AsyncSession,
    row: RapidResponseIncident,
    who: Member,
    role: DispatchRole = DispatchRole.VERIFIER,
    *,
    arrived: bool = False,
) -> IncidentDispatch:
    """A dispatch of ``who`` to ``row``, arrived or not."""
    now = datetime.now(UTC)
    sent = IncidentDispatch(
        id=uuid.uuid4(), organization_id=row.organization_id, incident_id=row.id, region_id=row.region_id,
        member_id=who.id, role=role,
        dispatched_at=now - timedelta(minutes=20), arrived_at=now if arrived else None,
    )  # fmt: skip
    db.add(sent)
    await db.flush()
    return sent


async def observer_training(db: AsyncSession, who: Member, *, expires_in: timedelta | None) -> Training:
    """A LEGAL_OBSERVER training of ``who`` expiring ``expires_in`` from now (negative: already expired)."""
    now = datetime.now(UTC)
    expires = None if expires_in is None else now + expires_in
    row = Training(
        id=uuid.uuid4(), member_id=who.id, kind=TrainingKind.LEGAL_OBSERVER,
        completed_at=now - timedelta(days=400), expires_at=expires,
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row
