"""Members and partner apps holding several roles are audited like anyone else (no 500, every role recorded, an
app's reads and writes under its own name)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.crypto import Sealer
from api.models import AuditEvent
from api.models.enums import AuditAction, Role
from tests.graphql import gid, gql
from tests.sanctuary import factories as fs
from tests.workflow import Actor, ok

# Joined with commas these are far longer than the 32 characters the audit log's role column once held.
ROLES = (Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER, Role.ACCOMPANIER, Role.ORGANIZER)
CASES = "{ sanctuaryCases(first: 5) { nodes { id locationDetail } } }"


def _shift(case_id: str) -> dict[str, object]:
    starts = datetime.now(UTC) + timedelta(days=2)
    ends = starts + timedelta(hours=4)
    return {"caseId": case_id, "startsAt": starts.isoformat(), "endsAt": ends.isoformat(), "neededVolunteers": 2}


async def _events(db: AsyncSession, action: AuditAction, **where: object) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action)
    for name, value in where.items():
        statement = statement.where(getattr(AuditEvent, name) == value)
    return list((await db.scalars(statement)).all())


async def test_a_member_with_several_roles_reads_and_writes_and_each_role_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db, *ROLES)
    case = await fs.case(db, sealer, where)
    body = await gql(client, CASES, token=where.coordinator.token)
    assert "errors" not in body, body
    assert [node["id"] for node in body["data"]["sanctuaryCases"]["nodes"]] == [gid(case)]

    await ok(client, "hospitalityShiftCreate", _shift(gid(case)), where.coordinator, "hospitalityShift { id }")

    expected = sorted(role.value for role in ROLES)
    reads = await _events(db, AuditAction.READ, actor_member_id=where.coordinator.id)
    writes = await _events(db, AuditAction.MUTATION, actor_member_id=where.coordinator.id)
    assert [event.roles for event in reads] == [expected]
    assert [event.roles for event in writes] == [expected]


async def test_a_partner_app_with_several_roles_is_audited_with_each_role(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    ceiling = [Role.SANCTUARY_COORDINATOR.value, Role.HOSPITALITY_VOLUNTEER.value, Role.ORGANIZER.value]
    row, secret = await create_client(db, where.org, name="Several roles", scopes=["read", "write"], max_roles=ceiling)
    await db.commit()
    issued = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret))
    assert issued.status_code == 200, issued.text
    app = Actor(where.coordinator.member, issued.json()["access_token"])
    body = await gql(client, CASES, token=app.token)
    assert "errors" not in body, body
    assert [node["id"] for node in body["data"]["sanctuaryCases"]["nodes"]] == [gid(case)]  # its T3 field, read
    await ok(client, "hospitalityShiftCreate", _shift(gid(case)), app, "hospitalityShift { id }")
    reads = await _events(db, AuditAction.READ, actor_client_id=row.client_id)  # the app's reads name the app
    writes = await _events(db, AuditAction.MUTATION, actor_client_id=row.client_id)
    assert [(event.roles, event.record_ids) for event in reads] == [(sorted(ceiling), [case.id])]
    assert [event.roles for event in writes] == [sorted(ceiling)]
