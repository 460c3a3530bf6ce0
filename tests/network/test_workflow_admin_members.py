"""Administration over HTTP, part two: org admins manage their organization's members, roles and trainings."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import any_, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.roles import ROLE_KINDS, active_holders, actively_holds, role_fits
from api.auth.viewer import Viewer
from api.models import Member, Training
from api.models.enums import AuditOutcome, OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from api.services.network import members as admin_members
from api.services.shared.errors import UserFacingError
from tests import factories
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.locks import blocked_on_a_lock
from tests.network.factories import committed_admins, org_admin, organization_of
from tests.workflow import actor, call, forbidden, mutation_audit, ok, user_error

MEMBER = "member { id alias email legalName phone languages roles active version region { id } trainings { kind } }"
TRAINING = "training { id kind completedAt expiresAt isCurrent member { id } }"
ME = "{ members(first: 1) { edges { node { id } } } }"
PLAN = {"title": "Vigil", "kind": "VIGIL", "level": "LOCAL", "visibility": "NETWORK"}


def _email() -> str:
    return f"new-{uuid.uuid4().hex[:10]}@example.test"


def _new(**overrides: Any) -> dict[str, Any]:
    return {
        "email": _email(), "alias": "Marisol", "legalName": canary("Marisol Quintero-Vance"),
        "phone": canary("+1 555 0199 42"), "languages": ["es", "en"], "roles": ["HOSPITALITY_VOLUNTEER"],
    } | overrides  # fmt: skip


def _plan() -> dict[str, Any]:
    return PLAN | {"startsAt": (datetime.now(UTC) + timedelta(days=3)).isoformat()}


async def _members(db: AsyncSession, email: str) -> int:
    return int(await db.scalar(select(func.count()).where(func.lower(Member.email) == email.lower())) or 0)


async def test_org_admin_adds_a_member_changes_roles_records_training_and_deactivates(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    region = await factories.region(db)
    email = _email()
    values = _new(email=email.upper(), regionId=gid(region), roles=["SANCTUARY_COORDINATOR", "ORG_ADMIN"])
    made = (await ok(client, "memberCreate", values, admin, MEMBER))["member"]
    assert made | {"id": None} == {
        "id": None, "alias": "Marisol", "email": email, "legalName": "Marisol Quintero-Vance",
        "phone": "+1 555 0199 42", "languages": ["es", "en"], "roles": ["ORG_ADMIN", "SANCTUARY_COORDINATOR"],
        "active": True, "version": 1, "region": {"id": gid(region)}, "trainings": [],
    }  # fmt: skip
    changed = await ok(
        client, "memberUpdate",
        {"id": made["id"], "expectedVersion": 1, "roles": ["HOSPITALITY_VOLUNTEER"], "phone": "", "alias": "Mari"},
        admin, MEMBER,
    )  # fmt: skip
    assert (changed["member"]["roles"], changed["member"]["phone"], changed["member"]["alias"]) == (
        ["HOSPITALITY_VOLUNTEER"], None, "Mari",
    )  # fmt: skip
    completed = datetime.now(UTC) - timedelta(days=30)
    training = {
        "memberId": made["id"], "kind": "HOSPITALITY", "completedAt": completed.isoformat(),
        "expiresAt": (completed + timedelta(days=365)).isoformat(),
    }  # fmt: skip
    recorded = (await ok(client, "trainingRecord", training, admin, TRAINING))["training"]
    assert (recorded["kind"], recorded["isCurrent"], recorded["member"]) == ("HOSPITALITY", True, {"id": made["id"]})
    gone = await ok(client, "memberDeactivate", {"id": made["id"], "expectedVersion": 2}, admin, MEMBER)
    assert (gone["member"]["active"], gone["member"]["trainings"]) == (False, [{"kind": "HOSPITALITY"}])
    audit = await mutation_audit(db, admin)
    assert sorted((name, outcome) for name, outcome, _ in audit) == [
        ("memberCreate", AuditOutcome.ALLOWED),
        ("memberDeactivate", AuditOutcome.ALLOWED),
        ("memberUpdate", AuditOutcome.ALLOWED),
        ("trainingRecord", AuditOutcome.ALLOWED),
    ]
    stored = await db.scalar(select(Member).where(Member.email == email))
    assert stored is not None
    assert all(ids == [stored.id] for name, _, ids in audit if name != "trainingRecord")


async def test_role_changes_apply_on_the_members_next_request(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await org_admin(db, OrganizationKind.COMMUNITY_GROUP)
    organizer = await actor(db, await organization_of(db, admin), Role.ORGANIZER)
    await ok(client, "advocacyActionPlan", _plan(), organizer, "advocacyAction { id }")
    values = {"id": gid(organizer.member), "roles": ["ACCOMPANIER"]}
    await ok(client, "memberUpdate", values, admin, MEMBER)
    await forbidden(client, "advocacyActionPlan", _plan(), organizer)  # same token, next request
    await ok(client, "memberUpdate", values | {"roles": ["ORGANIZER"]}, admin, MEMBER)
    await ok(client, "advocacyActionPlan", _plan(), organizer, "advocacyAction { id }")


async def test_a_deactivated_members_token_stops_working_on_the_next_request(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    volunteer = await actor(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    assert "errors" not in await gql(client, ME, token=volunteer.token)
    await ok(client, "memberDeactivate", {"id": gid(volunteer.member)}, admin, MEMBER)
    response = await client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {volunteer.token}"})
    assert response.status_code == 401


async def test_admins_cannot_deactivate_themselves_or_remove_the_last_admin(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    error = await user_error(client, "memberDeactivate", {"id": gid(admin.member)}, admin, MEMBER)
    assert (error["code"], error["field"]) == ("CANNOT_DEACTIVATE_SELF", "id")
    demote = {"id": gid(admin.member), "roles": ["SANCTUARY_COORDINATOR"]}
    error = await user_error(client, "memberUpdate", demote, admin, MEMBER)
    assert (error["code"], error["field"]) == ("LAST_ADMIN", "roles")
    await db.refresh(admin.member)
    assert (admin.member.roles, admin.member.active, admin.member.version) == (["ORG_ADMIN"], True, 1)
    # with a second admin, stepping down is fine
    await actor(db, await organization_of(db, admin), Role.ORG_ADMIN)
    assert (await ok(client, "memberUpdate", demote, admin, MEMBER))["member"]["roles"] == ["SANCTUARY_COORDINATOR"]


async def test_a_partner_app_cannot_deactivate_the_last_admin(db: AsyncSession) -> None:
    admin = await org_admin(db)
    app = Viewer(organization_id=admin.member.organization_id, organization_kind=OrganizationKind.CONGREGATION,
                 roles=frozenset({Role.ORG_ADMIN}), client_id="partner")  # fmt: skip
    with pytest.raises(UserFacingError) as raised:
        await admin_members.deactivate_member(db, app, admin.member.id, None)
    assert raised.value.code == "LAST_ADMIN"


async def test_org_admin_cannot_touch_members_of_another_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    stranger = await factories.member(db, await factories.organization(db), Role.ORG_ADMIN, alias="Stranger")
    calls: list[tuple[str, dict[str, Any], str]] = [
        ("memberUpdate", {"id": gid(stranger), "roles": []}, "id"),
        ("memberDeactivate", {"id": gid(stranger)}, "id"),
        ("trainingRecord", {"memberId": gid(stranger), "kind": "HOSPITALITY",
                            "completedAt": datetime.now(UTC).isoformat()}, "memberId"),
        ("memberUpdate", {"id": encode_global_id("Member", uuid.uuid4()), "alias": "X"}, "id"),
    ]  # fmt: skip
    for name, values, field in calls:
        error = await user_error(client, name, values, admin, MEMBER if name != "trainingRecord" else TRAINING)
        assert (error["code"], error["field"]) == ("NOT_FOUND", field)
    await db.refresh(stranger)
    assert (stranger.roles, stranger.active, stranger.version, stranger.alias) == (["ORG_ADMIN"], True, 1, "Stranger")
    assert await db.scalar(select(func.count()).where(Training.member_id == stranger.id)) == 0


@pytest.mark.parametrize(
    ("kind", "overrides", "code", "field"),
    [
        ("CONGREGATION", {"email": "not-an-email"}, "INVALID_INPUT", "email"),
        ("CONGREGATION", {"email": "two@@example.test"}, "INVALID_INPUT", "email"),
        ("CONGREGATION", {"languages": [f"l{i:03d}" for i in range(101)]}, "INVALID_INPUT", "languages"),
        ("CONGREGATION", {"languages": ["es", "es"]}, "INVALID_INPUT", "languages"),
        ("CONGREGATION", {"alias": " "}, "INVALID_INPUT", "alias"),
        ("CONGREGATION", {"legalName": "n" * 201}, "INVALID_INPUT", "legalName"),
        ("CONGREGATION", {"phone": "call me"}, "INVALID_INPUT", "phone"),
        ("CONGREGATION", {"roles": ["ORG_ADMIN", "ORG_ADMIN"]}, "INVALID_INPUT", "roles"),
        ("CONGREGATION", {"roles": ["NETWORK_COORDINATOR"]}, "ROLE_NOT_ALLOWED", "roles"),
        ("CONGREGATION", {"roles": ["RR_DISPATCHER"]}, "ROLE_NOT_ALLOWED", "roles"),
        ("LEGAL_AID", {"roles": ["LEGAL_ADVOCATE", "SANCTUARY_COORDINATOR"]}, "ROLE_NOT_ALLOWED", "roles"),
        ("RAPID_RESPONSE", {"roles": ["HOSPITALITY_VOLUNTEER"]}, "ROLE_NOT_ALLOWED", "roles"),
        ("COMMUNITY_GROUP", {"roles": ["LEGAL_ADVOCATE"]}, "ROLE_NOT_ALLOWED", "roles"),
        ("CONGREGATION", {"regionId": encode_global_id("Region", uuid.uuid4())}, "REGION_NOT_FOUND", "regionId"),
        ("CONGREGATION", {"idempotencyKey": "k" * 201}, "INVALID_INPUT", "idempotencyKey"),
    ],
)
async def test_bad_member_input_is_a_user_error_naming_the_field_and_creates_nothing(
    client: httpx.AsyncClient, db: AsyncSession, kind: str, overrides: dict[str, Any], code: str, field: str
) -> None:
    admin = await org_admin(db, OrganizationKind(kind))
    values = _new(**overrides)
    error = await user_error(client, "memberCreate", values, admin, MEMBER)
    assert (error["code"], error["field"]) == (code, field)
    assert "Marisol" not in error["message"]
    assert "555" not in error["message"]
    assert await db.scalar(select(func.count()).where(Member.organization_id == admin.member.organization_id)) == 1


@pytest.mark.parametrize(
    ("kind", "roles"),
    [("NETWORK_HUB", ["NETWORK_COORDINATOR", "RR_DISPATCHER", "AUDITOR"]), ("LEGAL_AID", ["LEGAL_ADVOCATE", "ACCOMPANIER"]),
     ("RAPID_RESPONSE", ["RR_DISPATCHER", "RR_RESPONDER"]), ("COMMUNITY_GROUP", ["ORGANIZER", "ACCOMPANIMENT_COORDINATOR"]),
     ("CONGREGATION", ["SANCTUARY_COORDINATOR", "HOSPITALITY_VOLUNTEER", "ORG_ADMIN"])],
)  # fmt: skip
async def test_roles_that_fit_the_organization_kind_are_granted(
    client: httpx.AsyncClient, db: AsyncSession, kind: str, roles: list[str]
) -> None:
    admin = await org_admin(db, OrganizationKind(kind))
    made = await ok(client, "memberCreate", _new(roles=roles), admin, MEMBER)
    assert made["member"]["roles"] == sorted(roles)


def test_the_role_table_covers_every_role_and_confines_the_powerful_ones() -> None:
    assert set(ROLE_KINDS) == set(Role)
    hub_only = [kind for kind in OrganizationKind if role_fits(Role.NETWORK_COORDINATOR, kind)]
    assert hub_only == [OrganizationKind.NETWORK_HUB]
    assert all(role_fits(Role.ORG_ADMIN, kind) for kind in OrganizationKind)


async def test_emails_are_unique_whatever_their_case_and_creates_replay(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    email = _email()
    values = _new(email=email, idempotencyKey="member-1")
    first = await ok(client, "memberCreate", values, admin, MEMBER)
    assert await ok(client, "memberCreate", values, admin, MEMBER) == first
    other_admin = await org_admin(db)
    taken = await user_error(client, "memberCreate", _new(email=email.upper()), other_admin, MEMBER)
    assert (taken["code"], taken["field"]) == ("EMAIL_TAKEN", "email")
    assert await _members(db, email) == 1


@pytest.mark.parametrize(
    ("completed", "expires", "field"),
    [(2, None, "completedAt"), (-8000, None, "completedAt"), (-10, -20, "expiresAt"), (-10, -10, "expiresAt"),
     (-10, 4000, "expiresAt")],
)  # fmt: skip
async def test_training_dates_must_make_sense(
    client: httpx.AsyncClient, db: AsyncSession, completed: int, expires: int | None, field: str
) -> None:
    admin = await org_admin(db)
    volunteer = await factories.member(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "memberId": gid(volunteer), "kind": "HOSPITALITY", "completedAt": (now + timedelta(days=completed)).isoformat(),
    }  # fmt: skip
    if expires is not None:
        values["expiresAt"] = (now + timedelta(days=expires)).isoformat()
    error = await user_error(client, "trainingRecord", values, admin, TRAINING)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert await db.scalar(select(func.count()).where(Training.member_id == volunteer.id)) == 0


async def test_trainings_replay_and_are_not_recorded_for_inactive_members(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    org = await organization_of(db, admin)
    volunteer = await factories.member(db, org, Role.HOSPITALITY_VOLUNTEER)
    values = {"memberId": gid(volunteer), "kind": "DEESCALATION", "completedAt": "2025-06-01T10:00:00+00:00",
              "idempotencyKey": "t-1"}  # fmt: skip
    first = await ok(client, "trainingRecord", values, admin, TRAINING)
    assert await ok(client, "trainingRecord", values, admin, TRAINING) == first
    assert first["training"]["expiresAt"] is None
    gone = await factories.member(db, org, Role.HOSPITALITY_VOLUNTEER, active=False)
    error = await user_error(client, "trainingRecord", values | {"memberId": gid(gone), "idempotencyKey": None},
                             admin, TRAINING)  # fmt: skip
    assert (error["code"], error["field"]) == ("MEMBER_INACTIVE", "memberId")
    count = select(func.count()).where(Training.member_id.in_([volunteer.id, gone.id]))
    assert await db.scalar(count) == 1


async def test_concurrent_member_updates_one_wins_one_conflicts(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    (admin,), org = await committed_admins(live_sessions)
    async with live_sessions() as session:
        volunteer = await factories.member(session, org, Role.HOSPITALITY_VOLUNTEER, alias="Before")
        await session.commit()
    first = {"id": gid(volunteer), "expectedVersion": 1, "alias": "First"}
    second = {"id": gid(volunteer), "expectedVersion": 1, "languages": ["ht"]}
    bodies = await asyncio.gather(
        call(live_client, "memberUpdate", first, admin, MEMBER),
        call(live_client, "memberUpdate", second, admin, MEMBER),
    )
    results = [body["data"]["memberUpdate"] for body in bodies]
    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [(), ("CONFLICT",)]
    winner = next(r for r in results if not r["userErrors"])["member"]
    async with live_sessions() as session:
        stored = await session.get_one(Member, volunteer.id)
    assert (stored.version, stored.alias, stored.languages) == (2, winner["alias"], winner["languages"])


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    (first, second), org = await committed_admins(live_sessions, 2)
    bodies = await asyncio.gather(
        call(live_client, "memberUpdate", {"id": gid(second.member), "roles": ["ORGANIZER"]}, first, MEMBER),
        call(live_client, "memberUpdate", {"id": gid(first.member), "roles": ["ORGANIZER"]}, second, MEMBER),
    )
    outcomes = sorted(
        "FORBIDDEN" if body.get("errors") else ",".join(e["code"] for e in body["data"]["memberUpdate"]["userErrors"])
        for body in bodies
    )
    # the loser is told LAST_ADMIN, or is no longer an admin by the time its request starts
    assert outcomes in (["", "LAST_ADMIN"], ["", "FORBIDDEN"]), bodies
    async with live_sessions() as session:
        admins = await session.scalar(
            select(func.count()).where(Member.organization_id == org.id, any_(Member.roles) == "ORG_ADMIN")
        )
    assert admins == 1


async def test_concurrent_creates_with_one_email_one_succeeds_the_other_is_told(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    (first, second), _org = await committed_admins(live_sessions, 2)
    email = _email()
    bodies = await asyncio.gather(
        call(live_client, "memberCreate", _new(email=email), first, MEMBER),
        call(live_client, "memberCreate", _new(email=email.upper()), second, MEMBER),
    )
    assert all("errors" not in body for body in bodies), bodies
    results = [body["data"]["memberCreate"] for body in bodies]
    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [(), ("EMAIL_TAKEN",)]
    async with live_sessions() as session:
        assert await _members(session, email) == 1


async def test_an_email_taken_while_the_insert_waits_is_a_user_error_not_a_crash(
    live_sessions: async_sessionmaker[AsyncSession],
) -> None:
    (admin,), org = await committed_admins(live_sessions)
    email = _email()
    viewer = Viewer(member_id=admin.id, organization_id=org.id, organization_kind=org.kind,
                    roles=frozenset({Role.ORG_ADMIN}))  # fmt: skip
    async with live_sessions() as holder, live_sessions() as racer:
        await factories.member(holder, org, email=email)  # inserted, not yet committed
        fields = admin_members.MemberFields(alias="Racer", roles=[])
        attempt = asyncio.create_task(admin_members.create_member(racer, viewer, email, fields))
        await blocked_on_a_lock(live_sessions, attempt)  # the racer passed the check and waits on the unique index
        await holder.commit()
        with pytest.raises(UserFacingError) as raised:
            await attempt
        assert raised.value.code == "EMAIL_TAKEN"
        await racer.rollback()
    async with live_sessions() as session:
        assert await _members(session, email) == 1


async def test_a_demotion_waits_for_a_concurrent_one_and_then_sees_it(
    live_sessions: async_sessionmaker[AsyncSession],
) -> None:
    (first, second), org = await committed_admins(live_sessions, 2)

    def as_admin(who: Any) -> Viewer:
        return Viewer(member_id=who.id, organization_id=org.id, organization_kind=org.kind,
                      roles=frozenset({Role.ORG_ADMIN}))  # fmt: skip

    demote = admin_members.MemberFields(roles=[Role.ORGANIZER])
    async with live_sessions() as one, live_sessions() as other:
        await admin_members.update_member(one, as_admin(first), second.id, demote, None)  # holds the lock
        attempt = asyncio.create_task(admin_members.update_member(other, as_admin(second), first.id, demote, None))
        await blocked_on_a_lock(live_sessions, attempt)  # waits for the first demotion instead of counting two admins
        await one.commit()
        with pytest.raises(UserFacingError) as raised:
            await attempt
        assert raised.value.code == "LAST_ADMIN"
        await other.rollback()


async def test_members_can_be_listed_by_role(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await org_admin(db)
    volunteer = await actor(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    query = "query($org: ID!) { members(first: 10, organization: $org, role: HOSPITALITY_VOLUNTEER) { edges { node { id } } } }"
    body = await gql(client, query, {"org": gid(await organization_of(db, admin))}, token=admin.token)
    assert "errors" not in body, body
    assert [edge["node"]["id"] for edge in body["data"]["members"]["edges"]] == [gid(volunteer.member)]


async def test_who_actively_holds_a_role_is_the_same_rule_in_sql_and_in_python(db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.RAPID_RESPONSE)
    members = [
        await factories.member(db, org, *roles, active=active)
        for roles in [(), (Role.RR_RESPONDER,), (Role.RR_DISPATCHER, Role.ORG_ADMIN), (Role.AUDITOR,)]
        for active in (True, False)
    ]
    for wanted in [(Role.RR_RESPONDER,), (Role.RR_RESPONDER, Role.RR_DISPATCHER), (Role.ORG_ADMIN,)]:
        in_sql = set(
            await db.scalars(select(Member.id).where(Member.organization_id == org.id, active_holders(*wanted)))
        )
        in_python = {m.id for m in members if actively_holds(m, *wanted)}
        assert in_sql == in_python
        assert in_python  # each role set has an active holder, and its inactive twin is left out
        assert len(in_python) < len([m for m in members if not set(wanted).isdisjoint(m.roles)])
