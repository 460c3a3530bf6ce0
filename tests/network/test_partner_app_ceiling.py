"""A partner app never holds a role its organization may not hold: at registration, at token issue, at every use."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import ROLE_KINDS
from api.auth.tokens import hash_token
from api.crypto import Sealer
from api.models import AuditEvent, OAuthClient, Organization, RapidResponseIncident
from api.models.enums import AuditAction, AuditOutcome, DispatchRole, OrganizationKind, Role, Verification
from tests import factories
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.rapid_response import factories as rr
from tests.workflow import actor, document

CREATE = """mutation M($input: PartnerAppCreateInput!) { partnerAppCreate(input: $input) {
  clientSecret partnerApp { maxRoles } userErrors { code field } } }"""
EXACT = "query Q($id: ID!) { node(id: $id) { ... on RapidResponseIncident { exactLocation reporterContact } } }"
RETRACT = "incidentBroadcastRetract"


async def _apps(db: AsyncSession, org: Organization) -> int:
    return int(await db.scalar(select(func.count()).where(OAuthClient.organization_id == org.id)) or 0)


@pytest.mark.parametrize("kind", list(OrganizationKind))
async def test_partner_app_create_walks_every_role_as_a_ceiling(
    client: httpx.AsyncClient, db: AsyncSession, kind: OrganizationKind
) -> None:
    org = await factories.organization(db, kind)
    admin = await actor(db, org, Role.ORG_ADMIN)
    for role in Role:
        before = await _apps(db, org)
        variables = {"input": {"name": "App", "scopes": ["read", "write"], "maxRoles": [role.value]}}
        payload = (await gql(client, CREATE, variables, token=admin.token))["data"]["partnerAppCreate"]
        if kind in ROLE_KINDS[role]:
            assert (payload["userErrors"], payload["partnerApp"]) == ([], {"maxRoles": [role.value]}), (kind, role)
            assert await _apps(db, org) == before + 1
        else:
            assert payload == {
                "clientSecret": None, "partnerApp": None,
                "userErrors": [{"code": "ROLE_NOT_ALLOWED", "field": "maxRoles"}],
            }, (kind, role)  # fmt: skip
            assert await _apps(db, org) == before, (kind, role)


async def test_a_refused_ceiling_is_audited_as_failed_not_allowed(client: httpx.AsyncClient, db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.CONGREGATION)
    admin = await actor(db, org, Role.ORG_ADMIN)
    variables = {"input": {"name": "Hotline", "scopes": ["read", "write"], "maxRoles": ["RR_DISPATCHER"]}}
    await gql(client, CREATE, variables, token=admin.token)
    outcomes = await db.scalars(
        select(AuditEvent.outcome).where(
            AuditEvent.action == AuditAction.MUTATION, AuditEvent.actor_member_id == admin.id
        )
    )
    assert list(outcomes) == [AuditOutcome.FAILED]


async def _app(db: AsyncSession, org: Organization, roles: list[Role], scopes: list[str]) -> tuple[str, str]:
    """A partner app row written directly, as one registered before the rule could have been (or by a bug)."""
    secret = f"snt_cs_{uuid.uuid4().hex}"
    row = OAuthClient(
        id=uuid.uuid4(), organization_id=org.id, client_id=f"snt_client_{uuid.uuid4().hex[:16]}", name="Legacy app",
        secret_hash=hash_token(secret), scopes=scopes, max_roles=sorted(r.value for r in roles),
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row.client_id, secret


async def _token(client: httpx.AsyncClient, client_id: str, secret: str, **form: str) -> httpx.Response:
    return await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", **form}, auth=(client_id, secret)
    )


async def _broadcast_incident(db: AsyncSession, sealer: Sealer) -> tuple[rr.Team, RapidResponseIncident, str]:
    """A confirmed, broadcast raid report with its exact address, in a rapid-response team's region."""
    crew = await rr.team(db)
    exact = canary(f"14 Foundry Street, back door {uuid.uuid4().hex[:6]}")
    row = await rr.incident(
        db, sealer, crew, exact_location=exact, verification=Verification.CONFIRMED,
        broadcast_at=datetime.now(UTC) - timedelta(minutes=5),
    )  # fmt: skip
    await rr.dispatched(db, row, crew.responder.member, DispatchRole.VERIFIER, arrived=True)
    return crew, row, exact


