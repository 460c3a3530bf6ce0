"""Invitations and passkey ceremonies, server-side: enrollment, sign-in, refusals, recovery, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditEvent, Member, MemberInvitation, Passkey, SigninSession
from api.models.enums import AuditOutcome, Role
from api.signin.sessions import COOKIE
from tests import factories
from tests.graphql import gid
from tests.network.factories import org_admin, organization_of
from tests.signin.authenticator import SoftAuthenticator
from tests.signin.ceremony import ORIGIN, csrf, enroll, invite, post, sign_in
from tests.workflow import ok, user_error


async def _invited(db: AsyncSession, client: httpx.AsyncClient, **values: object) -> tuple[Member, str]:
    admin = await org_admin(db)
    member = await factories.member(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    return member, await invite(client, admin, member, **values)


async def test_invitation_page_enrolls_a_passkey_then_sign_out_and_sign_in(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member, path = await _invited(db, client)
    page = await client.get(path, headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<html lang="es">' in page.text
    assert 'for="passkey-name"' in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    token = await csrf(client, path)
    options = (await post(client, f"{path}/options", token, {})).json()["publicKey"]
    assert options["rp"]["id"] == "127.0.0.1"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    key = SoftAuthenticator(ORIGIN)
    enrolled = await enroll(client, path, key, name="my phone")
    assert enrolled.status_code == 200, enrolled.text
    assert "httponly" in enrolled.headers["set-cookie"].lower()
    assert "samesite=lax" in enrolled.headers["set-cookie"].lower()
    account = await client.get("/signin/account")
    assert account.status_code == 200
    assert "my phone" in account.text
    token = await csrf(client, "/signin/account")
    out = await client.post("/signin/signout", data={"csrf": token})
    assert out.status_code == 303
    assert (await client.get("/signin/account")).status_code == 303
    signed = await sign_in(client, key)
    assert signed.status_code == 200, signed.text
    assert (await client.get("/signin/account")).status_code == 200
    sessions = list(await db.scalars(select(SigninSession).where(SigninSession.member_id == member.id)))
    assert sorted(s.revoked_at is None for s in sessions) == [False, True]
    assert (await db.scalar(select(Passkey.sign_count).where(Passkey.member_id == member.id)) or 0) > 0
    events = (
        await db.execute(
            select(AuditEvent.fields, AuditEvent.outcome).where(
                AuditEvent.operation_name == "signin", AuditEvent.actor_member_id == member.id
            )
        )
    ).all()
    assert sorted(f[0] for f, _ in events) == ["signin.enroll", "signin.passkey", "signin.signout"]


async def test_a_used_or_expired_invitation_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    _member, path = await _invited(db, client)
    assert (await enroll(client, path, SoftAuthenticator(ORIGIN))).status_code == 200
    assert (await client.get(path)).status_code == 404  # used
    other, second = await _invited(db, client)
    await db.execute(
        update(MemberInvitation)
        .where(MemberInvitation.member_id == other.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    assert (await client.get(second)).status_code == 404  # expired
    assert (await client.get(second.replace("sninv_", "sninv_x"))).status_code == 404  # unknown


async def test_a_replayed_registration_or_assertion_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    _member, path = await _invited(db, client)
    key = SoftAuthenticator(ORIGIN)
    token = await csrf(client, path)
    body = (await post(client, f"{path}/options", token, {})).json()
    answer = {"challengeId": body["challengeId"], "credential": key.create(body["publicKey"]), "name": "k"}
    wrong = SoftAuthenticator("http://evil.example")
    refused = await post(client, path, token, answer | {"credential": wrong.create(body["publicKey"])})
    assert refused.status_code == 400  # wrong origin, and the challenge is spent
    assert (await post(client, path, token, answer)).status_code == 400
    assert (await enroll(client, path, key)).status_code == 200
    assert (await sign_in(client, key)).status_code == 200
    replay = await sign_in(client, key, count=key.sign_count)  # the same sign count again: a cloned key
    unknown = await sign_in(client, SoftAuthenticator(ORIGIN))
    assert (replay.status_code, replay.json()) == (unknown.status_code, unknown.json()) == (400, {"error": "refused"})


async def test_an_admin_cannot_invite_another_organizations_member(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await org_admin(db)
    stranger = await factories.member(db, await factories.organization(db), Role.HOSPITALITY_VOLUNTEER)
    error = await user_error(client, "memberInvite", {"memberId": gid(stranger)}, admin, "link")
    assert error["code"] == "NOT_FOUND"


async def test_recovery_revokes_old_passkeys_only_when_asked(client: httpx.AsyncClient, db: AsyncSession) -> None:
    admin = await org_admin(db)
    member = await factories.member(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    first, second, third = (SoftAuthenticator(ORIGIN) for _ in range(3))
    assert (await enroll(client, await invite(client, admin, member), first)).status_code == 200
    assert (await enroll(client, await invite(client, admin, member), second)).status_code == 200
    assert (await sign_in(client, first)).status_code == 200  # both kept
    path = await invite(client, admin, member, revokePasskeys=True)
    assert (await enroll(client, path, third)).status_code == 200
    assert (await sign_in(client, first)).status_code == 400
    assert (await sign_in(client, second)).status_code == 400
    assert (await sign_in(client, third)).status_code == 200


async def test_deactivating_a_member_ends_their_sessions_and_invitations(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    member = await factories.member(db, await organization_of(db, admin), Role.HOSPITALITY_VOLUNTEER)
    assert (await enroll(client, await invite(client, admin, member), SoftAuthenticator(ORIGIN))).status_code == 200
    assert (await client.get("/signin/account")).status_code == 200
    pending = await invite(client, admin, member)
    await ok(client, "memberDeactivate", {"id": gid(member)}, admin, "member { active }")
    assert (await client.get(pending)).status_code == 404
    live = (
        MemberInvitation.member_id == member.id,
        MemberInvitation.used_at.is_(None),
        MemberInvitation.expires_at > datetime.now(UTC),
    )
    assert await db.scalar(select(func.count()).where(*live)) == 0  # gone, even if reactivated one day
    assert (await client.get("/signin/account")).status_code == 303
    assert client.cookies.get(COOKIE)
    assert await db.scalar(select(SigninSession.revoked_at).where(SigninSession.member_id == member.id)) is not None


async def test_forms_without_the_csrf_token_are_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    _member, path = await _invited(db, client)
    await csrf(client, path)
    assert (await client.post(f"{path}/options", json={})).status_code == 403
    assert (await client.post("/signin/options", json={}, headers={"X-CSRF-Token": "x" * 43})).status_code == 403
    token = await csrf(client, "/signin")
    foreign = await client.post(
        "/signin/options", json={}, headers={"X-CSRF-Token": token, "Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    denied = await db.scalar(
        select(AuditEvent)
        .where(AuditEvent.operation_name == "signin", AuditEvent.outcome == AuditOutcome.DENIED)
        .limit(1)
    )
    assert denied is None  # nothing was attempted


async def test_a_member_renames_and_removes_only_their_own_passkeys(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db)
    org = await organization_of(db, admin)
    other = await factories.member(db, org, Role.HOSPITALITY_VOLUNTEER)
    assert (await enroll(client, await invite(client, admin, other), SoftAuthenticator(ORIGIN))).status_code == 200
    theirs = await db.scalar(select(Passkey.id).where(Passkey.member_id == other.id))
    member = await factories.member(db, org, Role.HOSPITALITY_VOLUNTEER)
    assert (await enroll(client, await invite(client, admin, member), SoftAuthenticator(ORIGIN))).status_code == 200
    mine = await db.scalar(select(Passkey.id).where(Passkey.member_id == member.id))
    token = await csrf(client, "/signin/account?lang=es")
    assert (await client.get("/signin/account")).text.startswith('<!doctype html><html lang="es">')  # the switch sticks
    await client.post(f"/signin/passkeys/{mine}/rename", data={"csrf": token, "name": "llave azul"})
    await client.post(f"/signin/passkeys/{theirs}/remove", data={"csrf": token})
    assert "llave azul" in (await client.get("/signin/account")).text
    assert await db.scalar(select(Passkey.id).where(Passkey.id == theirs)) == theirs  # not theirs to remove
    await client.post(f"/signin/passkeys/{mine}/remove", data={"csrf": token})
    assert await db.scalar(select(Passkey.id).where(Passkey.id == mine)) is None
