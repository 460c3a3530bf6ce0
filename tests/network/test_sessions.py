"""mySessions and ending sessions: one's own only; an org admin ends a member's; ids of others read as missing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.models import AuditEvent, Member, OAuthSession, Organization, SigninSession
from api.models.enums import AuditOutcome, Role
from api.schema.engine.ids import encode_global_id
from api.signin.sessions import start_session
from tests import factories
from tests.graphql import gid, gql
from tests.network.factories import org_admin, organization_of
from tests.recent_signin import sign_in_every_member
from tests.workflow import Actor, actor, ok, user_error

SESSIONS = "{ mySessions { id kind appName deviceName createdAt lastUsedAt current } }"


async def _app_session(db: AsyncSession, member: Member, client_id: uuid.UUID | None, device: str) -> OAuthSession:
    row = OAuthSession(
        id=uuid.uuid4(), member_id=member.id, client_id=client_id, grant_type="authorization_code",
        scopes=["read"], device_name=device, last_used_at=datetime.now(UTC),
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row


async def _sessions_of(db: AsyncSession, who: Actor) -> dict[str, Any]:
    """A browser sign-in, a GraphiQL session and a partner app's session of ``who``."""
    browser, _cookie = await start_session(db, who.member, device_name="Firefox", lifetime=timedelta(hours=1))
    app, _secret = await create_client(
        db, await db.get_one(Organization, who.member.organization_id), name="Legal Aid Portal",
        scopes=["read"], max_roles=[Role.ORGANIZER.value],
    )  # fmt: skip
    graphiql = await _app_session(db, who.member, None, "Chromium")
    partner = await _app_session(db, who.member, app.id, "Pixel")
    await db.commit()
    return {"browser": browser, "graphiql": graphiql, "partner": partner}


async def _organizer(db: AsyncSession) -> Actor:
    return await actor(db, await factories.organization(db), Role.ORGANIZER)


async def test_a_member_lists_their_own_live_sessions_only(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    who, other = await _organizer(db), await _organizer(db)
    mine = await _sessions_of(db, who)
    await _sessions_of(db, other)  # someone else's: never listed
    ended = await _app_session(db, who.member, None, "Old laptop")
    ended.revoked_at = datetime.now(UTC)
    await db.commit()
    sign_in_every_member(monkeypatch, session_id=mine["graphiql"].id)

    listed = (await gql(client, SESSIONS, token=who.token))["data"]["mySessions"]

    by_device = {item["deviceName"]: item for item in listed}
    assert set(by_device) == {"Firefox", "Chromium", "Pixel"}
    assert (by_device["Firefox"]["kind"], by_device["Firefox"]["appName"]) == ("BROWSER", None)
    assert (by_device["Chromium"]["appName"], by_device["Chromium"]["current"]) == ("GraphiQL", True)
    assert (by_device["Pixel"]["appName"], by_device["Pixel"]["current"]) == ("Legal Aid Portal", False)
    assert by_device["Pixel"]["id"] == encode_global_id("AppSession", mine["partner"].id)
    assert (await gql(client, SESSIONS))["errors"]  # anonymous callers do not have the field


async def test_ending_one_session_and_all_but_the_current_one(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    who = await _organizer(db)
    mine = await _sessions_of(db, who)
    sign_in_every_member(monkeypatch, session_id=mine["graphiql"].id)

    await ok(client, "mySessionEnd", {"id": encode_global_id("AppSession", mine["partner"].id)}, who)
    await db.refresh(mine["partner"])
    assert (mine["partner"].revoked_reason, mine["graphiql"].revoked_at) == ("ENDED_BY_MEMBER", None)

    payload = await ok(client, "mySessionsEnd", {"exceptCurrent": True}, who, "ended")
    assert payload["ended"] == 1  # the browser; the current GraphiQL session stays
    await db.refresh(mine["browser"])
    await db.refresh(mine["graphiql"])
    assert (mine["browser"].revoked_reason, mine["graphiql"].revoked_at) == ("ENDED_BY_MEMBER", None)

    assert (await ok(client, "mySessionsEnd", {}, who, "ended"))["ended"] == 1
    await db.refresh(mine["graphiql"])
    assert mine["graphiql"].revoked_at is not None
    events = (await db.scalars(select(AuditEvent).where(AuditEvent.actor_member_id == who.id))).all()
    ended_one = [e for e in events if "mySessionEnd" in e.fields]
    assert [e.record_ids for e in ended_one] == [[mine["partner"].id]]  # ids only


async def test_another_members_session_reads_like_a_missing_one(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    who, other = await _organizer(db), await _organizer(db)
    theirs = await _sessions_of(db, other)
    sign_in_every_member(monkeypatch)
    errors = []
    for value in (
        encode_global_id("AppSession", theirs["partner"].id),
        encode_global_id("BrowserSession", theirs["browser"].id),
        encode_global_id("AppSession", uuid.uuid4()),
    ):
        errors.append(await user_error(client, "mySessionEnd", {"id": value}, who))
    assert all(error == errors[-1] for error in errors)
    assert errors[-1]["code"] == "NOT_FOUND"
    for row in theirs.values():
        await db.refresh(row)
        assert row.revoked_at is None


async def test_an_org_admin_ends_every_session_of_a_member_of_their_organization_only(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    member = await actor(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    stranger = await _organizer(db)
    mine, theirs = await _sessions_of(db, member), await _sessions_of(db, stranger)

    refused = [
        await user_error(client, "memberSessionsEnd", {"memberId": gid(stranger.member)}, admin),
        await user_error(client, "memberSessionsEnd", {"memberId": encode_global_id("Member", uuid.uuid4())}, admin),
    ]
    assert refused[0] == refused[1]
    assert refused[0]["code"] == "NOT_FOUND"
    for row in theirs.values():
        await db.refresh(row)
        assert row.revoked_at is None

    payload = await ok(client, "memberSessionsEnd", {"memberId": gid(member.member)}, admin, "ended")
    assert payload["ended"] == 3
    for row in mine.values():
        await db.refresh(row)
        assert row.revoked_reason == "ENDED_BY_ADMIN"
    cookie_session = await db.scalar(select(SigninSession).where(SigninSession.member_id == member.id))
    assert cookie_session is not None
    assert cookie_session.revoked_at is not None
    [event] = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.actor_member_id == admin.id, AuditEvent.outcome == AuditOutcome.ALLOWED)
        )
    ).all()
    assert event.record_ids == [member.id]
