"""Refresh tokens rotate on every use; a spent one presented again ends the whole chain (a stolen copy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import any_, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditEvent, OAuthRefreshToken, OAuthSession
from api.models.enums import AuditOutcome, OrganizationKind, Role
from tests import factories
from tests.canaries import canary
from tests.oauth.flows import (
    authorize_url,
    browser,
    exchange,
    me,
    partner_app,
    pkce,
    refresh,
    returned,
    run_authorize,
    sign_in_directly,
    tokens_for,
)


async def test_reusing_a_spent_refresh_token_revokes_the_chain(app: object, db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.COMMUNITY_GROUP)
    member = await factories.member(db, org, Role.ORGANIZER)
    app_row, _ = await partner_app(db, org, ["ORGANIZER"])
    async with browser(app) as person:
        first = await tokens_for(db, person, member, app_row.client_id)
        rotated = await refresh(person, app_row.client_id, first["refresh_token"])
        assert rotated.status_code == 200
        second = rotated.json()
        canary(second["refresh_token"])
        canary(second["access_token"])
        assert second["refresh_token"] != first["refresh_token"]
        assert (await me(person, second["access_token"]))["status"] == 200
        reused = await refresh(person, app_row.client_id, first["refresh_token"])  # the thief, or the app
        assert reused.status_code == 400
        assert reused.json()["error"] == "invalid_grant"
        assert first["refresh_token"] not in reused.text
        assert (await refresh(person, app_row.client_id, second["refresh_token"])).status_code == 400
        assert (await me(person, second["access_token"]))["status"] == 401
        assert (await me(person, first["access_token"]))["status"] == 401
    revoked = (await db.execute(select(OAuthSession.revoked_reason, OAuthSession.revoked_at))).one()
    assert revoked.revoked_reason == "refresh_reuse"
    unspent = await db.scalar(select(OAuthRefreshToken.id).where(OAuthRefreshToken.used_at.is_(None)))
    assert unspent is None
    event = (
        await db.execute(
            select(AuditEvent.fields, AuditEvent.outcome, AuditEvent.record_ids).where(
                AuditEvent.actor_member_id == member.id, literal("oauth.refresh_reuse") == any_(AuditEvent.fields)
            )
        )
    ).one()
    assert event.outcome == AuditOutcome.DENIED
    assert len(event.record_ids) == 1  # the session's id, never a token


async def test_a_refresh_token_past_its_lifetime_or_of_another_client_is_refused(app: object, db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.COMMUNITY_GROUP)
    member = await factories.member(db, org, Role.ORGANIZER)
    app_row, _ = await partner_app(db, org, ["ORGANIZER"])
    other, _ = await partner_app(db, org, ["ORGANIZER"])
    async with browser(app) as person:
        token = await tokens_for(db, person, member, app_row.client_id)
        stolen = await refresh(person, other.client_id, token["refresh_token"])
        assert stolen.status_code == 400
        assert "access_token" not in stolen.json()
        await db.execute(update(OAuthRefreshToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        late = await refresh(person, app_row.client_id, token["refresh_token"])
        assert late.status_code == 400
        assert late.json()["error"] == "invalid_grant"


async def test_an_app_revokes_its_refresh_token_and_introspection_follows_the_session(
    app: object, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.COMMUNITY_GROUP)
    member = await factories.member(db, org, Role.ORGANIZER)
    server_app, secret = await partner_app(db, org, ["ORGANIZER"], public=False)  # a confidential web app
    spa, _ = await partner_app(db, org, ["ORGANIZER"])
    async with browser(app) as person:
        await sign_in_directly(db, person, member)
        verifier, challenge = pkce()
        code = returned(await run_authorize(person, authorize_url(server_app.client_id, challenge)))["code"]
        unauthenticated = await exchange(person, server_app.client_id, code, verifier)
        assert unauthenticated.status_code == 401  # a confidential app authenticates
        token = await exchange(person, server_app.client_id, code, verifier, client_secret=secret)
        assert token.status_code == 200, token.text
        tokens = token.json()
        canary(tokens["access_token"])
        canary(tokens["refresh_token"])
        credentials = (server_app.client_id, secret)
        seen = await person.post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=credentials)
        assert seen.json()["active"] is True
        assert seen.json()["sub"] == str(member.id)
        mine = await tokens_for(db, person, member, spa.client_id)
        other = await person.post("/oauth/revoke", data={"token": tokens["refresh_token"], "client_id": spa.client_id})
        assert other.status_code == 200  # RFC 7009: no telling; but another client's token is left alone
        assert (await me(person, tokens["access_token"]))["status"] == 200
        revoked = await person.post("/oauth/revoke", data={"token": mine["refresh_token"], "client_id": spa.client_id})
        assert revoked.status_code == 200
        assert (await me(person, mine["access_token"]))["status"] == 401
        assert (await refresh(person, spa.client_id, mine["refresh_token"])).status_code == 400
        await db.execute(update(OAuthSession).where(OAuthSession.client_id == server_app.id)
                         .values(revoked_at=datetime.now(UTC)))  # fmt: skip
        gone = await person.post("/oauth/introspect", data={"token": tokens["access_token"]}, auth=credentials)
        assert gone.json() == {"active": False}
