"""Admin mutations: allowed only by the permission table, audited whatever happens, all-or-nothing."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.auth.tokens import create_personal_token
from api.crypto import Sealer
from api.models import AuditEvent, PersonalAccessToken
from api.models.enums import AuditAction, AuditOutcome
from api.schema.engine.ids import decode_global_id, encode_global_id
from api.services.network import credentials
from tests.graphql import gql
from tests.proofs.world import World, build_world
from tests.recent_signin import signed_in  # noqa: F401 (a fixture)

CREATE = """mutation Create($input: PersonalAccessTokenCreateInput!) { personalAccessTokenCreate(input: $input) {
  token personalAccessToken { id name member { alias } } userErrors { code field message } } }"""
REVOKE = """mutation Revoke($input: PersonalAccessTokenRevokeInput!) { personalAccessTokenRevoke(input: $input) {
  personalAccessToken { revokedAt } userErrors { code } } }"""


def _input(member: Any = None, days: int = 30) -> dict[str, Any]:
    """A token for the caller; with ``member``, the input names that member."""
    values: dict[str, Any] = {"name": "phone app", "expiresInDays": days}
    if member is not None:
        values["memberId"] = encode_global_id("Member", member.id)
    return {"input": values}


async def _me(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    me: dict[str, Any] = (await gql(client, "{ me { id alias } }", token=token))["data"]["me"]
    return me


async def _mutation_events(db: AsyncSession, world: World, org: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(
        AuditEvent.action == AuditAction.MUTATION, AuditEvent.organization_id == world.orgs[org].id
    )
    return list((await db.scalars(statement)).all())


@pytest.mark.usefixtures("signed_in")
async def test_org_admin_creates_a_working_token_for_themselves_audited_without_the_secret(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    admin = await _me(client, world.tokens["org_admin@A"])
    body = await gql(client, CREATE, _input(), token=world.tokens["org_admin@A"])

    created = body["data"]["personalAccessTokenCreate"]
    assert created["userErrors"] == []
    assert created["personalAccessToken"]["member"]["alias"] == admin["alias"]
    assert await _me(client, created["token"]) == admin
    token = await db.get_one(PersonalAccessToken, decode_global_id(created["personalAccessToken"]["id"])[1])
    assert token.minted_by == "SELF"
    [event] = await _mutation_events(db, world, "A")
    assert event.outcome == AuditOutcome.ALLOWED
    assert event.fields == sorted(
        ["personalAccessTokenCreate", "personalAccessTokenCreate.member_id", "personalAccessTokenCreate.name",
         "personalAccessTokenCreate.expires_in_days"]
    )  # fmt: skip
    assert created["token"] not in orjson.dumps([event.fields, event.operation_name]).decode()


@pytest.mark.usefixtures("signed_in")
async def test_naming_ones_own_id_is_accepted(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer) -> None:
    world = await build_world(db, sealer)
    admin = await _me(client, world.tokens["org_admin@A"])
    body = await gql(client, CREATE, {"input": {**_input()["input"], "memberId": admin["id"]}},
                     token=world.tokens["org_admin@A"])  # fmt: skip
    assert body["data"]["personalAccessTokenCreate"]["userErrors"] == []
    assert await _me(client, body["data"]["personalAccessTokenCreate"]["token"]) == admin


@pytest.mark.parametrize("whose", ["member_A", "member_L1", "unknown"])
@pytest.mark.usefixtures("signed_in")
async def test_nobody_mints_a_token_for_another_member_and_nothing_is_created(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, whose: str
) -> None:
    world = await build_world(db, sealer)
    before = await db.scalar(select(func.count()).select_from(PersonalAccessToken))
    other = world.records.get(whose, SimpleNamespace(id=uuid.uuid4()))

    body = await gql(client, CREATE, _input(other), token=world.tokens["org_admin@A"])

    assert body["data"]["personalAccessTokenCreate"] == {
        "token": None, "personalAccessToken": None,
        "userErrors": [{"code": "NOT_YOUR_OWN", "field": "memberId",
                        "message": "A personal access token can only be created by its own member."}],
    }  # fmt: skip
    assert await db.scalar(select(func.count()).select_from(PersonalAccessToken)) == before
    [event] = await _mutation_events(db, world, "A")
    assert event.outcome == AuditOutcome.FAILED


@pytest.mark.parametrize("days", [0, 367])
@pytest.mark.usefixtures("signed_in")
async def test_lifetime_out_of_range_is_a_user_error(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, days: int
) -> None:
    world = await build_world(db, sealer)
    body = await gql(client, CREATE, _input(days=days), token=world.tokens["org_admin@A"])
    assert body["data"]["personalAccessTokenCreate"]["userErrors"][0]["code"] == "INVALID_LIFETIME"


@pytest.mark.parametrize("viewer", ["anonymous"])
async def test_roles_without_permission_do_not_have_the_mutation_and_the_attempt_is_audited(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, viewer: str
) -> None:
    world = await build_world(db, sealer)
    body = await gql(client, CREATE, _input(world.records["member_A"]), token=world.tokens.get(viewer))

    assert body["data"] is None
    messages = {error["message"] for error in body["errors"]}  # a role with other mutations also gets "Unknown type"
    assert messages & {"The mutation operation is not supported by the schema.",
                       "Cannot query field 'personalAccessTokenCreate' on type 'Mutation'."}  # fmt: skip
    denied = (await db.scalars(select(AuditEvent).where(AuditEvent.operation_name == "Create"))).all()
    assert [e.outcome for e in denied] == [AuditOutcome.DENIED]


async def test_partner_app_with_the_role_but_without_write_scope_is_forbidden(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    app, secret = await create_client(db, world.orgs["A"], name="Read only", scopes=["read"], max_roles=["ORG_ADMIN"])
    await db.commit()
    token = (await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               auth=(app.client_id, secret))).json()["access_token"]  # fmt: skip

    pat = world.records["PAT_A"]  # a mutation an org admin app may call (personal tokens are members' own)
    body = await gql(client, REVOKE, {"input": {"id": encode_global_id("PersonalAccessToken", pat.id)}}, token=token)

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await db.scalar(select(PersonalAccessToken.revoked_at).where(PersonalAccessToken.id == pat.id)) is None
    [event] = await _mutation_events(db, world, "A")
    assert (event.outcome, event.actor_client_id) == (AuditOutcome.DENIED, app.client_id)


@pytest.mark.usefixtures("signed_in")
async def test_revoked_token_stops_working_on_the_next_request(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    created = await gql(client, CREATE, _input(), token=world.tokens["org_admin@A"])
    token_id = created["data"]["personalAccessTokenCreate"]["personalAccessToken"]["id"]
    secret = created["data"]["personalAccessTokenCreate"]["token"]

    revoked = await gql(client, REVOKE, {"input": {"id": token_id}}, token=world.tokens["org_admin@A"])

    assert revoked["data"]["personalAccessTokenRevoke"]["userErrors"] == []
    response = await client.post(
        "/graphql", json={"query": "{ me { alias } }"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401


@pytest.mark.usefixtures("signed_in")
async def test_an_admin_cannot_revoke_a_token_of_another_organization(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    created = await gql(client, CREATE, _input(), token=world.tokens["org_admin@A"])
    token_id = created["data"]["personalAccessTokenCreate"]["personalAccessToken"]["id"]
    secret = created["data"]["personalAccessTokenCreate"]["token"]

    other = await gql(client, REVOKE, {"input": {"id": token_id}}, token=world.tokens["org_admin@L1"])

    refused = other["data"]["personalAccessTokenRevoke"]
    assert (refused["personalAccessToken"], refused["userErrors"]) == (None, [{"code": "TOKEN_NOT_FOUND"}])
    assert (await _me(client, secret))["alias"]  # still works


@pytest.mark.usefixtures("signed_in")
async def test_failure_after_the_first_write_leaves_nothing_but_the_audit_event(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await build_world(db, sealer)
    real = create_personal_token  # the function credentials calls, patched below

    async def write_then_fail(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)  # the row is written (flushed) ...
        raise RuntimeError("injected failure after the first write")  # ... then something breaks

    monkeypatch.setattr(credentials, "create_personal_token", write_then_fail)
    before = await db.scalar(select(func.count()).select_from(PersonalAccessToken))

    body = await gql(client, CREATE, _input(), token=world.tokens["org_admin@A"])

    assert body["errors"][0]["message"].startswith("Internal server error")
    assert "injected" not in orjson.dumps(body).decode()
    assert await db.scalar(select(func.count()).select_from(PersonalAccessToken)) == before
    [event] = await _mutation_events(db, world, "A")
    assert event.outcome == AuditOutcome.FAILED


PARTNER = """mutation($input: PartnerAppCreateInput!) { partnerAppCreate(input: $input) {
  clientSecret partnerApp { id clientId maxRoles } userErrors { code } } }"""
DISABLE = "mutation($input: PartnerAppDisableInput!) { partnerAppDisable(input: $input) { userErrors { code } } }"


async def test_org_admin_registers_and_disables_a_partner_app(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_world(db, sealer)
    variables = {"input": {"name": "Shifts app", "scopes": ["read"], "maxRoles": ["HOSPITALITY_VOLUNTEER"]}}
    created = (await gql(client, PARTNER, variables, token=world.tokens["org_admin@A"]))["data"]["partnerAppCreate"]
    app = created["partnerApp"]
    assert app["maxRoles"] == ["HOSPITALITY_VOLUNTEER"]
    grant = {"grant_type": "client_credentials"}
    auth = (app["clientId"], created["clientSecret"])
    assert (await client.post("/oauth/token", data=grant, auth=auth)).status_code == 200

    disabled = await gql(client, DISABLE, {"input": {"id": app["id"]}}, token=world.tokens["org_admin@A"])

    assert disabled["data"]["partnerAppDisable"]["userErrors"] == []
    assert (await client.post("/oauth/token", data=grant, auth=auth)).status_code in (400, 401)
    other = await gql(client, DISABLE, {"input": {"id": app["id"]}}, token=world.tokens["org_admin@L1"])
    assert other["data"]["partnerAppDisable"]["userErrors"] == [{"code": "APP_NOT_FOUND"}]


MUTATION_CALLS = {
    "personalAccessTokenCreate": (
        "mutation M($input: PersonalAccessTokenCreateInput!) { personalAccessTokenCreate(input: $input) "
        "{ userErrors { code } } }",
        {"memberId": encode_global_id("Member", uuid.UUID(int=1)), "name": "x", "expiresInDays": 1},
        "NOT_YOUR_OWN",
    ),
    "personalAccessTokenRevoke": (
        "mutation M($input: PersonalAccessTokenRevokeInput!) { personalAccessTokenRevoke(input: $input) "
        "{ userErrors { code } } }",
        {"id": encode_global_id("PersonalAccessToken", uuid.UUID(int=1))},
        "TOKEN_NOT_FOUND",
    ),
    "partnerAppCreate": (
        "mutation M($input: PartnerAppCreateInput!) { partnerAppCreate(input: $input) { userErrors { code } } }",
        {"name": "", "scopes": ["read"], "maxRoles": ["ORGANIZER"]},
        "INVALID_NAME",
    ),
    "partnerAppDisable": (
        "mutation M($input: PartnerAppDisableInput!) { partnerAppDisable(input: $input) { userErrors { code } } }",
        {"id": encode_global_id("PartnerApp", uuid.UUID(int=1))},
        "APP_NOT_FOUND",
    ),
}
MAY_MANAGE_CREDENTIALS = {  # the roles table: org admins, of their own org (every member creates their own token)
    "org_admin@A",
    "org_admin@L1",
    "org_admin@hub",
    "org_admin@RR",
    "rr_dispatcher+org_admin@RR",
}


@pytest.mark.parametrize("mutation", sorted(MUTATION_CALLS))
async def test_mutation_role_matrix(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, mutation: str) -> None:
    world = await build_world(db, sealer)
    document, variables, user_error = MUTATION_CALLS[mutation]
    mismatches = []
    for viewer in ["anonymous", *world.tokens]:
        body = await gql(client, document, {"input": variables}, token=world.tokens.get(viewer))
        if viewer in MAY_MANAGE_CREDENTIALS or (mutation == "personalAccessTokenCreate" and viewer != "anonymous"):
            ok = "errors" not in body and body["data"][mutation]["userErrors"] == [{"code": user_error}]
        else:
            ok = body["data"] is None and "errors" in body
        if not ok:
            mismatches.append(viewer)
    assert mismatches == []


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET outcome = 'ALLOWED'", "DELETE FROM audit_event", "TRUNCATE audit_event"],
)
async def test_audit_events_cannot_be_changed_or_deleted_even_in_the_database(
    db: AsyncSession, sealer: Sealer, statement: str
) -> None:
    await build_world(db, sealer)
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.begin_nested():
            await db.execute(text(statement))
