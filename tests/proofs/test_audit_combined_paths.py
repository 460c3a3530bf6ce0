"""The read audit on combined paths: T2/T3 fields returned in the same request as an unexpected error, a user
error of a mutation, a withheld field or a successful mutation. What was returned is audited (those fields,
no others); the mutation events carry their outcomes; after an unexpected error the writes are rolled back."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AuditEvent, Organization, Person, SanctuaryCase
from api.models.enums import AuditAction, AuditOutcome, OrganizationKind, Role, SanctuaryCaseStatus
from tests import factories
from tests.graphql import gid, gql
from tests.sanctuary import factories as fs

CASE = "sanctuaryCase { status locationDetail person { preferredName legalName } }"
EXIT = 'input: {{id: "{id}", action: EXIT, exitOutcome: STAY_GRANTED}}'
CLOSE = 'input: {{id: "{id}", action: CLOSE}}'


async def _case(db: AsyncSession, sealer: Sealer, where: fs.Host) -> SanctuaryCase:
    guest = await factories.person(db, sealer, where.org, legal_name="Ana Legal")
    return await factories.sanctuary_case(db, sealer, where.congregation, guest, location_detail="Loft room")


async def _undecryptable(db: AsyncSession, person_id: uuid.UUID) -> None:
    """The person's sealed legal name no longer opens (a damaged value: opening it is an unexpected error)."""
    await db.execute(update(Person).where(Person.id == person_id).values(legal_name=b"\x01damaged-ciphertext"))
    await db.commit()


async def _events(db: AsyncSession, who: Any, action: AuditAction) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor_member_id == who.id)
    return list((await db.scalars(statement.order_by(AuditEvent.occurred_at, AuditEvent.id))).all())


async def _reads(db: AsyncSession, who: Any) -> list[tuple[list[uuid.UUID], list[str]]]:
    return [(sorted(e.record_ids), e.fields) for e in await _events(db, who, AuditAction.READ)]


async def _mutations(db: AsyncSession, who: Any) -> list[tuple[str, AuditOutcome]]:
    events = await _events(db, who, AuditAction.MUTATION)
    return sorted((next(f for f in e.fields if "." not in f), e.outcome) for e in events)


async def test_a_query_with_an_unexpected_error_audits_exactly_what_it_returned(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    kept, damaged = await _case(db, sealer, where), await _case(db, sealer, where)
    await _undecryptable(db, damaged.person_id)
    document = f"""{{ a: node(id: "{gid(kept)}") {{ ... on SanctuaryCase {{ locationDetail }} }}
      b: node(id: "{gid(await db.get_one(Person, damaged.person_id))}") {{ ... on Person {{ legalName }} }} }}"""

    body = await gql(client, document, token=where.coordinator.token)

    assert body["data"] == {"a": {"locationDetail": "Loft room"}, "b": {"legalName": None}}
    assert [error["path"] for error in body["errors"]] == [["b", "legalName"]]
    assert await _reads(db, where.coordinator) == [([kept.id], ["SanctuaryCase.locationDetail"])]


async def test_a_mutation_with_an_unexpected_error_is_rolled_back_and_what_it_returned_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    row = await _case(db, sealer, where)
    await _undecryptable(db, row.person_id)
    document = f"mutation Exit {{ sanctuaryCaseTransition({EXIT.format(id=gid(row))}) {{ {CASE} }} }}"

    body = await gql(client, document, token=where.coordinator.token)

    returned = body["data"]["sanctuaryCaseTransition"]["sanctuaryCase"]
    assert returned == {"status": "EXITED", "locationDetail": "Loft room",
                        "person": {"preferredName": "Ana", "legalName": None}}  # fmt: skip
    assert [error["path"][-1] for error in body["errors"]] == ["legalName"]
    await db.refresh(row)
    assert (row.status, row.version) == (SanctuaryCaseStatus.IN_SANCTUARY, 1)  # rolled back
    assert await _mutations(db, where.coordinator) == [("sanctuaryCaseTransition", AuditOutcome.FAILED)]
    assert await _reads(db, where.coordinator) == [
        (sorted([row.id, row.person_id]),
         ["Person.preferredName", "SanctuaryCase.locationDetail", "SanctuaryCase.status"])
    ]  # fmt: skip


async def test_a_user_error_next_to_a_successful_mutation_audits_both_outcomes_and_the_returned_fields(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    moved, refused = await _case(db, sealer, where), await _case(db, sealer, where)
    document = f"""mutation Both {{
      no: sanctuaryCaseTransition({CLOSE.format(id=gid(refused))}) {{ {CASE} userErrors {{ code }} }}
      yes: sanctuaryCaseTransition({EXIT.format(id=gid(moved))}) {{ {CASE} userErrors {{ code }} }} }}"""

    body = await gql(client, document, token=where.coordinator.token)

    assert "errors" not in body
    assert body["data"]["no"] == {"sanctuaryCase": None, "userErrors": [{"code": "ILLEGAL_TRANSITION"}]}
    assert body["data"]["yes"]["sanctuaryCase"]["person"]["legalName"] == "Ana Legal"
    assert await _mutations(db, where.coordinator) == [
        ("sanctuaryCaseTransition", AuditOutcome.ALLOWED), ("sanctuaryCaseTransition", AuditOutcome.FAILED)
    ]  # fmt: skip
    assert await _reads(db, where.coordinator) == [
        (sorted([moved.id, moved.person_id]),
         ["Person.legalName", "Person.preferredName", "SanctuaryCase.locationDetail", "SanctuaryCase.status"])
    ]  # fmt: skip
    await db.refresh(refused)
    assert refused.status is SanctuaryCaseStatus.IN_SANCTUARY


async def test_a_withheld_field_is_not_audited_but_the_fields_returned_beside_it_are(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    legal = await factories.organization(db, OrganizationKind.LEGAL_AID)
    host = await factories.congregation(db)
    guest = await factories.person(db, sealer, legal, legal_name="x")
    request = await factories.accompaniment_request(db, sealer, legal, guest, congregation_id=host.id, notes="n")
    coordinator = await factories.member(
        db, await db.get_one(Organization, host.organization_id), Role.ACCOMPANIMENT_COORDINATOR
    )
    token = await factories.token_for(db, coordinator)
    document = f"""{{ node(id: "{gid(request)}") {{
      ... on AccompanimentRequest {{ place notes person {{ preferredName }} }} }} }}"""

    body = await gql(client, document, token=token)

    assert body["extensions"]["withheld"] == [{"path": ["node", "notes"], "reason": "NO_RELATIONSHIP"}]
    assert body["data"]["node"]["place"] is not None
    assert await _reads(db, coordinator) == [
        (sorted([request.id, guest.id]), ["AccompanimentRequest.place", "Person.preferredName"])
    ]


async def test_a_successful_mutation_audits_its_event_and_the_fields_its_payload_returned(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    row = await _case(db, sealer, where)
    document = f"mutation Exit {{ sanctuaryCaseTransition({EXIT.format(id=gid(row))}) {{ {CASE} }} }}"

    body = await gql(client, document, token=where.coordinator.token)

    assert body["data"]["sanctuaryCaseTransition"]["sanctuaryCase"]["status"] == "EXITED"
    assert await _mutations(db, where.coordinator) == [("sanctuaryCaseTransition", AuditOutcome.ALLOWED)]
    assert await _reads(db, where.coordinator) == [
        (sorted([row.id, row.person_id]),
         ["Person.legalName", "Person.preferredName", "SanctuaryCase.locationDetail", "SanctuaryCase.status"])
    ]  # fmt: skip
