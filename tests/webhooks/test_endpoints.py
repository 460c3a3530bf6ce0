"""Registering webhook endpoints: who may (org admins; the app itself with the `webhooks` scope), what is refused
(plain http, private or local hosts, documents beyond the app's ceiling), and the secret shown once, stored sealed."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.models import AuditEvent, WebhookEndpoint
from api.models.enums import AuditAction, AuditOutcome, OrganizationKind, Role
from api.schema.engine.ids import decode_global_id, encode_global_id
from tests import factories
from tests.graphql import gql
from tests.webhooks.helpers import CREATE, INCIDENT_DOCUMENT, register
from tests.workflow import Actor, actor, ok

GOOD_URL = "https://hooks.example.org/sanctuary"
READ = """query R($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url eventKinds disabledAt disabledReason } } }"""


async def _org(db: AsyncSession) -> tuple[Any, Actor, Any]:
    """A rapid-response organization, its admin, and a dispatcher app of it."""
    org = await factories.organization(db, OrganizationKind.RAPID_RESPONSE)
    admin = await actor(db, org, Role.ORG_ADMIN)
    row, _secret = await create_client(db, org, name="Hotline app", scopes=["read"], max_roles=["RR_DISPATCHER"])
    return org, admin, row


def _app_gid(row: Any) -> str:
    return encode_global_id("PartnerApp", row.id)


async def test_an_org_admin_registers_an_endpoint_and_sees_its_secret_once_stored_sealed(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _org_row, admin, app = await _org(db)
    payload = await register(client, admin.token, _app_gid(app), GOOD_URL, ["INCIDENT_REPORTED"])

    assert payload["userErrors"] == []
    secret = payload["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert payload["webhookEndpoint"] == {"id": payload["webhookEndpoint"]["id"], "url": GOOD_URL,
                                          "eventKinds": ["INCIDENT_REPORTED"]}  # fmt: skip
    row = await db.get_one(WebhookEndpoint, decode_global_id(payload["webhookEndpoint"]["id"])[1])
    assert row.secret is not None
    assert secret.encode() not in row.secret
    assert base64.b64decode(secret.removeprefix("whsec_")) not in row.secret
    listed = await gql(client, "{ webhookEndpoints(first: 5) { nodes { id url } } }", token=admin.token)
    assert listed["data"]["webhookEndpoints"]["nodes"] == [{"id": payload["webhookEndpoint"]["id"], "url": GOOD_URL}]
    no_secret = await gql(client, "{ webhookEndpoints(first: 5) { nodes { secret } } }", token=admin.token)
    assert "Cannot query field 'secret'" in no_secret["errors"][0]["message"]
    [event] = list(await db.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.MUTATION, AuditEvent.actor_member_id == admin.id)))  # fmt: skip
    assert (event.outcome, event.record_ids) == (AuditOutcome.ALLOWED, sorted([row.id, app.id]))
    assert secret not in repr(event.fields)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.org/plain",  # not https
        "https://10.0.0.7/hook",  # private
        "https://127.0.0.1/hook",  # loopback
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://[::1]/hook",  # IPv6 loopback
        "https://[::ffff:10.0.0.7]/hook",  # IPv4-mapped private
        "https://[fe80::1]/hook",  # IPv6 link-local
        "https://0.0.0.0/hook",  # unspecified
        "https://localhost/hook",  # a local name
        "https://user:pw@hooks.example.org/hook",  # credentials in the URL
        "ftp://hooks.example.org/hook",
    ],
)
async def test_urls_that_are_not_https_to_a_public_host_are_refused(
    client: httpx.AsyncClient, db: AsyncSession, url: str
) -> None:
    _org_row, admin, app = await _org(db)
    payload = await register(client, admin.token, _app_gid(app), url, ["INCIDENT_REPORTED"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID_URL", "url")]
    assert url not in payload["userErrors"][0]["message"]
    assert await db.scalar(select(WebhookEndpoint.id).where(WebhookEndpoint.app_id == app.id)) is None


@pytest.mark.parametrize(
    ("document", "kinds", "code"),
    [
        ("query { me { id } }", ["INCIDENT_REPORTED"], "INVALID_DOCUMENT"),
        ("subscription { incidentEvents { kind", ["INCIDENT_REPORTED"], "INVALID_DOCUMENT"),
        ("subscription { incidentEvents { incident { reporterContact notAField } } }", ["INCIDENT_REPORTED"],
         "INVALID_DOCUMENT"),
        ("subscription { burnRequests { kind } }", ["BURN_REQUESTED"], "INVALID_DOCUMENT"),  # org admins' only
        (INCIDENT_DOCUMENT, ["SHIFT_CREATED"], "INVALID_EVENT_KINDS"),
        (INCIDENT_DOCUMENT, [], "INVALID_EVENT_KINDS"),
    ],
)  # fmt: skip
async def test_documents_beyond_the_apps_ceiling_or_kinds_it_never_delivers_are_refused(
    client: httpx.AsyncClient, db: AsyncSession, document: str, kinds: list[str], code: str
) -> None:
    _org_row, admin, app = await _org(db)
    payload = await register(client, admin.token, _app_gid(app), GOOD_URL, kinds, document)
    assert [e["code"] for e in payload["userErrors"]] == [code]


async def test_other_organizations_and_other_roles_neither_register_nor_see_an_endpoint(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    org, admin, app = await _org(db)
    endpoint = (await register(client, admin.token, _app_gid(app), GOOD_URL, ["INCIDENT_REPORTED"]))["webhookEndpoint"]
    other = await factories.organization(db, OrganizationKind.RAPID_RESPONSE)
    stranger = await actor(db, other, Role.ORG_ADMIN)
    dispatcher = await actor(db, org, Role.RR_DISPATCHER)

    payload = await register(client, stranger.token, _app_gid(app), GOOD_URL, ["INCIDENT_REPORTED"])
    assert [e["code"] for e in payload["userErrors"]] == ["APP_NOT_FOUND"]
    assert (await gql(client, READ, {"id": endpoint["id"]}, token=stranger.token))["data"]["node"] is None
    listed = await gql(client, "{ webhookEndpoints(first: 5) { nodes { id } } }", token=stranger.token)
    assert listed["data"]["webhookEndpoints"]["nodes"] == []
    update = {"input": {"id": endpoint["id"], "enabled": False}}
    body = await gql(client, "mutation U($input: WebhookEndpointUpdateInput!) { webhookEndpointUpdate(input: $input) "
                     "{ userErrors { code } } }", update, token=stranger.token)  # fmt: skip
    assert body["data"]["webhookEndpointUpdate"]["userErrors"] == [{"code": "NOT_FOUND"}]
    # a member who is not an org admin: neither the type nor the mutation is in its schema
    seen = await gql(client, READ, {"id": endpoint["id"]}, token=dispatcher.token)
    assert "Unknown type 'WebhookEndpoint'" in seen["errors"][0]["message"]
    variables = {"input": {"appId": _app_gid(app), "url": GOOD_URL, "eventKinds": ["INCIDENT_REPORTED"],
                           "document": INCIDENT_DOCUMENT}}  # fmt: skip
    body = await gql(client, CREATE, variables, token=dispatcher.token)
    assert body["data"] is None
    assert "Unknown type 'WebhookEndpointCreateInput'" in body["errors"][0]["message"]


async def test_an_admin_disables_enables_updates_and_deletes_an_endpoint(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    _org_row, admin, app = await _org(db)
    endpoint = (await register(client, admin.token, _app_gid(app), GOOD_URL, ["INCIDENT_REPORTED"]))["webhookEndpoint"]
    selection = "webhookEndpoint { url eventKinds disabledAt disabledReason }"

    off = await ok(client, "webhookEndpointUpdate", {"id": endpoint["id"], "enabled": False}, admin, selection)
    assert off["webhookEndpoint"]["disabledReason"] == "MANUAL"
    assert off["webhookEndpoint"]["disabledAt"]
    on = await ok(client, "webhookEndpointUpdate", {"id": endpoint["id"], "enabled": True,
                  "url": GOOD_URL + "/v2", "eventKinds": ["INCIDENT_REPORTED", "INCIDENT_CLOSED"]}, admin, selection)  # fmt: skip
    assert on["webhookEndpoint"] == {"url": GOOD_URL + "/v2", "eventKinds": ["INCIDENT_CLOSED", "INCIDENT_REPORTED"],
                                     "disabledAt": None, "disabledReason": None}  # fmt: skip
    gone = await ok(client, "webhookEndpointDelete", {"id": endpoint["id"]}, admin, "deletedId")
    assert gone["deletedId"] == endpoint["id"]
    assert (await gql(client, READ, {"id": endpoint["id"]}, token=admin.token))["data"]["node"] is None


def test_an_app_acting_for_a_person_does_not_manage_webhooks_even_with_the_scope() -> None:
    """Its endpoints would deliver under the app's whole ceiling, beyond that person's rights."""
    from uuid import uuid4

    from api.auth.permissions import may_call
    from api.auth.viewer import Viewer
    from api.auth.webhooks import acts_as_app_with_scope
    from api.schema.engine.audience import Audience

    scopes = frozenset({"read", "write", "webhooks"})
    itself = Viewer(organization_id=uuid4(), roles=frozenset({Role.RR_DISPATCHER}), client_id="app", scopes=scopes)
    for_a_person = Viewer(
        member_id=uuid4(), organization_id=itself.organization_id, roles=itself.roles, client_id="app", scopes=scopes
    )
    assert acts_as_app_with_scope(itself)
    assert may_call(itself, "webhookEndpointCreate")
    assert not acts_as_app_with_scope(for_a_person)
    assert not any(may_call(for_a_person, m) for m in ("webhookEndpointCreate", "webhookDeliveryReplay"))
    assert Audience.of(for_a_person) != Audience.of(itself)  # the webhook types are not in its schema
