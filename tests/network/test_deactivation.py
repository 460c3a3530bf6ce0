"""Deactivation ends everything at once; reactivation gives nothing back (a new invitation is needed)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditEvent, Member, OAuthSession, Passkey, PersonalAccessToken
from api.models.enums import AuditOutcome, Role
from api.schema.engine.ids import encode_global_id
from api.signin.sessions import COOKIE
from tests import factories
from tests.graphql import gid
from tests.network.factories import org_admin, organization_of
from tests.signin.authenticator import SoftAuthenticator
from tests.signin.ceremony import ORIGIN, enroll, invite, sign_in
from tests.workflow import Actor, actor, ok, user_error

ME = "{ me { alias } }"


async def _works(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.post("/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"})
    return response.status_code == 200 and response.json()["data"]["me"] is not None


async def _app_session(db: AsyncSession, member: Member) -> OAuthSession:
    row = OAuthSession(
        id=uuid.uuid4(), member_id=member.id, client_id=None, grant_type="authorization_code", scopes=["read"],
        device_name="Chromium", last_used_at=datetime.now(UTC),
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row


async def _member_with_everything(
    client: httpx.AsyncClient, db: AsyncSession, admin: Actor
) -> tuple[Actor, SoftAuthenticator, OAuthSession]:
    """A member with a personal token, a passkey and a browser session (the client's cookie), an app session."""
    member = await actor(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    key = SoftAuthenticator(ORIGIN)
    assert (await enroll(client, await invite(client, admin, member.member), key)).status_code == 200
    app_session = await _app_session(db, member.member)
    await db.commit()
    assert await _works(client, member.token)
    assert (await client.get("/signin/account")).status_code == 200
    return member, key, app_session


async def _nothing_works(client: httpx.AsyncClient, db: AsyncSession, member: Actor, app_session: OAuthSession) -> None:
    assert not await _works(client, member.token)
    assert (await client.get("/signin/account")).status_code == 303  # the browser session ended
    await db.refresh(app_session)
    assert app_session.revoked_reason == "DEACTIVATED"  # its access and refresh tokens are refused
    revoked = select(func.count()).where(
        PersonalAccessToken.member_id == member.id, PersonalAccessToken.revoked_at.is_(None)
    )
    assert await db.scalar(revoked) == 0


async def test_deactivation_ends_every_credential_and_reactivation_gives_none_back(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    member, key, app_session = await _member_with_everything(client, db, admin)
    cookie = client.cookies.get(COOKIE)

    await ok(client, "memberDeactivate", {"id": gid(member.member)}, admin, "member { active }")
    await _nothing_works(client, db, member, app_session)
    assert (await sign_in(client, key)).status_code == 400

    payload = await ok(client, "memberReactivate", {"id": gid(member.member)}, admin, "member { active }")
    assert payload["member"]["active"] is True
    client.cookies.set(COOKIE, cookie or "")  # the old cookie, kept by the browser
    await _nothing_works(client, db, member, app_session)
    assert await db.scalar(select(func.count()).where(Passkey.member_id == member.id)) == 0
    assert (await sign_in(client, key)).status_code == 400  # its passkey is gone

    again = SoftAuthenticator(ORIGIN)  # a new invitation is the way back
    assert (await enroll(client, await invite(client, admin, member.member), again)).status_code == 200
    assert (await client.get("/signin/account")).status_code == 200
    events = (await db.scalars(select(AuditEvent).where(AuditEvent.actor_member_id == admin.id))).all()
    [event] = [e for e in events if "memberReactivate" in e.fields]
    assert (event.outcome, event.record_ids) == (AuditOutcome.ALLOWED, [member.id])


async def test_reactivation_is_for_deactivated_members_of_ones_own_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    active = await factories.member(db, await organization_of(db, admin), Role.ORGANIZER)
    error = await user_error(client, "memberReactivate", {"id": gid(active)}, admin, "member { id }")
    assert (error["code"], error["field"]) == ("MEMBER_ACTIVE", "id")

    stranger = await factories.member(db, await factories.organization(db), Role.ORGANIZER, active=False)
    refused = await user_error(client, "memberReactivate", {"id": gid(stranger)}, admin, "member { id }")
    missing = await user_error(
        client, "memberReactivate", {"id": encode_global_id("Member", uuid.uuid4())}, admin, "member { id }"
    )
    assert refused == missing
    assert refused["code"] == "NOT_FOUND"
    await db.refresh(stranger)
    assert stranger.active is False
