"""Reading through GraphQL: visibility of rows and fields, decryption of T3 values, audit of reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AuditEvent, Organization
from api.models.enums import OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from tests import factories as f
from tests.graphql import gql

CONGREGATIONS = "{ congregations(first: 100) { nodes { publicName capacity contactPhone } } }"


async def test_anonymous_sees_only_public_congregations(client: httpx.AsyncClient, db: AsyncSession) -> None:
    public = await f.congregation(db, public_name="Open Door Fellowship", public_declaration=True)
    await f.congregation(db, public_name="Quiet Meeting House", public_declaration=False)
    await db.commit()

    body = await gql(client, "{ congregations(first: 100) { nodes { publicName city } } }")

    names = [n["publicName"] for n in body["data"]["congregations"]["nodes"]]
    assert public.public_name in names
    assert "Quiet Meeting House" not in names


async def test_anonymous_schema_has_no_network_fields_and_suggests_nothing(client: httpx.AsyncClient) -> None:
    body = await gql(client, CONGREGATIONS)

    messages = [e["message"] for e in body["errors"]]
    assert messages == [
        "Cannot query field 'capacity' on type 'Congregation'.",
        "Cannot query field 'contactPhone' on type 'Congregation'.",
    ]


async def test_anonymous_introspection_shows_only_public_entry_points(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ __schema { queryType { fields { name } } types { name } } }")

    fields = {f["name"] for f in body["data"]["__schema"]["queryType"]["fields"]}
    assert fields == {"congregations", "advocacyActions", "broadcastAlerts", "node", "nodes", "queryCost"}
    types = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert not types & {"Person", "SanctuaryCase", "AccompanimentRequest", "Member", "AuditEvent"}


async def test_member_sees_network_fields_of_any_congregation(client: httpx.AsyncClient, db: AsyncSession) -> None:
    hidden = await f.congregation(db, public_name="Quiet Meeting House", public_declaration=False, capacity=3)
    viewer = await f.member(db, await f.organization(db, OrganizationKind.LEGAL_AID), Role.LEGAL_ADVOCATE)
    token = await f.token_for(db, viewer)
    await db.commit()

    body = await gql(client, CONGREGATIONS, token=token)

    by_name = {n["publicName"]: n for n in body["data"]["congregations"]["nodes"]}
    assert by_name[hidden.public_name]["capacity"] == 3


ROUTED = (
    """query R($id: ID!) { node(id: $id) { ... on AccompanimentRequest { place notes person { preferredName } } } }"""
)
REQUEST = """query R($id: ID!) { node(id: $id) { ... on AccompanimentRequest {
  kind place notes person { preferredName legalName aNumber } } } }"""


async def test_owner_org_reads_and_decrypts_critical_fields_and_the_read_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    legal = await f.organization(db, OrganizationKind.LEGAL_AID)
    guest = await f.person(db, sealer, legal, legal_name="Canary Lindqvist-Oyelaran", a_number="A-111-222-333")
    request = await f.accompaniment_request(db, sealer, legal, guest, notes="Canary note: prefers Haitian Creole")
    token = await f.token_for(db, await f.member(db, legal, Role.LEGAL_ADVOCATE))
    await db.commit()

    body = await gql(client, REQUEST, {"id": encode_global_id("AccompanimentRequest", request.id)}, token=token)

    node = body["data"]["node"]
    assert node["notes"] == "Canary note: prefers Haitian Creole"
    assert node["person"] == {
        "preferredName": "Ana",
        "legalName": "Canary Lindqvist-Oyelaran",
        "aNumber": "A-111-222-333",
    }
    event = (await db.scalars(select(AuditEvent).where(AuditEvent.organization_id == legal.id))).one()
    assert set(event.record_ids) == {request.id, guest.id}
    assert "AccompanimentRequest.notes" in event.fields
    assert "Person.legalName" in event.fields
    assert "Canary" not in repr(event.__dict__)


async def test_other_organizations_request_is_indistinguishable_from_a_missing_id(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    legal = await f.organization(db, OrganizationKind.LEGAL_AID)
    request = await f.accompaniment_request(db, sealer, legal, await f.person(db, sealer, legal))
    outsider = await f.member(db, await f.organization(db, OrganizationKind.LEGAL_AID), Role.LEGAL_ADVOCATE)
    token = await f.token_for(db, outsider)
    await db.commit()

    foreign = await gql(client, REQUEST, {"id": encode_global_id("AccompanimentRequest", request.id)}, token=token)
    missing = await gql(client, REQUEST, {"id": encode_global_id("AccompanimentRequest", uuid.uuid4())}, token=token)
    listed = await gql(client, "{ accompanimentRequests(first: 100) { nodes { id } } }", token=token)

    assert foreign == missing == {"data": {"node": None}, "extensions": {"cost": {"requested": 2, "actual": 0}}}
    assert listed["data"]["accompanimentRequests"]["nodes"] == []


async def test_routed_coordinator_sees_appointment_but_not_notes_or_legal_fields(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    legal = await f.organization(db, OrganizationKind.LEGAL_AID)
    host = await f.congregation(db)
    request = await f.accompaniment_request(
        db,
        sealer,
        legal,
        await f.person(db, sealer, legal, legal_name="x"),
        congregation_id=host.id,
        notes="Canary note: side door code 4471",
    )
    coordinator = await f.member(
        db, await db.get_one(Organization, host.organization_id), Role.ACCOMPANIMENT_COORDINATOR
    )
    token = await f.token_for(db, coordinator)
    await db.commit()
    variables = {"id": encode_global_id("AccompanimentRequest", request.id)}

    body = await gql(client, ROUTED, variables, token=token)
    legal_fields = await gql(client, REQUEST, variables, token=token)

    assert body["data"]["node"] == {
        "place": "Immigration Court, Room 4",
        "notes": None,
        "person": {"preferredName": "Ana"},
    }
    assert body["extensions"]["withheld"] == [{"path": ["node", "notes"], "reason": "NO_RELATIONSHIP"}]
    assert {e["message"] for e in legal_fields["errors"]} == {
        "Cannot query field 'legalName' on type 'Person'.",
        "Cannot query field 'aNumber' on type 'Person'.",
    }


async def test_bad_credentials_get_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    for header in ("Bearer snt_pat_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "):
        response = await client.post("/graphql", json={"query": "{ me { alias } }"}, headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "snt_pat_not-a-real-token" not in response.text


async def test_expired_personal_token_is_refused_on_the_next_request(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    from sqlalchemy import update

    from api.auth.tokens import hash_token
    from api.models import PersonalAccessToken

    member = await f.member(db, await f.organization(db, OrganizationKind.LEGAL_AID), Role.LEGAL_ADVOCATE)
    token = await f.token_for(db, member)
    await db.commit()
    assert (await gql(client, "{ me { alias } }", token=token))["data"]["me"] is not None

    await db.execute(
        update(PersonalAccessToken)
        .where(PersonalAccessToken.token_hash == hash_token(token))
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await db.commit()

    response = await client.post(
        "/graphql", json={"query": "{ me { alias } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')


FILTERED = """query($from: DateTime) { accompanimentRequests(first: 10, appointmentFrom: $from) { nodes { kind } } }"""


async def test_filters_on_restricted_fields_only_match_rows_on_which_the_viewer_may_read_the_field(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    legal = await f.organization(db, OrganizationKind.LEGAL_AID)
    host = await f.congregation(db)
    await f.accompaniment_request(db, sealer, legal, await f.person(db, sealer, legal), congregation_id=host.id)
    owner = await f.token_for(db, await f.member(db, legal, Role.LEGAL_ADVOCATE))
    routed = await f.token_for(
        db, await f.member(db, await db.get_one(Organization, host.organization_id), Role.ACCOMPANIMENT_COORDINATOR)
    )
    hub = await f.token_for(db, await f.member(db, await f.organization(db, OrganizationKind.NETWORK_HUB),
                                               Role.NETWORK_COORDINATOR))  # fmt: skip
    await db.commit()
    since = {"from": "2000-01-01T00:00:00Z"}

    unfiltered = await gql(client, "{ accompanimentRequests(first: 10) { nodes { kind } } }", token=hub)
    assert len(unfiltered["data"]["accompanimentRequests"]["nodes"]) == 1  # the hub sees the request,
    assert (await gql(client, FILTERED, since, token=hub))["data"]["accompanimentRequests"]["nodes"] == []  # not when
    for reader in (owner, routed):  # (it may not read the appointment); those who may read it find it by it
        assert len((await gql(client, FILTERED, since, token=reader))["data"]["accompanimentRequests"]["nodes"]) == 1
