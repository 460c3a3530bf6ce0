"""Advocacy workflow over HTTP: organizers plan, edit, announce, hold or cancel; stories need consent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models import AdvocacyAction, AdvocacyOrganizer
from api.models.enums import AdvocacyStatus, AuditOutcome, Role
from api.schema.engine.ids import encode_global_id
from api.services.advocacy import actions as advocacy
from api.services.shared.lifecycles import AdvocacyActionStep
from tests import factories
from tests.graphql import gid, gql
from tests.proofs import lifecycle_oracle as oracle
from tests.workflow import Actor, actor, call, forbidden, mutation_audit, ok, user_error

SELECT = "advocacyAction { id title status version visibility sanctuaryCase { id } }"
PUBLIC = "{ advocacyActions(first: 10) { edges { node { id title } } } }"


def _plan(**overrides: Any) -> dict[str, Any]:
    starts = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    return {"title": "Vigil for Ana", "kind": "VIGIL", "level": "LOCAL", "startsAt": starts, "visibility": "PUBLIC"} | (
        overrides
    )


async def _organizer(db: AsyncSession) -> Actor:
    return await actor(db, await factories.organization(db), Role.ORGANIZER)


async def _action(db: AsyncSession, who: Actor, status: AdvocacyStatus = AdvocacyStatus.PLANNED) -> AdvocacyAction:
    row = AdvocacyAction(
        id=uuid.uuid4(), organization_id=who.member.organization_id, title="Call-in", kind="CALL_IN", level="STATE",
        starts_at=datetime.now(UTC) + timedelta(days=3), visibility="NETWORK", status=status,
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row


async def test_organizer_plans_announces_and_holds_an_action_that_the_public_then_sees(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    organizer = await _organizer(db)
    partner = await factories.organization(db)
    planned = await ok(
        client, "advocacyActionPlan", _plan(coOrganizerIds=[gid(partner)]), organizer, SELECT
    )  # fmt: skip
    action = planned["advocacyAction"]
    assert (action["status"], action["version"]) == ("PLANNED", 1)
    assert (await gql(client, PUBLIC))["data"]["advocacyActions"]["edges"] == []  # not announced yet
    edited = await ok(
        client, "advocacyActionUpdate", {"id": action["id"], "expectedVersion": 1, "title": "Vigil at City Hall"},
        organizer, SELECT,
    )  # fmt: skip
    assert (edited["advocacyAction"]["title"], edited["advocacyAction"]["version"]) == ("Vigil at City Hall", 2)
    announced = await ok(
        client, "advocacyActionTransition", {"id": action["id"], "step": "ANNOUNCE", "expectedVersion": 2},
        organizer, SELECT,
    )  # fmt: skip
    assert announced["advocacyAction"]["status"] == "ANNOUNCED"
    public = (await gql(client, PUBLIC))["data"]["advocacyActions"]["edges"]
    assert [edge["node"]["title"] for edge in public] == ["Vigil at City Hall"]
    held = await ok(client, "advocacyActionTransition", {"id": action["id"], "step": "HOLD"}, organizer, SELECT)
    assert held["advocacyAction"]["status"] == "HELD"
    co = await db.scalar(
        select(func.count()).select_from(AdvocacyOrganizer).where(AdvocacyOrganizer.organization_id == partner.id)
    )
    assert co == 1
    audit = await mutation_audit(db, organizer)
    assert sorted((name, outcome) for name, outcome, _ in audit) == [
        ("advocacyActionPlan", AuditOutcome.ALLOWED),
        ("advocacyActionTransition", AuditOutcome.ALLOWED),
        ("advocacyActionTransition", AuditOutcome.ALLOWED),
        ("advocacyActionUpdate", AuditOutcome.ALLOWED),
    ]
    assert all(ids == audit[0][2] for _, _, ids in audit)  # each names the action


@pytest.mark.parametrize("status", list(AdvocacyStatus))
@pytest.mark.parametrize("step", list(AdvocacyActionStep))
async def test_every_state_and_step(
    client: httpx.AsyncClient, db: AsyncSession, status: AdvocacyStatus, step: AdvocacyActionStep
) -> None:
    organizer = await _organizer(db)
    row = await _action(db, organizer, status)
    values = {"id": gid(row), "step": step.value, "expectedVersion": 1}
    if oracle.allowed(oracle.ADVOCACY_ACTION, status, step):
        payload = await ok(client, "advocacyActionTransition", values, organizer, SELECT)
        assert payload["advocacyAction"]["status"] == oracle.target(oracle.ADVOCACY_ACTION, status, step)
        assert payload["advocacyAction"]["version"] == 2
    else:
        error = await user_error(client, "advocacyActionTransition", values, organizer, SELECT)
        assert error["code"] == "ILLEGAL_TRANSITION"
        await db.refresh(row)
        assert (row.status, row.version) == (status, 1)


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.ORGANIZER}))
async def test_other_roles_may_not_plan_or_move_actions(
    client: httpx.AsyncClient, db: AsyncSession, role: Role
) -> None:
    organizer = await _organizer(db)
    row = await _action(db, organizer)
    other = await actor(db, await factories.organization(db, region_id=None), role)
    await forbidden(client, "advocacyActionPlan", _plan(), other)
    await forbidden(client, "advocacyActionTransition", {"id": gid(row), "step": "CANCEL"}, other)
    await db.refresh(row)
    assert row.status is AdvocacyStatus.PLANNED


async def test_organizer_of_another_organization_cannot_touch_the_action(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    owner, stranger = await _organizer(db), await _organizer(db)
    row = await _action(db, owner)
    for name, values in [
        ("advocacyActionUpdate", {"id": gid(row), "title": "Hijacked"}),
        ("advocacyActionTransition", {"id": gid(row), "step": "CANCEL"}),
        ("advocacyActionUnlinkCase", {"id": gid(row)}),
    ]:
        error = await user_error(client, name, values, stranger, SELECT)
        assert (error["code"], error["field"]) == ("NOT_FOUND", "id")
    await db.refresh(row)
    assert (row.title, row.status, row.version) == ("Call-in", AdvocacyStatus.PLANNED, 1)


async def test_stale_version_is_a_conflict_and_changes_nothing(client: httpx.AsyncClient, db: AsyncSession) -> None:
    organizer = await _organizer(db)
    row = await _action(db, organizer)
    await ok(client, "advocacyActionUpdate", {"id": gid(row), "expectedVersion": 1, "place": "Main St"}, organizer)
    error = await user_error(
        client, "advocacyActionUpdate", {"id": gid(row), "expectedVersion": 1, "title": "Other"}, organizer, SELECT
    )
    assert (error["code"], error["field"]) == ("CONFLICT", "expectedVersion")
    await db.refresh(row)
    assert (row.title, row.place, row.version) == ("Call-in", "Main St", 2)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": "   "}, "title"),
        ({"place": "p" * 301}, "place"),
        ({"startsAt": "2026-12-01T10:00:00"}, "startsAt"),
        ({"startsAt": "1999-12-01T10:00:00+00:00"}, "startsAt"),
        ({"coOrganizerIds": [encode_global_id("Organization", uuid.uuid4()) for _ in range(21)]}, "coOrganizerIds"),
        ({"idempotencyKey": "k" * 201}, "idempotencyKey"),
    ],
)
async def test_bad_input_is_a_user_error_naming_the_field_and_creates_nothing(
    client: httpx.AsyncClient, db: AsyncSession, overrides: dict[str, Any], field: str
) -> None:
    organizer = await _organizer(db)
    error = await user_error(client, "advocacyActionPlan", _plan(**overrides), organizer, SELECT)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert "x" * 20 not in error["message"]
    count = select(func.count()).where(AdvocacyAction.organization_id == organizer.member.organization_id)
    assert await db.scalar(count) == 0


async def test_unknown_enum_value_is_a_graphql_error_without_the_value(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    organizer = await _organizer(db)
    body = await call(client, "advocacyActionPlan", _plan(kind="SECRET_KIND_VALUE"), organizer)
    assert body["errors"]
    assert "SECRET_KIND_VALUE" not in str(body["errors"])


async def test_linking_a_case_needs_public_story_consent(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    organizer = await _organizer(db)
    row = await _action(db, organizer)
    host = await factories.congregation(db)
    guest = await factories.person(db, sealer, await factories.organization(db))
    case = await factories.sanctuary_case(db, sealer, host, guest)
    values = {"id": gid(row), "sanctuaryCaseId": gid(case)}
    # without consent the organizer may not even see the case
    assert (await user_error(client, "advocacyActionLinkCase", values, organizer, SELECT))["code"] == "CASE_NOT_FOUND"
    case.public_story_consent = True
    await db.flush()
    linked = await ok(client, "advocacyActionLinkCase", values, organizer, SELECT)
    assert linked["advocacyAction"]["sanctuaryCase"] == {"id": gid(case)}
    # withdrawing consent unlinks it from actions that have not happened yet
    case.public_story_consent = False
    await db.flush()
    assert await advocacy.unlink_withdrawn_consent(db, case.id) == 1
    await db.refresh(row)
    assert row.sanctuary_case_id is None


async def test_replayed_create_returns_the_first_result_and_creates_nothing_new(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    organizer = await _organizer(db)
    values = _plan(idempotencyKey="plan-42")
    first = await ok(client, "advocacyActionPlan", values, organizer, SELECT)
    again = await ok(client, "advocacyActionPlan", values, organizer, SELECT)
    assert first == again
    other = await user_error(client, "advocacyActionPlan", values | {"title": "Different"}, organizer, SELECT)
    assert (other["code"], other["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    count = select(func.count()).where(AdvocacyAction.organization_id == organizer.member.organization_id)
    assert await db.scalar(count) == 1
    # keys belong to their caller: another organizer with the same key creates its own
    colleague = await actor(db, await factories.organization(db), Role.ORGANIZER)
    theirs = await ok(client, "advocacyActionPlan", values, colleague, SELECT)
    assert theirs["advocacyAction"]["id"] != first["advocacyAction"]["id"]


async def test_failure_after_the_first_write_leaves_nothing_but_the_audit_event(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    organizer = await _organizer(db)
    partner = await factories.organization(db)

    async def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(advocacy, "_add_co_organizers", broken)  # runs after the action row was flushed
    body = await call(client, "advocacyActionPlan", _plan(coOrganizerIds=[gid(partner)]), organizer, SELECT)
    assert body["errors"][0]["message"].startswith("Internal server error")
    assert "disk on fire" not in str(body)
    count = select(func.count()).where(AdvocacyAction.organization_id == organizer.member.organization_id)
    assert await db.scalar(count) == 0
    assert [(n, o) for n, o, _ in await mutation_audit(db, organizer)] == [("advocacyActionPlan", AuditOutcome.FAILED)]


async def _live_organizer(live_sessions: async_sessionmaker[AsyncSession]) -> tuple[Actor, AdvocacyAction]:
    async with live_sessions() as session:
        organizer = await _organizer(session)
        row = await _action(session, organizer)
        await session.commit()
    return organizer, row


async def test_concurrent_updates_one_wins_one_conflicts_nothing_lost(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    organizer, row = await _live_organizer(live_sessions)
    first = {"id": gid(row), "expectedVersion": 1, "title": "First"}
    second = {"id": gid(row), "expectedVersion": 1, "place": "Second"}
    bodies = await asyncio.gather(
        call(live_client, "advocacyActionUpdate", first, organizer, SELECT),
        call(live_client, "advocacyActionUpdate", second, organizer, SELECT),
    )
    results = [body["data"]["advocacyActionUpdate"] for body in bodies]
    codes = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
    assert codes == [(), ("CONFLICT",)]
    async with live_sessions() as session:
        stored = await session.get_one(AdvocacyAction, row.id)
    winner = next(r for r in results if not r["userErrors"])["advocacyAction"]
    assert (stored.version, stored.title, stored.place) == (
        2,
        winner["title"],
        "Second" if winner["title"] == "Call-in" else None,
    )


async def test_concurrent_replays_of_one_key_create_one_action(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession]
) -> None:
    organizer, _ = await _live_organizer(live_sessions)
    values = _plan(idempotencyKey=f"burst-{uuid.uuid4()}")
    bodies = await asyncio.gather(
        *(call(live_client, "advocacyActionPlan", values, organizer, SELECT) for _ in range(3))
    )
    ids = {body["data"]["advocacyActionPlan"]["advocacyAction"]["id"] for body in bodies}
    assert len(ids) == 1
    async with live_sessions() as session:
        count = select(func.count()).where(AdvocacyAction.organization_id == organizer.member.organization_id)
        assert await session.scalar(count) == 2  # the fixture's action and this one
