"""Administration over HTTP, part one: hub coordinators shape the network (regions, organizations,
congregations); org admins keep their own organization's profile."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.permissions import MUTATIONS
from api.models import Congregation, Organization, Region, Training
from api.models.enums import AuditOutcome, OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from tests import factories
from tests.graphql import gid
from tests.network.factories import committed_admins, hub_coordinator, org_admin, organization_of
from tests.workflow import actor, call, forbidden, mutation_audit, ok, user_error

REGION = "region { id name code }"
ORG = "organization { id name kind version region { id } }"
CONGREGATION = "congregation { id publicName city capacity contactEmail contactPhone commitment version }"
ADMIN_MUTATIONS = [
    "regionCreate", "organizationCreate", "organizationUpdate", "congregationUpdate",
    "memberCreate", "memberUpdate", "memberDeactivate", "trainingRecord",
]  # fmt: skip


def _code() -> str:
    return f"larkhaven-{uuid.uuid4().hex[:8]}"


def _details(**overrides: Any) -> dict[str, Any]:
    return {
        "publicName": "Grace Chapel", "faithTradition": "Methodist", "city": "Riverton", "commitment": "SUPPORTING",
        "capacity": 3, "contactEmail": "Sanctuary@Grace.example",
    } | overrides  # fmt: skip


async def _count(db: AsyncSession, model: type[Any], *where: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_hub_coordinator_builds_the_network_and_org_admins_keep_their_profile(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    hub = await hub_coordinator(db)
    code = _code()
    region = (await ok(client, "regionCreate", {"name": "Larkhaven", "code": code}, hub, REGION))["region"]
    assert (region["name"], region["code"]) == ("Larkhaven", code)
    values = {"name": "Grace Chapel", "kind": "CONGREGATION", "regionId": region["id"], "congregation": _details()}
    org = (await ok(client, "organizationCreate", values, hub, ORG))["organization"]
    assert (org["kind"], org["version"], org["region"]) == ("CONGREGATION", 1, {"id": region["id"]})
    org_row = await db.scalar(select(Organization).where(Organization.name == "Grace Chapel"))
    assert org_row is not None
    assert gid(org_row) == org["id"]
    congregation = await db.scalar(select(Congregation).where(Congregation.organization_id == org_row.id))
    assert congregation is not None
    assert (congregation.capacity, congregation.contact_email) == (3, "sanctuary@grace.example")
    renamed = await ok(
        client, "organizationUpdate", {"id": org["id"], "expectedVersion": 1, "name": "Grace UMC"}, hub, ORG
    )
    assert (renamed["organization"]["name"], renamed["organization"]["version"]) == ("Grace UMC", 2)
    # the congregation's own admin (added by the hub's tooling here) keeps its profile up to date
    admin = await org_admin(db, org=org_row)
    changed = await ok(
        client, "congregationUpdate",
        {"id": gid(congregation), "expectedVersion": 1, "capacity": 5, "commitment": "HOST", "contactPhone": " "},
        admin, CONGREGATION,
    )  # fmt: skip
    assert changed["congregation"] | {"id": None} == {
        "id": None, "publicName": "Grace Chapel", "city": "Riverton", "capacity": 5,
        "contactEmail": "sanctuary@grace.example", "contactPhone": None, "commitment": "HOST", "version": 2,
    }  # fmt: skip
    await ok(client, "organizationUpdate", {"id": org["id"], "expectedVersion": 2, "name": "Grace"}, admin, ORG)
    hub_audit = await mutation_audit(db, hub)
    assert sorted((name, outcome) for name, outcome, _ in hub_audit) == [
        ("organizationCreate", AuditOutcome.ALLOWED),
        ("organizationUpdate", AuditOutcome.ALLOWED),
        ("regionCreate", AuditOutcome.ALLOWED),
    ]
    assert [ids for name, _, ids in hub_audit if name == "organizationCreate"] == [[org_row.id]]
    admin_audit = await mutation_audit(db, admin)
    assert sorted((n, o, ids) for n, o, ids in admin_audit) == [
        ("congregationUpdate", AuditOutcome.ALLOWED, [congregation.id]),
        ("organizationUpdate", AuditOutcome.ALLOWED, [org_row.id]),
    ]


@pytest.mark.parametrize("role", list(Role))
async def test_roles_without_the_permission_may_not_call_admin_mutations(
    client: httpx.AsyncClient, db: AsyncSession, role: Role
) -> None:
    target = await factories.organization(db)
    congregation = await factories.congregation(db, target)
    who = await actor(db, await factories.organization(db, OrganizationKind.NETWORK_HUB), role)
    member = await factories.member(db, target)
    values: dict[str, dict[str, Any]] = {
        "regionCreate": {"name": "X", "code": _code()},
        "organizationCreate": {"name": "X", "kind": "LEGAL_AID", "regionId": gid(await factories.region(db))},
        "organizationUpdate": {"id": gid(target), "name": "Hijacked"},
        "congregationUpdate": {"id": gid(congregation), "capacity": 0},
        "memberCreate": {"email": f"{uuid.uuid4().hex}@example.test", "alias": "X"},
        "memberUpdate": {"id": gid(member), "roles": []},
        "memberDeactivate": {"id": gid(member)},
        "trainingRecord": {"memberId": gid(member), "kind": "HOSPITALITY", "completedAt": "2025-01-01T00:00:00Z"},
    }
    denied = [name for name in ADMIN_MUTATIONS if role not in MUTATIONS[name]]
    assert denied or role is Role.ORG_ADMIN
    for name in denied:
        await forbidden(client, name, values[name], who)
    await db.refresh(target)
    await db.refresh(congregation)
    await db.refresh(member)
    assert (target.name, target.version, congregation.version, member.version, member.active) == (
        target.name, 1, 1, 1, True,
    )  # fmt: skip


async def test_org_admin_cannot_touch_another_organization_or_its_congregation(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    other = await factories.organization(db, name="Other Org")
    congregation = await factories.congregation(db, other)
    calls: list[tuple[str, dict[str, Any], str]] = [
        ("organizationUpdate", {"id": gid(other), "name": "Hijacked"}, ORG),
        ("congregationUpdate", {"id": gid(congregation), "capacity": 0}, CONGREGATION),
        ("congregationUpdate", {"id": encode_global_id("Congregation", uuid.uuid4()), "capacity": 0}, CONGREGATION),
    ]
    for name, values, selection in calls:
        error = await user_error(client, name, values, admin, selection)
        assert (error["code"], error["field"]) == ("NOT_FOUND", "id")
    await db.refresh(other)
    await db.refresh(congregation)
    assert (other.name, other.version, congregation.capacity, congregation.version) == ("Other Org", 1, 2, 1)


async def test_a_network_coordinator_outside_the_hub_cannot_administer(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    outsider = await actor(db, await factories.organization(db, OrganizationKind.LEGAL_AID), Role.NETWORK_COORDINATOR)
    target = await factories.organization(db, name="Target Org")
    congregation = await factories.congregation(db, target)
    region = await factories.region(db)
    code = _code()
    error = await user_error(client, "regionCreate", {"name": "X", "code": code}, outsider, REGION)
    assert error["code"] == "HUB_ONLY"
    values: dict[str, Any] = {"name": "Sneaky", "kind": "LEGAL_AID", "regionId": gid(region)}
    assert (await user_error(client, "organizationCreate", values, outsider, ORG))["code"] == "HUB_ONLY"
    calls: list[tuple[str, dict[str, Any], str]] = [
        ("organizationUpdate", {"id": gid(target), "name": "Hijacked"}, ORG),
        ("congregationUpdate", {"id": gid(congregation), "capacity": 0}, CONGREGATION),
    ]
    for name, values, selection in calls:
        assert (await user_error(client, name, values, outsider, selection))["code"] == "NOT_FOUND"
    assert await _count(db, Region, Region.code == code) == 0
    assert await _count(db, Organization, Organization.name == "Sneaky") == 0
    await db.refresh(target)
    assert (target.name, target.version) == ("Target Org", 1)
    audit = await mutation_audit(db, outsider)
    assert {outcome for _, outcome, _ in audit} == {AuditOutcome.FAILED}


@pytest.mark.parametrize(
    ("name", "values", "code", "field"),
    [
        ("regionCreate", {"name": "Larkhaven", "code": "Lark Haven"}, "INVALID_INPUT", "code"),
        ("regionCreate", {"name": "Larkhaven", "code": "x"}, "INVALID_INPUT", "code"),
        ("regionCreate", {"name": "Larkhaven", "code": "-lark"}, "INVALID_INPUT", "code"),
        ("regionCreate", {"name": " ", "code": "lark"}, "INVALID_INPUT", "name"),
        ("regionCreate", {"name": "n" * 121, "code": "lark"}, "INVALID_INPUT", "name"),
        ("organizationCreate", {"kind": "CONGREGATION"}, "CONGREGATION_DETAILS_REQUIRED", "congregation"),
        ("organizationCreate", {"kind": "LEGAL_AID", "congregation": _details()}, "INVALID_INPUT", "congregation"),
        ("organizationCreate", {"kind": "NETWORK_HUB"}, "INVALID_INPUT", "kind"),
        ("organizationCreate", {"name": "x" * 201}, "INVALID_INPUT", "name"),
        ("organizationCreate", {"regionId": encode_global_id("Region", uuid.uuid4())}, "REGION_NOT_FOUND", "regionId"),
        (
            "organizationCreate", {"kind": "CONGREGATION", "congregation": _details(publicName=None)},
            "INVALID_INPUT", "congregation.publicName",
        ),
        (
            "organizationCreate", {"kind": "CONGREGATION", "congregation": _details(capacity=101)},
            "INVALID_INPUT", "congregation.capacity",
        ),
        (
            "organizationCreate", {"kind": "CONGREGATION", "congregation": _details(contactEmail="not-an-email")},
            "INVALID_INPUT", "congregation.contactEmail",
        ),
        (
            "organizationCreate", {"kind": "CONGREGATION", "congregation": _details(contactPhone="call me maybe")},
            "INVALID_INPUT", "congregation.contactPhone",
        ),
    ],
)  # fmt: skip
async def test_bad_input_is_a_user_error_naming_the_field_and_creates_nothing(
    client: httpx.AsyncClient, db: AsyncSession, name: str, values: dict[str, Any], code: str, field: str
) -> None:
    hub = await hub_coordinator(db)
    if name == "organizationCreate":
        values = {"name": "Unmade Org", "kind": "COMMUNITY_GROUP", "regionId": gid(await factories.region(db))} | values
    regions, orgs = await _count(db, Region), await _count(db, Organization)
    error = await user_error(client, name, values, hub, REGION if name == "regionCreate" else ORG)
    assert (error["code"], error["field"]) == (code, field)
    assert "not-an-email" not in error["message"]
    assert "maybe" not in error["message"]
    assert (await _count(db, Region), await _count(db, Organization)) == (regions, orgs)
    assert await _count(db, Congregation, Congregation.public_name == "Grace Chapel") == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [({"capacity": -1}, "capacity"), ({"capacity": 101}, "capacity"), ({"city": " "}, "city"),
     ({"accessibilityNotes": "a" * 2001}, "accessibilityNotes"), ({"contactEmail": "a@b"}, "contactEmail")],
)  # fmt: skip
async def test_bad_congregation_changes_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, values: dict[str, Any], field: str
) -> None:
    admin = await org_admin(db)
    congregation = await factories.congregation(db, await organization_of(db, admin))
    error = await user_error(client, "congregationUpdate", {"id": gid(congregation)} | values, admin, CONGREGATION)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    await db.refresh(congregation)
    assert (congregation.capacity, congregation.city, congregation.version) == (2, "Riverton", 1)


async def test_region_codes_are_unique_and_creates_replay(client: httpx.AsyncClient, db: AsyncSession) -> None:
    hub = await hub_coordinator(db)
    code = _code()
    values = {"name": "Larkhaven", "code": code, "idempotencyKey": "region-1"}
    first = await ok(client, "regionCreate", values, hub, REGION)
    assert await ok(client, "regionCreate", values, hub, REGION) == first
    again = await user_error(client, "regionCreate", {"name": "Other", "code": code}, hub, REGION)
    assert (again["code"], again["field"]) == ("CODE_TAKEN", "code")
    assert await _count(db, Region, Region.code == code) == 1
    org = {"name": "Vecinos", "kind": "COMMUNITY_GROUP", "regionId": first["region"]["id"], "idempotencyKey": "o-1"}
    made = await ok(client, "organizationCreate", org, hub, ORG)
    assert await ok(client, "organizationCreate", org, hub, ORG) == made
    reused = await user_error(client, "organizationCreate", org | {"name": "Vecinas"}, hub, ORG)
    assert reused["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _count(db, Organization, Organization.name.in_(["Vecinos", "Vecinas"])) == 1


async def test_stale_organization_version_is_a_conflict(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await org_admin(db)
    org = await organization_of(db, admin)
    await ok(client, "organizationUpdate", {"id": gid(org), "expectedVersion": 1, "name": "First"}, admin)
    error = await user_error(client, "organizationUpdate", {"id": gid(org), "expectedVersion": 1, "name": "X"}, admin)
    assert (error["code"], error["field"]) == ("CONFLICT", "expectedVersion")
    await db.refresh(org)
    assert (org.name, org.version) == ("First", 2)


async def test_concurrent_congregation_updates_one_wins_one_conflicts(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    (admin,), org = await committed_admins(live_sessions, with_congregation=True)
    async with live_sessions() as session:
        congregation = await session.scalar(select(Congregation).where(Congregation.organization_id == org.id))
    assert congregation is not None
    first = {"id": gid(congregation), "expectedVersion": 1, "capacity": 7}
    second = {"id": gid(congregation), "expectedVersion": 1, "city": "Larkhaven"}
    bodies = await asyncio.gather(
        call(live_client, "congregationUpdate", first, admin, CONGREGATION),
        call(live_client, "congregationUpdate", second, admin, CONGREGATION),
    )
    results = [body["data"]["congregationUpdate"] for body in bodies]
    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [(), ("CONFLICT",)]
    winner = next(r for r in results if not r["userErrors"])["congregation"]
    async with live_sessions() as session:
        stored = await session.get_one(Congregation, congregation.id)
    assert (stored.version, stored.capacity, stored.city) == (2, winner["capacity"], winner["city"])
    assert (stored.capacity, stored.city) in {(7, "Riverton"), (2, "Larkhaven")}


async def test_concurrent_regions_with_one_code_one_wins_the_other_is_told(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with live_sessions() as session:
        hub = await hub_coordinator(session)
        await session.commit()
    code = _code()
    bodies = await asyncio.gather(
        *(call(live_client, "regionCreate", {"name": f"Region {i}", "code": code}, hub, REGION) for i in range(3))
    )
    assert all("errors" not in body for body in bodies), bodies
    results = [body["data"]["regionCreate"] for body in bodies]
    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [
        (), ("CODE_TAKEN",), ("CODE_TAKEN",),
    ]  # fmt: skip
    async with live_sessions() as session:
        assert await _count(session, Region, Region.code == code) == 1


async def test_org_admin_records_no_training_for_a_member_of_another_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await actor(db, await factories.organization(db), Role.ORG_ADMIN)
    stranger = await factories.member(db, await factories.organization(db))
    training = {"memberId": gid(stranger), "kind": "HOSPITALITY", "completedAt": "2025-01-01T00:00:00Z"}

    error = await user_error(client, "trainingRecord", training, admin, "training { id }")

    assert (error["code"], error["field"]) == ("NOT_FOUND", "memberId")
    assert await db.scalar(select(func.count()).where(Training.member_id == stranger.id)) == 0
