"""Trusted documents: registered against the app's role ceiling, sent by id, the only documents a
trusted-documents-only app may send; cost, variable and rate limits still apply to each request."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import configure_state, create_app
from api.auth.clients import create_client
from api.auth.permissions import may_call
from api.auth.viewer import Viewer
from api.models import OAuthClient, Organization, TrustedDocument
from api.models.enums import OrganizationKind, Role
from api.ratelimit.policy import Policy
from api.schema.engine import trusted
from api.schema.engine.ids import encode_global_id
from api.schema.engine.limits import DEFAULT_LIMITS
from api.schema.engine.request_body import RequestRefused, prepare
from api.settings import Settings
from tests import factories as f
from tests.graphql import error_codes, gql
from tests.workflow import Actor, actor

ORGS = "query Orgs($n: Int = 5) { organizations(first: $n) { nodes { id } } }"
LEVELS = "edges { node { congregation { organization { region { name } } } } }"
WIDE = "query Wide($n: Int = 1) { " + " ".join(
    f"a{i}: accompanimentRequests(first: $n) {{ {LEVELS} }}" for i in range(30)
) + " }"  # fmt: skip
EXAMPLE = "{ " + " ".join(f"a{i}: accompanimentRequests(first: 100) {{ {LEVELS} }}" for i in range(30)) + " }"
ADD = """mutation Add($input: PartnerAppDocumentsAddInput!) { partnerAppDocumentsAdd(input: $input) {
  documentIds partnerApp { id } userErrors { code field message } } }"""
ONLY = """mutation Only($input: PartnerAppTrustedDocumentsOnlySetInput!) {
  partnerAppTrustedDocumentsOnlySet(input: $input) { partnerApp { trustedDocumentsOnly } userErrors { code } } }"""
ALIASES = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
INTROSPECTION = "{ __schema { queryType { name } types { name } } }"
MUTATION = 'mutation { memberInvite(input: {memberId: "x"}) { userErrors { code } } }'


def app_id(row: OAuthClient) -> str:
    return encode_global_id("PartnerApp", row.id)


def key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def did(text: str) -> str:
    return f"sha256:{key(text)}"


class App:
    """A partner app of an organization, its org admin and a client-credentials token."""

    def __init__(self, org: Organization, row: OAuthClient, admin: Actor, token: str) -> None:
        self.org, self.row, self.admin, self.token = org, row, admin, token

    async def post(self, client: httpx.AsyncClient, body: Any) -> dict[str, Any]:
        response = await client.post("/graphql", json=body, headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


async def _app(
    client: httpx.AsyncClient, db: AsyncSession, *, only: bool = True, roles: tuple[str, ...] = ("LEGAL_ADVOCATE",),
    kind: OrganizationKind = OrganizationKind.LEGAL_AID, scopes: tuple[str, ...] = ("read",),
) -> App:  # fmt: skip
    org = await f.organization(db, kind)
    admin = await actor(db, org, Role.ORG_ADMIN)
    row, secret = await create_client(
        db, org, name="Frontend", scopes=list(scopes), max_roles=list(roles), trusted_documents_only=only
    )
    await db.commit()
    issued = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret))
    assert issued.status_code == 200, issued.text
    return App(org, row, admin, issued.json()["access_token"])


async def _add(client: httpx.AsyncClient, app: App, manifest: Any, token: str | None = None) -> dict[str, Any]:
    variables = {"input": {"app": app_id(app.row), "manifest": manifest}}
    body = await gql(client, ADD, variables, token=token or app.admin.token)
    payload: dict[str, Any] = body["data"]["partnerAppDocumentsAdd"] if body.get("data") else body
    return payload


async def _stored(db: AsyncSession, app: App) -> list[TrustedDocument]:
    return list(await db.scalars(select(TrustedDocument).where(TrustedDocument.client_id == app.row.id)))


async def test_a_registered_document_is_served_by_document_id_apollo_hash_and_get(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    app = await _app(client, db)
    added = await _add(client, app, {did(ORGS): ORGS})
    assert (added["userErrors"], added["documentIds"]) == ([], [did(ORGS)])
    [row] = await _stored(db, app)
    assert (row.document_hash, row.document, row.operation_names) == (key(ORGS), ORGS, ["Orgs"])
    assert row.created_by_member_id == app.admin.id

    by_id = await app.post(client, {"documentId": did(ORGS), "variables": {"n": 2}})
    apollo = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": key(ORGS)}}, "variables": {"n": 2}}
    by_hash = await app.post(client, apollo)
    params = {"documentId": did(ORGS), "variables": orjson.dumps({"n": 2}).decode()}
    by_get = await client.get("/graphql", params=params, headers={"Authorization": f"Bearer {app.token}"})

    nodes = by_id["data"]["organizations"]["nodes"]
    assert 1 <= len(nodes) <= 2
    assert by_hash["data"] == by_id["data"] == by_get.json()["data"]
    assert by_id["extensions"]["cost"]["requested"] == 3  # the connection and two nodes: the variables count
    assert by_get.headers["content-type"].startswith("application/json")
    bare = await app.post(client, {"documentId": key(ORGS), "variables": {"n": 1}})  # bare hex is accepted too
    assert len(bare["data"]["organizations"]["nodes"]) == 1


async def test_a_manifest_is_stored_whole_or_refused_with_a_user_error_per_document(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    app = await _app(client, db)
    audit = "{ auditEvents(first: 5) { nodes { id } } }"  # not in a legal advocate's schema
    md5 = hashlib.md5(ORGS.encode()).hexdigest()  # noqa: S324 (Relay's default ids: refused)
    manifest = {
        did(ORGS): ORGS,
        key("{ organizations(first: 1) { nodes { id } } }"): "{ regions(first: 1) { nodes { id } } }",
        did(audit): audit,
        did(EXAMPLE): EXAMPLE,
        md5: ORGS,
        did("{ nope"): "{ nope",
        "not an id": ORGS,
        did(ALIASES): ALIASES,
    }
    added = await _add(client, app, manifest)

    found = [(e["code"], e["field"]) for e in added["userErrors"]]
    assert found == [
        ("HASH_MISMATCH", f"manifest.{key('{ organizations(first: 1) { nodes { id } } }')}"),
        ("INVALID_DOCUMENT", f"manifest.{key(audit)}"),
        ("COST_LIMIT_EXCEEDED", f"manifest.{key(EXAMPLE)}"),
        ("INVALID_DOCUMENT_ID", "manifest.#4"),
        ("INVALID_DOCUMENT", f"manifest.{key('{ nope')}"),
        ("INVALID_DOCUMENT_ID", "manifest.#6"),
        ("OVER_LIMIT", f"manifest.{key(ALIASES)}"),
    ]
    assert added["documentIds"] is None
    assert await _stored(db, app) == []  # not even the good one
    text = orjson.dumps(added["userErrors"]).decode()
    assert "auditEvents" not in text
    assert "accompanimentRequests" not in text
    assert "not an id" not in text
    assert (await _add(client, app, ["a list"]))["userErrors"][0]["code"] == "INVALID_MANIFEST"
    too_many = {did(f"{{ a{i}: __typename }}"): f"{{ a{i}: __typename }}" for i in range(201)}
    assert (await _add(client, app, too_many))["userErrors"][0]["code"] == "TOO_MANY_DOCUMENTS"


async def test_only_an_org_admin_of_the_apps_organization_registers_in_person(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    app = await _app(client, db)
    other = await _app(client, db)  # another organization's admin
    advocate = await actor(db, app.org, Role.LEGAL_ADVOCATE)
    admin_app = await _app(client, db, only=False, roles=("ORG_ADMIN",), scopes=("read", "write"))
    manifest = {did(ORGS): ORGS}

    foreign = await _add(client, app, manifest, token=other.admin.token)
    assert foreign["userErrors"] == [
        {"code": "APP_NOT_FOUND", "field": "app", "message": "No partner app of your organization has this id."}
    ]
    missing = {"input": {"app": encode_global_id("PartnerApp", uuid.uuid4()), "manifest": manifest}}
    assert (await gql(client, ADD, missing, token=app.admin.token))["data"]["partnerAppDocumentsAdd"][
        "userErrors"
    ][0]["code"] == "APP_NOT_FOUND"  # fmt: skip
    not_admin = await gql(client, ADD, {"input": {"app": app_id(app.row), "manifest": manifest}}, token=advocate.token)
    assert not_admin.get("data") is None
    assert error_codes(not_admin)
    through_app = await gql(
        client, ADD, {"input": {"app": app_id(admin_app.row), "manifest": manifest}}, token=admin_app.token
    )
    assert error_codes(through_app) == ["FORBIDDEN"]  # an app acting as org admin never registers documents
    assert await _stored(db, app) == []
    assert await _stored(db, admin_app) == []


async def test_a_trusted_documents_only_app_cannot_send_any_other_document(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    app = await _app(client, db)
    neighbour = await _app(client, db)
    other_text = "query Other { organizations(first: 1) { nodes { id } } }"
    assert (await _add(client, app, {did(ORGS): ORGS}))["userErrors"] == []
    assert (await _add(client, neighbour, {did(other_text): other_text}))["userErrors"] == []

    refusals: dict[str, Any] = {
        "query": {"query": ORGS},
        "registered text as query": {"query": ORGS, "variables": {"n": 1}},
        "mutation": {"query": MUTATION},
        "introspection": {"query": INTROSPECTION},
        "typename": {"query": "{ __typename }"},
        "apollo retry with text": {"query": ORGS, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": key(ORGS)}}},
        "nothing": {},
        "batch": [{"query": ORGS}],
    }  # fmt: skip
    for name, body in refusals.items():
        result = await app.post(client, body)
        assert error_codes(result) == ["TRUSTED_DOCUMENTS_ONLY"], name
        assert result["data"] is None, name
    another = await app.post(client, {"documentId": did(other_text)})
    assert error_codes(another) == ["DOCUMENT_NOT_FOUND"]  # another app's document is unknown here
    apollo = await app.post(client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": key(other_text)}}})
    assert (error_codes(apollo), apollo["errors"][0]["message"]) == (
        ["PERSISTED_QUERY_NOT_FOUND"],
        "PersistedQueryNotFound",
    )
    both = await app.post(client, {"documentId": did(ORGS), "query": ORGS})
    assert error_codes(both) == ["DOCUMENT_ID_WITH_QUERY"]
    assert error_codes(await app.post(client, {"documentId": "md5:abc"})) == ["INVALID_DOCUMENT_ID"]
    headers = {"Authorization": f"Bearer {app.token}", "Content-Type": "application/graphql"}
    raw = await client.post("/graphql", content=ORGS, headers=headers)
    assert "TRUSTED_DOCUMENTS_ONLY" in raw.text
    assert '"organizations"' not in raw.text
    assert (await app.post(client, {"documentId": did(ORGS)}))["data"]["organizations"]["nodes"]  # its own: served


async def test_a_get_runs_only_queries(client: httpx.AsyncClient, db: AsyncSession) -> None:
    app = await _app(client, db, roles=("LEGAL_ADVOCATE",), scopes=("read", "write"))
    invite = "mutation Cancel($id: ID!) { accompanimentRequestCancel(input: {id: $id}) { userErrors { code } } }"
    assert (await _add(client, app, {did(invite): invite}))["userErrors"] == []
    params = {"documentId": did(invite), "variables": orjson.dumps({"id": "x"}).decode()}
    response = await client.get("/graphql", params=params, headers={"Authorization": f"Bearer {app.token}"})
    assert response.status_code == 405
    assert error_codes(response.json()) == ["METHOD_NOT_ALLOWED"]


async def test_the_rule_follows_the_app_also_for_a_person_acting_through_it(db: AsyncSession) -> None:
    """A token a partner frontend holds for a person (member and client id both set) is the app's too."""
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    member = await f.member(db, org, Role.LEGAL_ADVOCATE)
    row, _secret = await create_client(
        db, org, name="Frontend", scopes=["read"], max_roles=["LEGAL_ADVOCATE"], trusted_documents_only=True
    )
    person = Viewer(
        member_id=member.id, organization_id=org.id, organization_kind=org.kind,
        roles=frozenset({Role.LEGAL_ADVOCATE}), client_id=row.client_id,
    )  # fmt: skip
    prepare(orjson.dumps({"query": ORGS}), DEFAULT_LIMITS)
    with pytest.raises(RequestRefused) as refused:
        await trusted.resolve(db, person)
    assert refused.value.code == "TRUSTED_DOCUMENTS_ONLY"
    own = Viewer(member_id=member.id, organization_id=org.id, roles=frozenset({Role.LEGAL_ADVOCATE}))
    assert await trusted.resolve(db, own) is False  # their own token: ad-hoc allowed


