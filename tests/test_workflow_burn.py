"""Burning a sanctuary case over HTTP: two different org admins of the host organization, then it is gone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AuditEvent, CaseBurnRequest, HouseholdLink, Organization, Person, SanctuaryCase
from api.models.enums import AuditOutcome, Role
from api.schema.ids import encode_global_id
from tests import factories
from tests.canaries import canary
from tests.workflow import Actor, actor, forbidden, mutation_audit, ok, user_error

BURN = "sanctuaryCaseBurn"
SELECT = "sanctuaryCase { id } burnStatus"


@dataclass
class Guest:
    org: Organization
    case: SanctuaryCase
    person: Person
    link: HouseholdLink

    @property
    def input(self) -> dict[str, Any]:
        return {"id": encode_global_id("SanctuaryCase", self.case.id)}


async def _guest(db: AsyncSession, sealer: Sealer) -> Guest:
    host = await factories.congregation(db)
    org = await db.get_one(Organization, host.organization_id)
    person = await factories.person(db, sealer, org, legal_name=f"Ana {uuid.uuid4().hex}", a_number="A123456789")
    child = await factories.person(db, sealer, org, preferred_name="Luz")
    case = await factories.sanctuary_case(db, sealer, host, person, location_detail=f"Room {uuid.uuid4().hex}")
    summary = canary(f"Final order of removal {uuid.uuid4().hex}")
    case.legal_status_summary = await sealer.seal(db, org.id, case.id, "sanctuary_case.legal_status_summary", summary)
    link = HouseholdLink(id=uuid.uuid4(), organization_id=org.id, person_id=person.id, related_person_id=child.id)
    link.relation = await sealer.seal(db, org.id, link.id, "household_link.relation", canary("daughter, age 7"))
    db.add(link)
    await db.flush()
    return Guest(org, case, person, link)


async def _critical(db: AsyncSession, guest: Guest) -> list[Any]:
    """Every critical value of the case and its guest, as stored."""
    case = (
        await db.execute(
            select(SanctuaryCase.legal_status_summary, SanctuaryCase.location_detail).where(
                SanctuaryCase.id == guest.case.id
            )
        )
    ).one()
    person = (
        await db.execute(
            select(Person.legal_name, Person.a_number, Person.a_number_index).where(Person.id == guest.person.id)
        )
    ).one()
    relation = await db.scalar(select(HouseholdLink.relation).where(HouseholdLink.id == guest.link.id))
    return [*case, *person, relation]


async def _admins(db: AsyncSession, org: Organization) -> tuple[Actor, Actor]:
    return await actor(db, org, Role.ORG_ADMIN), await actor(db, org, Role.ORG_ADMIN)


async def test_two_org_admins_burn_a_case_and_the_audit_log_attests_it(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    guest = await _guest(db, sealer)
    first, second = await _admins(db, guest.org)

    requested = await ok(client, BURN, guest.input, first, SELECT)
    assert requested["burnStatus"] == "AWAITING_CONFIRMATION"
    assert all(value is not None for value in await _critical(db, guest))
    again = await user_error(client, BURN, guest.input, first, SELECT)
    assert (again["code"], again["field"]) == ("SECOND_ADMIN_REQUIRED", "id")

    burned = await ok(client, BURN, guest.input, second, SELECT)
    assert burned["burnStatus"] == "BURNED"
    assert burned["sanctuaryCase"]["id"] == guest.input["id"]
    assert await _critical(db, guest) == [None] * 6
    assert await db.scalar(select(CaseBurnRequest.id).where(CaseBurnRequest.case_id == guest.case.id)) is None

    [attestation] = (
        await db.scalars(select(AuditEvent).where(AuditEvent.operation_name == "sanctuaryCaseBurn.attestation"))
    ).all()
    assert attestation.actor_member_id == second.id
    assert attestation.organization_id == guest.org.id
    assert {guest.case.id, guest.person.id, first.id, second.id} <= set(attestation.record_ids)
    assert set(attestation.fields) >= {
        "sanctuary_case.legal_status_summary", "sanctuary_case.location_detail", "person.legal_name",
        "person.a_number", "person.a_number_index", "household_link.relation",
    }  # fmt: skip
    assert sorted((name, outcome) for name, outcome, _ in await mutation_audit(db, first)) == [
        (BURN, AuditOutcome.ALLOWED),
        (BURN, AuditOutcome.FAILED),
    ]


async def test_an_expired_request_cannot_be_confirmed_it_becomes_a_new_request(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    guest = await _guest(db, sealer)
    first, second = await _admins(db, guest.org)
    await ok(client, BURN, guest.input, first, SELECT)
    request = await db.scalar(select(CaseBurnRequest).where(CaseBurnRequest.case_id == guest.case.id))
    assert request is not None
    request.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    await db.flush()

    renewed = await ok(client, BURN, guest.input, second, SELECT)
    assert renewed["burnStatus"] == "AWAITING_CONFIRMATION"
    assert all(value is not None for value in await _critical(db, guest))
    db.expunge_all()
    request = await db.scalar(select(CaseBurnRequest).where(CaseBurnRequest.case_id == guest.case.id))
    assert request is not None
    assert request.requested_by_id == second.id
    assert (await ok(client, BURN, guest.input, first, SELECT))["burnStatus"] == "BURNED"


async def test_a_request_whose_admin_lost_the_role_does_not_count(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    guest = await _guest(db, sealer)
    first, second = await _admins(db, guest.org)
    await ok(client, BURN, guest.input, first, SELECT)
    first.member.active = False
    await db.flush()
    assert (await ok(client, BURN, guest.input, second, SELECT))["burnStatus"] == "AWAITING_CONFIRMATION"
    assert all(value is not None for value in await _critical(db, guest))


async def test_an_admin_of_another_organization_gets_not_found_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    guest = await _guest(db, sealer)
    first, _second = await _admins(db, guest.org)
    stranger = await actor(db, await factories.organization(db), Role.ORG_ADMIN)
    await ok(client, BURN, guest.input, first, SELECT)
    error = await user_error(client, BURN, guest.input, stranger, SELECT)
    assert (error["code"], error["field"]) == ("NOT_FOUND", "id")
    assert all(value is not None for value in await _critical(db, guest))


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.ORG_ADMIN}))
async def test_other_roles_may_not_burn(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, role: Role
) -> None:
    guest = await _guest(db, sealer)
    other = await actor(db, guest.org, role)
    await forbidden(client, BURN, guest.input, other)
    assert await db.scalar(select(CaseBurnRequest.id).where(CaseBurnRequest.case_id == guest.case.id)) is None
