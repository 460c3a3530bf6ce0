"""Finding a person by A-number: an exact match on the keyed blind index, own organization only, audited."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditEvent, Organization, Person
from api.models.enums import AuditAction, OrganizationKind, Role
from api.schema.engine.ids import decode_global_id
from tests import factories
from tests.canaries import canary
from tests.graphql import gql
from tests.workflow import Actor, actor, ok, user_error

LOOKUP = "query Find($a: String) { persons(first: 10, aNumber: $a) { edges { node { id } } } }"


async def _advocate(db: AsyncSession) -> Actor:
    return await actor(db, await factories.organization(db, OrganizationKind.LEGAL_AID), Role.LEGAL_ADVOCATE)


async def _register(client: httpx.AsyncClient, who: Actor, a_number: str) -> str:
    values = {"preferredName": "Ana", "aNumber": a_number}
    payload = await ok(client, "personCreate", values, who, "person { id }")
    return str(payload["person"]["id"])


async def _found(client: httpx.AsyncClient, who: Actor, a_number: str) -> list[str]:
    body = await gql(client, LOOKUP, {"a": a_number}, token=who.token)
    assert "errors" not in body, body
    return [edge["node"]["id"] for edge in body["data"]["persons"]["edges"]]


async def test_any_spelling_of_the_a_number_finds_the_person_and_only_that_person(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    advocate = await _advocate(db)
    wanted = await _register(client, advocate, canary("A 212 345 678"))
    await _register(client, advocate, canary("A-212-345-679"))
    assert await _found(client, advocate, "212345678") == [wanted]
    assert await _found(client, advocate, "a-212-345-678") == [wanted]
    assert await _found(client, advocate, "212345670") == []
    stored = (
        await db.scalars(select(Person.a_number).where(Person.organization_id == advocate.member.organization_id))
    ).all()
    assert all(value is not None and b"212" not in value for value in stored)  # the number itself is only ciphertext


async def test_another_organization_cannot_probe_for_a_registered_a_number(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, stranger = await _advocate(db), await _advocate(db)
    await _register(client, owner, canary("A-313-345-678"))
    assert await _found(client, stranger, "313345678") == []


async def test_a_lookup_is_audited_even_when_only_ids_are_selected(client: httpx.AsyncClient, db: AsyncSession) -> None:
    advocate = await _advocate(db)
    wanted = await _register(client, advocate, canary("A-414-345-678"))
    await _found(client, advocate, "414345678")
    reads = (await db.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.READ, AuditEvent.actor_member_id == advocate.id))).all()  # fmt: skip
    assert [event.fields for event in reads] == [["Person.aNumber"]]
    assert reads[0].record_ids == [decode_global_id(wanted)[1]]


async def test_a_malformed_a_number_is_a_clear_error_without_the_value(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    advocate = await _advocate(db)
    body = await gql(client, LOOKUP, {"a": "not-a-number-XYZ"}, token=advocate.token)
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "XYZ" not in str(body)


async def test_registering_an_a_number_twice_in_one_organization_is_refused_but_not_across_organizations(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    first, other = await _advocate(db), await _advocate(db)
    await _register(client, first, canary("A-515-345-678"))
    error = await user_error(client, "personCreate", {"preferredName": "Ana", "aNumber": "515345678"}, first)
    assert (error["code"], error["field"]) == ("DUPLICATE_A_NUMBER", "aNumber")
    await _register(client, other, "515345678")  # another organization learns nothing


async def _lookups(db: AsyncSession, who: Actor) -> list[AuditEvent]:
    return list((await db.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.READ, AuditEvent.actor_member_id == who.id))).all())  # fmt: skip


async def test_a_lookup_that_finds_nobody_is_audited_too_without_the_value(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    advocate = await _advocate(db)
    await _register(client, advocate, canary("A-616-345-678"))
    assert await _found(client, advocate, "616345670") == []
    reads = await _lookups(db, advocate)
    assert [(event.fields, event.record_ids) for event in reads] == [(["Person.aNumber"], [])]
    assert "616" not in repr([(e.fields, e.operation_name, e.record_ids) for e in reads])


async def test_a_member_who_may_not_read_a_numbers_finds_nobody_by_one_and_each_probe_is_audited(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    # a member of the registering organization whose roles hold no grant on A-numbers
    advocate = await _advocate(db)
    volunteer = await actor(db, await db.get_one(Organization, advocate.member.organization_id),
                            Role.HOSPITALITY_VOLUNTEER)  # fmt: skip
    await _register(client, advocate, canary("A-717-345-678"))
    assert await _found(client, volunteer, "717345678") == []
    assert await _found(client, volunteer, "717345679") == []
    reads = await _lookups(db, volunteer)
    assert [(event.fields, event.record_ids) for event in reads] == [(["Person.aNumber"], [])] * 2
