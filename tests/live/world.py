"""A small network on the live database (committed), with one member per viewer kind of the subscription matrix,
and helpers that commit a record's event (the events a mutation would write)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.clients import create_client
from api.crypto import Sealer
from api.models import CaseSupporter, HospitalityShift, IncidentDispatch, Member
from api.models.enums import DispatchRole, EventKind, OrganizationKind, Role, Verification
from api.services.shared import events
from tests import factories as f

MEMBERS = {
    "dispatcher@RR": ("RR", (Role.RR_DISPATCHER,)),
    "dispatcher+responder@RR": ("RR", (Role.RR_DISPATCHER, Role.RR_RESPONDER)),
    "responder@RR": ("RR", (Role.RR_RESPONDER,)),
    "other_responder@RR": ("RR", (Role.RR_RESPONDER,)),
    "dispatcher@RR2": ("RR2", (Role.RR_DISPATCHER,)),
    "org_admin@A": ("A", (Role.ORG_ADMIN,)),
    "sanctuary_coordinator@A": ("A", (Role.SANCTUARY_COORDINATOR,)),
    "hospitality_volunteer@A": ("A", (Role.HOSPITALITY_VOLUNTEER,)),
    "accompanier@A": ("A", (Role.ACCOMPANIER,)),
    "other_accompanier@A": ("A", (Role.ACCOMPANIER,)),
    "accompaniment_coordinator@A": ("A", (Role.ACCOMPANIMENT_COORDINATOR,)),
    "org_admin@B": ("B", (Role.ORG_ADMIN,)),
}


@dataclass
class LiveWorld:
    """Organizations, members, tokens (``anonymous`` has none) and the partner app by key."""

    orgs: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    tokens: dict[str, str | None] = field(default_factory=lambda: {"anonymous": None})
    app: tuple[str, str] = ("", "")
    congregations: dict[str, Any] = field(default_factory=dict)
    people: dict[str, Any] = field(default_factory=dict)


async def build(sessions: async_sessionmaker[AsyncSession], sealer: Sealer) -> LiveWorld:
    """Two rapid-response teams in regions X and Y, congregations A and B, a legal aid group, a narrow app."""
    world = LiveWorld()
    async with sessions() as db:
        x, y = await f.region(db, name="Region X"), await f.region(db, name="Region Y")
        for key, kind, region in (
            ("RR", OrganizationKind.RAPID_RESPONSE, x), ("RR2", OrganizationKind.RAPID_RESPONSE, y),
            ("A", OrganizationKind.CONGREGATION, x), ("B", OrganizationKind.CONGREGATION, x),
            ("L", OrganizationKind.LEGAL_AID, x),
        ):  # fmt: skip
            world.orgs[key] = await f.organization(db, kind, region_id=region.id)
        world.congregations = {k: await f.congregation(db, world.orgs[k]) for k in ("A", "B")}
        soon = datetime.now(UTC) + timedelta(days=365)
        for key, (org, roles) in MEMBERS.items():
            trained = soon if Role.ACCOMPANIER in roles else None
            world.members[key] = await f.member(db, world.orgs[org], *roles, trained_until=trained)
            world.tokens[key] = await f.token_for(db, world.members[key])
        app, secret = await create_client(
            db, world.orgs["RR"], name="narrow", scopes=["read"], max_roles=["RR_RESPONDER"]
        )
        world.app = (app.client_id, secret)
        world.people = {k: await f.person(db, sealer, world.orgs[k]) for k in ("A", "B", "L")}
        await db.commit()
    return world


async def app_token(http: str, world: LiveWorld) -> str:
    """A client-credentials token of the narrow app (ceiling: responder), from the served /oauth/token."""
    async with httpx.AsyncClient(base_url=http) as client:
        response = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=world.app)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def emit(db: AsyncSession, kind: EventKind, row: Any, **where: Any) -> None:
    """The event a mutation on ``row`` writes, committed."""
    await events.record(db, None, kind, row, **where)
    await db.commit()


async def incident(db: AsyncSession, sealer: Sealer, org: Any, **values: Any) -> Any:
    return await f.incident(db, sealer, org, exact_location="88 Canary Row", **values)


async def broadcast(db: AsyncSession, sealer: Sealer, org: Any) -> Any:
    return await incident(db, sealer, org, verification=Verification.CONFIRMED, broadcast_at=datetime.now(UTC))


async def dispatch(db: AsyncSession, row: Any, who: Member, *, released: bool = False) -> IncidentDispatch:
    now = datetime.now(UTC)
    sent = IncidentDispatch(
        id=uuid.uuid4(), organization_id=row.organization_id, incident_id=row.id, region_id=row.region_id, member_id=who.id,
        role=DispatchRole.LEGAL_OBSERVER, dispatched_at=now, arrived_at=now if released else None,
        released_at=now if released else None,
    )  # fmt: skip
    db.add(sent)
    await db.flush()
    return sent


async def shift(db: AsyncSession, sealer: Sealer, world: LiveWorld, host: str, *, staffed_by: str | None = None) -> Any:
    case = await f.sanctuary_case(db, sealer, world.congregations[host], world.people[host])
    start = datetime.now(UTC) + timedelta(days=2)
    row = HospitalityShift(
        id=uuid.uuid4(), organization_id=case.organization_id, case_id=case.id, starts_at=start,
        ends_at=start + timedelta(hours=4), needed_volunteers=2,
        supporting_congregation_id=world.congregations[staffed_by].id if staffed_by else None,
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row


async def case(
    db: AsyncSession, sealer: Sealer, world: LiveWorld, host: str, *, supported_by: str | None = None
) -> Any:
    row = await f.sanctuary_case(db, sealer, world.congregations[host], world.people[host])
    if supported_by is not None:
        db.add(CaseSupporter(id=uuid.uuid4(), case_id=row.id, congregation_id=world.congregations[supported_by].id))
        await db.flush()
    return row


async def request(db: AsyncSession, sealer: Sealer, world: LiveWorld, routed_to: str) -> Any:
    return await f.accompaniment_request(
        db, sealer, world.orgs["L"], world.people["L"], congregation_id=world.congregations[routed_to].id
    )


async def record_only(db: AsyncSession, kind: EventKind, row: Any) -> None:
    """The event written and flushed (its id taken) but not committed."""
    await events.record(db, None, kind, row)
    await db.flush()