async def test_an_app_not_in_the_mode_and_a_members_own_token_send_ad_hoc_documents(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    app = await _app(client, db, only=False)
    advocate = await actor(db, app.org, Role.LEGAL_ADVOCATE)
    assert (await _add(client, app, {did(ORGS): ORGS}))["userErrors"] == []

    assert (await app.post(client, {"query": ORGS}))["data"]["organizations"]["nodes"]
    assert (await app.post(client, {"query": INTROSPECTION}))["data"]["__schema"]["queryType"] == {"name": "Query"}
    assert (await app.post(client, {"documentId": did(ORGS)}))["data"]["organizations"]["nodes"]
    assert (await gql(client, ORGS, token=advocate.token))["data"]["organizations"]["nodes"]
    person = await client.post(
        "/graphql", json={"documentId": did(ORGS)}, headers={"Authorization": f"Bearer {advocate.token}"}
    )
    assert error_codes(person.json()) == ["DOCUMENT_NOT_FOUND"]  # documents belong to apps


async def test_the_org_admin_switches_the_mode_and_new_apps_start_in_it(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    app = await _app(client, db)

    def switch(on: bool) -> dict[str, Any]:
        return {"input": {"app": app_id(app.row), "trustedDocumentsOnly": on}}

    off = await gql(client, ONLY, switch(False), token=app.admin.token)
    assert off["data"]["partnerAppTrustedDocumentsOnlySet"] == {
        "partnerApp": {"trustedDocumentsOnly": False},
        "userErrors": [],
    }
    assert (await app.post(client, {"query": ORGS}))["data"]["organizations"]["nodes"]
    await gql(client, ONLY, switch(True), token=app.admin.token)
    assert error_codes(await app.post(client, {"query": ORGS})) == ["TRUSTED_DOCUMENTS_ONLY"]

    create = """mutation C($input: PartnerAppCreateInput!) { partnerAppCreate(input: $input) {
      partnerApp { trustedDocumentsOnly } userErrors { code field } } }"""
    base = {"name": "New", "scopes": ["read"], "maxRoles": ["LEGAL_ADVOCATE"]}
    default = await gql(client, create, {"input": base}, token=app.admin.token)
    opened = await gql(client, create, {"input": {**base, "trustedDocumentsOnly": False}}, token=app.admin.token)
    assert default["data"]["partnerAppCreate"]["partnerApp"] == {"trustedDocumentsOnly": True}
    assert opened["data"]["partnerAppCreate"]["partnerApp"] == {"trustedDocumentsOnly": False}
    legacy = OAuthClient(id=uuid.uuid4(), organization_id=app.org.id, client_id=f"c{uuid.uuid4().hex[:12]}",
                         name="Before 0017", secret_hash=b"x", scopes=["read"], max_roles=["LEGAL_ADVOCATE"])  # fmt: skip
    db.add(legacy)
    await db.flush()
    assert legacy.trusted_documents_only is False  # apps registered before the migration keep sending any document


async def test_variables_of_a_trusted_document_are_still_bounded(client: httpx.AsyncClient, db: AsyncSession) -> None:
    app = await _app(client, db)
    assert (await _add(client, app, {did(ORGS): ORGS, did(WIDE): WIDE}))["userErrors"] == []

    huge_page = await app.post(client, {"documentId": did(ORGS), "variables": {"n": 10_000}})
    wide = await app.post(client, {"documentId": did(WIDE), "variables": {"n": 100}})
    many = await app.post(client, {"documentId": did(ORGS), "variables": {"n": 1, "x": list(range(5000))}})

    assert huge_page["data"] is None or huge_page["data"]["organizations"] is None
    assert error_codes(huge_page) == ["PAGE_SIZE_OUT_OF_RANGE"]
    assert error_codes(wide) == ["COST_LIMIT_EXCEEDED"]
    assert wide["extensions"]["cost"]["requested"] == 30 * 501
    assert error_codes(many) == ["VARIABLES_TOO_LARGE"]
    assert (await app.post(client, {"documentId": did(WIDE), "variables": {"n": 1}}))["data"] is not None


async def test_the_parse_and_validation_are_kept_per_hash_and_audience(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    advocates = await _app(client, db)
    organizers = await _app(client, db, roles=("ORGANIZER",), kind=OrganizationKind.CONGREGATION)
    for app in (advocates, organizers):
        assert (await _add(client, app, {did(ORGS): ORGS}))["userErrors"] == []
    trusted.clear_caches()  # as on another instance: nothing parsed or validated here yet
    before = dict(trusted.STATS)

    def spent() -> tuple[int, int]:
        return (
            trusted.STATS["parses"] - before.get("parses", 0),
            trusted.STATS["validations"] - before.get("validations", 0),
        )

    for _ in range(3):
        assert (await advocates.post(client, {"documentId": did(ORGS), "variables": {"n": 1}}))["data"]
    assert spent() == (1, 1)
    for _ in range(2):
        assert (await organizers.post(client, {"documentId": did(ORGS), "variables": {"n": 1}}))["data"]
    assert spent() == (1, 2)  # one parse per hash; one validation per audience


async def test_rate_limits_spend_trusted_requests_and_refusals_alike(
    db: AsyncSession, settings: Settings, engine: Any, sessionmaker: Any, sealer: Any
) -> None:
    limits = settings.rate_limits.model_copy(update={"app": Policy(points=5, window_s=3600)})
    limited = settings.model_copy(update={"rate_limits": limits})
    instance = create_app(limited, engine=engine, sealer=sealer)
    configure_state(instance, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=limited)
    transport = httpx.ASGITransport(app=instance)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        app = await _app(client, db)
        assert (await _add(client, app, {did(ORGS): ORGS}))["userErrors"] == []
        headers = {"Authorization": f"Bearer {app.token}"}
        served = await client.post("/graphql", json={"documentId": did(ORGS)}, headers=headers)
        refused = await client.post("/graphql", json={"query": ORGS}, headers=headers)
        unknown = await client.post("/graphql", json={"documentId": did("{ x }")}, headers=headers)
        by_get = await client.get("/graphql", params={"documentId": did(ORGS)}, headers=headers)
        later = [await client.post("/graphql", json={"documentId": did(ORGS)}, headers=headers) for _ in range(4)]
    assert served.status_code == 200
    assert served.json()["data"]
    assert error_codes(refused.json()) == ["TRUSTED_DOCUMENTS_ONLY"]
    assert error_codes(unknown.json()) == ["DOCUMENT_NOT_FOUND"]
    left = [int(r.headers["RateLimit"].split("r=")[1].split(";")[0]) for r in (served, refused, unknown)]
    assert left == sorted(left, reverse=True)
    assert left[0] > left[2]
    assert all(r.headers["RateLimit"].startswith('"app";') for r in (served, refused, unknown, by_get))
    assert later[-1].status_code == 429
    assert "Retry-After" in later[-1].headers


def test_a_person_acting_through_an_app_does_not_decide_what_apps_send() -> None:
    person = Viewer(member_id=uuid.uuid4(), organization_id=uuid.uuid4(), roles=frozenset({Role.ORG_ADMIN}))
    through_app = Viewer(
        member_id=person.member_id, organization_id=person.organization_id, roles=person.roles, client_id="c"
    )
    for name in ("partnerAppDocumentsAdd", "partnerAppDocumentsRemove", "partnerAppTrustedDocumentsOnlySet"):
        assert may_call(person, name)
        assert not may_call(through_app, name)


async def test_a_removed_document_is_unknown_from_the_next_request(client: httpx.AsyncClient, db: AsyncSession) -> None:
    app = await _app(client, db)
    assert (await _add(client, app, {did(ORGS): ORGS}))["userErrors"] == []
    assert (await app.post(client, {"documentId": did(ORGS)}))["data"]
    remove = """mutation R($input: PartnerAppDocumentsRemoveInput!) { partnerAppDocumentsRemove(input: $input) {
      removed userErrors { code } } }"""
    values = {"input": {"app": app_id(app.row), "documentIds": [did(ORGS), key(WIDE)]}}
    removed = await gql(client, remove, values, token=app.admin.token)
    assert removed["data"]["partnerAppDocumentsRemove"] == {"removed": 1, "userErrors": []}
    assert error_codes(await app.post(client, {"documentId": did(ORGS)})) == ["DOCUMENT_NOT_FOUND"]
