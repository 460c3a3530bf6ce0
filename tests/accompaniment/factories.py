"""A small accompaniment network for workflow tests: a legal aid group, a congregation's team, volunteers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    Congregation,
    Organization,
    Person,
    Region,
    Training,
)
from api.models.enums import (
    AccompanimentStatus,
    AssignmentRole,
    AssignmentStatus,
    OrganizationKind,
    Role,
    TrainingKind,
)
from tests import factories
from tests.graphql import gid
from tests.workflow import Actor, actor

TRAINED = datetime.now(UTC) + timedelta(days=365)
REQUEST = (
    "accompanimentRequest { id status version urgency outcome closedAt "
    "congregation { id } incident { id kind } assignments { id status role version member { id } } }"
)


async def fresh(db: AsyncSession, row: Any) -> Any:
    """``row`` as stored now (after requests that changed it)."""
    return await db.get_one(type(row), row.id, populate_existing=True)


@dataclass
class Network:
    """Who takes part in an accompaniment."""

    region: Region
    legal_aid: Organization
    advocate: Actor
    person: Person
    team: Organization  # the congregation organization whose coordinator matches volunteers
    congregation: Congregation
    coordinator: Actor
    volunteer: Actor  # trained, speaks es and en
    colleague: Actor  # trained, speaks es


async def network(db: AsyncSession, sealer: Sealer) -> Network:
    """A legal aid group and a congregation in one region, with an advocate, a coordinator and two volunteers."""
    region = await factories.region(db)
    legal_aid = await factories.organization(db, OrganizationKind.LEGAL_AID, region_id=region.id)
    team = await factories.organization(db, OrganizationKind.CONGREGATION, region_id=region.id)
    return Network(
        region=region,
        legal_aid=legal_aid,
        advocate=await actor(db, legal_aid, Role.LEGAL_ADVOCATE),
        person=await factories.person(db, sealer, legal_aid, legal_name=f"Ana Legal {uuid.uuid4().hex[:8]}"),
        team=team,
        congregation=await factories.congregation(db, team),
        coordinator=await actor(db, team, Role.ACCOMPANIMENT_COORDINATOR),
        volunteer=await volunteer(db, team, languages=["es", "en"]),
        colleague=await volunteer(db, team, languages=["es"]),
    )


async def volunteer(db: AsyncSession, org: Organization, **values: Any) -> Actor:
    """An active accompanier of ``org`` with an accompaniment training valid for a year (unless given)."""
    values.setdefault("trained_until", TRAINED)
    values.setdefault("languages", ["es"])
    return await actor(db, org, Role.ACCOMPANIER, **values)


async def request(
    db: AsyncSession,
    sealer: Sealer,
    net: Network,
    status: AccompanimentStatus = AccompanimentStatus.SUBMITTED,
    **values: Any,
) -> AccompanimentRequest:
    """A request of the legal aid group for its person, routed to the team's congregation unless told."""
    values.setdefault("congregation_id", net.congregation.id)
    values.setdefault("languages_needed", ["es"])
    return await factories.accompaniment_request(db, sealer, net.legal_aid, net.person, status=status, **values)


async def assignment(
    db: AsyncSession,
    row: AccompanimentRequest,
    who: Actor,
    status: AssignmentStatus = AssignmentStatus.INVITED,
    role: AssignmentRole = AssignmentRole.SUPPORT,
) -> AccompanimentAssignment:
    """``who`` on the request, in ``status``."""
    made = AccompanimentAssignment(id=uuid.uuid4(), request_id=row.id, member_id=who.id, role=role, status=status)
    db.add(made)
    await db.flush()
    return made


async def train(db: AsyncSession, who: Actor, kind: TrainingKind, expires_at: datetime | None) -> None:
    """Record a training of ``who``."""
    completed = (expires_at or datetime.now(UTC)) - timedelta(days=400)
    db.add(Training(id=uuid.uuid4(), member_id=who.id, kind=kind, completed_at=completed, expires_at=expires_at))
    await db.flush()


def submission(net: Network, **overrides: Any) -> dict[str, Any]:
    """Input of ``accompanimentRequestSubmit`` for the network's person."""
    return {
        "personId": gid(net.person),
        "kind": "COURT_HEARING",
        "appointmentAt": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
        "place": "Immigration Court, Room 4",
        "languagesNeeded": ["es"],
        "urgency": "SOON",
    } | overrides