async def _cannot_reach(client: httpx.AsyncClient, db: AsyncSession, row: RapidResponseIncident, token: str,
                        exact: str) -> None:  # fmt: skip
    """The token reads neither the exact address nor retracts the broadcast."""
    body = await gql(client, document(RETRACT, "incident { id }"), {"input": {"id": gid(row)}}, token=token)
    assert body.get("data") is None or body["data"].get(RETRACT) is None, body
    assert await db.scalar(select(RapidResponseIncident.broadcast_at).where(RapidResponseIncident.id == row.id))
    read = await client.post("/graphql", json={"query": EXACT, "variables": {"id": gid(row)}},
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert exact not in read.text


async def test_a_legacy_congregation_app_with_a_dispatcher_ceiling_loses_the_role_at_token_issue(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew, row, exact = await _broadcast_incident(db, sealer)
    congregation = await factories.organization(db, OrganizationKind.CONGREGATION, region_id=crew.region.id)
    client_id, secret = await _app(db, congregation, [Role.RR_DISPATCHER, Role.ORGANIZER], ["read", "write"])

    issued = await _token(client, client_id, secret)

    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    payload = token.split(".")[1]
    assert orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["roles"] == ["ORGANIZER"]
    await _cannot_reach(client, db, row, token, exact)
    introspected = await client.post("/oauth/introspect", data={"token": token}, auth=(client_id, secret))
    assert introspected.json()["roles"] == ["ORGANIZER"]


async def test_a_legacy_app_with_nothing_its_organization_may_hold_gets_no_token(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    congregation = await factories.organization(db, OrganizationKind.CONGREGATION)
    client_id, secret = await _app(db, congregation, [Role.RR_DISPATCHER, Role.NETWORK_COORDINATOR], ["read"])

    issued = await _token(client, client_id, secret)

    assert issued.status_code == 400
    assert issued.json()["error"] == "unauthorized_client"


@pytest.mark.parametrize("left", [[Role.ORGANIZER], []])
async def test_an_app_whose_organization_changed_kind_loses_the_role_on_its_next_request(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, left: list[Role]
) -> None:
    crew, row, exact = await _broadcast_incident(db, sealer)
    client_id, secret = await _app(db, crew.org, [Role.RR_DISPATCHER, *left], ["read", "write"])
    token = (await _token(client, client_id, secret)).json()["access_token"]
    before = await gql(client, EXACT, {"id": gid(row)}, token=token)
    assert before["data"]["node"]["exactLocation"] == exact  # the dispatcher app of the team reads it

    await db.execute(
        update(Organization).where(Organization.id == crew.org.id).values(kind=OrganizationKind.CONGREGATION)
    )
    await db.flush()

    if left:
        await _cannot_reach(client, db, row, token, exact)
    else:  # nothing left that its organization may hold: the token is refused
        response = await client.post("/graphql", json={"query": EXACT, "variables": {"id": gid(row)}},
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        assert response.status_code == 401
        assert exact not in response.text


async def test_an_app_acting_as_org_admin_cannot_register_an_app_above_its_own_ceiling(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.RAPID_RESPONSE)
    client_id, secret = await _app(db, org, [Role.ORG_ADMIN], ["read", "write"])
    token = (await _token(client, client_id, secret)).json()["access_token"]

    def ceiling(*roles: Role) -> dict[str, Any]:
        return {"input": {"name": "Child app", "scopes": ["read"], "maxRoles": [r.value for r in roles]}}

    above = (await gql(client, CREATE, ceiling(Role.RR_DISPATCHER), token=token))["data"]["partnerAppCreate"]
    assert above["userErrors"] == [{"code": "ROLE_NOT_ALLOWED", "field": "maxRoles"}]
    same = (await gql(client, CREATE, ceiling(Role.ORG_ADMIN), token=token))["data"]["partnerAppCreate"]
    assert same["userErrors"] == []
    member = {"input": {"email": f"d-{uuid.uuid4().hex[:8]}@example.test", "alias": "D", "roles": ["RR_DISPATCHER"]}}
    created = await gql(client, document("memberCreate", "member { id }"), member, token=token)
    assert created["data"]["memberCreate"]["userErrors"][0]["code"] == "ROLE_NOT_ALLOWED"  # nor to a member


async def test_a_read_only_app_asking_for_write_gets_invalid_scope(client: httpx.AsyncClient, db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    client_id, secret = await _app(db, org, [Role.LEGAL_ADVOCATE], ["read"])

    refused = await _token(client, client_id, secret, scope="write")
    mixed = await _token(client, client_id, secret, scope="read write")
    granted = await _token(client, client_id, secret, scope="read")

    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_scope")
    assert (mixed.status_code, mixed.json()["error"]) == (400, "invalid_scope")
    assert "access_token" not in refused.json()
    assert (granted.status_code, granted.json()["scope"]) == (200, "read")
