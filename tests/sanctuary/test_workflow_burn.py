"""Burning a sanctuary case over HTTP: two different org admins of the host organization, then it is gone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import (
    AuditEvent,
    CaseBurnRequest,
    HouseholdLink,
    Member,
    Organization,
    Person,
    PersonalAccessToken,
    SanctuaryCase,
)
from api.models.enums import AuditOutcome, Role
from api.schema.engine.ids import decode_global_id, encode_global_id
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
    link: HouseholdLink  # the guest's link to a relative
    back: HouseholdLink  # a relative's link to the guest

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
    back = HouseholdLink(id=uuid.uuid4(), organization_id=org.id, person_id=child.id, related_person_id=person.id)
    back.relation = await sealer.seal(db, org.id, back.id, "household_link.relation", canary("mother"))
    db.add_all([link, back])
    await db.flush()
    return Guest(org, case, person, link, back)


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
    relations = [await db.scalar(select(HouseholdLink.relation).where(HouseholdLink.id == link.id))
                 for link in (guest.link, guest.back)]  # fmt: skip
    return [*case, *person, *relations]


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
    assert await _critical(db, guest) == [None] * 7
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


async def _token_of(db: AsyncSession, member_id: str) -> Actor:
    """A token the operator mints (``sanctuary-api token create``, here through the factories) for a member."""
    who = await db.get_one(Member, decode_global_id(member_id)[1])
    return Actor(who, await factories.token_for(db, who))


async def test_one_admin_cannot_burn_alone_through_an_admin_they_create_or_promote(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    guest = await _guest(db, sealer)
    first, veteran = await _admins(db, guest.org)  # both org admins before the request
    volunteer = await actor(db, guest.org, Role.ORGANIZER)
    assert (await ok(client, BURN, guest.input, first, SELECT))["burnStatus"] == "AWAITING_CONFIRMATION"

    created = await ok(client, "memberCreate", {"email": f"b-{uuid.uuid4().hex[:8]}@example.test", "alias": "B",
                                                "roles": ["ORG_ADMIN"]}, first, "member { id }")  # fmt: skip
    second_id = created["member"]["id"]
    minted = await user_error(client, "personalAccessTokenCreate",
                              {"memberId": second_id, "name": "for B", "expiresInDays": 1}, first, "token")  # fmt: skip
    assert (minted["code"], minted["field"]) == ("NOT_YOUR_OWN", "memberId")
    assert (
        await db.scalar(select(func.count()).where(PersonalAccessToken.member_id == decode_global_id(second_id)[1]))
        == 0
    )

    second = await _token_of(db, second_id)  # the operator gives B a token after the request
    refused = await user_error(client, BURN, guest.input, second, SELECT)
    assert (refused["code"], refused["field"]) == ("ADMIN_BEFORE_REQUEST_REQUIRED", "id")

    promote = {"id": encode_global_id("Member", volunteer.id), "roles": ["ORGANIZER", "ORG_ADMIN"]}
    await ok(client, "memberUpdate", promote, first, "member { id }")
    refused = await user_error(client, BURN, guest.input, volunteer, SELECT)
    assert refused["code"] == "ADMIN_BEFORE_REQUEST_REQUIRED"
    assert all(value is not None for value in await _critical(db, guest))

    assert (await ok(client, BURN, guest.input, veteran, SELECT))["burnStatus"] == "BURNED"
    assert await _critical(db, guest) == [None] * 7


async def test_an_admin_demoted_or_deactivated_and_restored_after_the_request_cannot_confirm(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    guest = await _guest(db, sealer)
    first, second = await _admins(db, guest.org)
    third = await actor(db, guest.org, Role.ORG_ADMIN)
    await ok(client, BURN, guest.input, first, SELECT)
    second.member.roles = [Role.ORGANIZER.value]
    third.member.active = False
    await db.flush()
    second.member.roles = [Role.ORG_ADMIN.value]
    third.member.active = True  # nothing comes back on reactivation
    await db.flush()
    for who in (second, third):
        refused = await user_error(client, BURN, guest.input, who, SELECT)
        assert refused["code"] == "ADMIN_BEFORE_REQUEST_REQUIRED"
    assert all(value is not None for value in await _critical(db, guest))


@pytest.mark.parametrize("step", ["request", "confirm"])
async def test_a_token_someone_else_may_have_minted_can_neither_request_nor_confirm(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, step: str
) -> None:
    guest = await _guest(db, sealer)
    first, second = await _admins(db, guest.org)
    legacy = second if step == "confirm" else first  # a token from before 0009: who minted it is unknown
    await db.execute(  # SQL, as a token from before 0009 is in the table
        text("UPDATE personal_access_token SET minted_by = 'UNKNOWN' WHERE member_id = :member"), {"member": legacy.id}
    )
    if step == "confirm":
        await ok(client, BURN, guest.input, first, SELECT)
    refused = await user_error(client, BURN, guest.input, legacy, SELECT)
    assert (refused["code"], refused["field"]) == ("OWN_CREDENTIAL_REQUIRED", "id")
    assert all(value is not None for value in await _critical(db, guest))
    laundered = await user_error(client, "personalAccessTokenCreate", {"name": "mine", "expiresInDays": 1}, legacy,
                                 "token")  # fmt: skip
    assert laundered["code"] == "OWN_CREDENTIAL_REQUIRED"  # nor does it mint a token of "their own"
    own = Actor(legacy.member, await factories.token_for(db, legacy.member))  # the operator's, for them
    expected = "BURNED" if step == "confirm" else "AWAITING_CONFIRMATION"
    assert (await ok(client, BURN, guest.input, own, SELECT))["burnStatus"] == expected
