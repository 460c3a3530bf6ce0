"""Authorization code + PKCE as a partner single-page app runs it with authlib's client, end to end."""

from __future__ import annotations

import html
import re
import secrets

import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from api.auth.access_tokens import viewer_for_access_token
from api.models import AuditEvent, Member, OAuthAuthorizationCode, OAuthRefreshToken, OAuthSession
from api.models.enums import OrganizationKind, Role
from api.signin.sessions import COOKIE
from tests import factories
from tests.canaries import canary
from tests.graphql import gid
from tests.network.factories import org_admin, organization_of
from tests.oauth.flows import (
    ORIGIN,
    SPA,
    AsyncOAuth2Client,
    browser,
    csrf_of,
    hidden_fields,
    me,
    partner_app,
    tokens_for,
)
from tests.signin.authenticator import SoftAuthenticator
from tests.signin.ceremony import csrf, enroll, invite, post


async def test_a_partner_spa_signs_a_person_in_with_authlib_and_refreshes(
    app: object, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    admin = await org_admin(db, OrganizationKind.LEGAL_AID)
    org = await organization_of(db, admin)
    member = await factories.member(db, org, Role.LEGAL_ADVOCATE, Role.ACCOMPANIER)
    app_row, _secret = await partner_app(db, org, ["LEGAL_ADVOCATE", "ACCOMPANIER"])
    path = await invite(client, admin, member)
    async with browser(app) as person, AsyncOAuth2Client(
        client_id=app_row.client_id, redirect_uri=SPA, scope="read", code_challenge_method="S256",
        transport=httpx.ASGITransport(app=app), base_url=ORIGIN,  # type: ignore[arg-type]
    ) as spa:  # fmt: skip
        meta = (await spa.request("GET", "/.well-known/oauth-authorization-server", withhold_token=True)).json()
        assert meta["code_challenge_methods_supported"] == ["S256"]
        verifier = "v" * 20 + canary(secrets.token_urlsafe(40))
        url, state = spa.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
        assert f"code_challenge={create_s256_code_challenge(verifier)}" in url
        key = SoftAuthenticator(ORIGIN)
        assert (await enroll(person, path, key)).status_code == 200
        person.cookies.delete(COOKIE)  # a browser without a session (the person enrolled earlier)
        to_signin = await person.get(url)  # to the sign-in page, which comes back here
        assert to_signin.status_code == 303
        assert to_signin.headers["location"].startswith("/signin?next=")
        signin_page = await person.get(to_signin.headers["location"])
        finish = re.search(r'data-finish="([^"]+)"', signin_page.text)
        assert finish is not None
        assert finish.group(1).startswith("/signin?next=%2Foauth%2Fauthorize%3F")
        token = await csrf(person, "/signin")
        options = (await post(person, "/signin/options", token, {})).json()
        answer = {"challengeId": options["challengeId"], "credential": key.get(options["publicKey"])}
        signed = await post(person, html.unescape(finish.group(1)), token, answer)
        assert signed.status_code == 200
        assert signed.json()["redirect"].startswith("/oauth/authorize?")
        back = await person.get(signed.json()["redirect"])
        assert back.headers["location"].startswith("/signin/consent?")
        screen = await person.get(back.headers["location"])
        assert "Partner frontend" in screen.text
        assert org.name in screen.text
        assert "legal advocate" in screen.text
        assert "accompanier" in screen.text
        assert "form-action 'self' http://127.0.0.1:5173" in screen.headers["content-security-policy"]
        allowed = await person.post("/signin/consent", data=hidden_fields(screen) | {"csrf": csrf_of(screen),
                                                                                  "decision": "allow"})  # fmt: skip
        assert allowed.status_code == 303
        assert allowed.headers["location"].startswith(SPA + "?code=")
        token = await spa.fetch_token(
            meta["token_endpoint"], authorization_response=allowed.headers["location"], state=state,
            code_verifier=verifier,
        )  # fmt: skip
        canary(token["access_token"])
        canary(token["refresh_token"])
        assert token["token_type"].lower() == "bearer"
        assert token["scope"] == "read"
        mine = (await spa.post("/graphql", json={"query": "{ me { id alias } }"})).json()
        assert mine["data"]["me"] == {"id": gid(member), "alias": member.alias}
        first_refresh = token["refresh_token"]
        renewed = await spa.refresh_token(meta["token_endpoint"])
        canary(renewed["access_token"])
        canary(renewed["refresh_token"])
        assert renewed["refresh_token"] != first_refresh
        assert (await me(person, renewed["access_token"]))["data"]["me"]["id"] == gid(member)
    sessions = list(await db.scalars(select(OAuthSession).where(OAuthSession.member_id == member.id)))
    assert [(s.client_id, s.grant_type, s.scopes, s.revoked_at) for s in sessions] == [
        (app_row.id, "authorization_code", ["read"], None)
    ]
    assert sessions[0].last_used_at is not None
    assert sessions[0].auth_time is not None
    codes = list(await db.scalars(select(OAuthAuthorizationCode).where(OAuthAuthorizationCode.member_id == member.id)))
    assert len(codes) == 1
    assert codes[0].used_at is not None
    assert codes[0].session_id == sessions[0].id
    chain = list(await db.scalars(select(OAuthRefreshToken).where(OAuthRefreshToken.session_id == sessions[0].id)))
    assert sorted(t.used_at is None for t in chain) == [False, True]  # the first spent, the second live
    events = list(await db.scalars(select(AuditEvent.fields).where(AuditEvent.actor_member_id == member.id,
                                                                   AuditEvent.operation_name == "oauth")))  # fmt: skip
    assert sorted(f[0] for f in events) == ["oauth.code_exchange", "oauth.consent"]


async def test_the_delegated_token_acts_for_the_person_within_the_apps_ceiling(
    app: Starlette, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    member = await factories.member(db, org, Role.LEGAL_ADVOCATE, Role.ORG_ADMIN)
    narrow, _ = await partner_app(db, org, ["LEGAL_ADVOCATE"])
    async with browser(app) as person:
        token = await tokens_for(db, person, member, narrow.client_id)
    viewer = await viewer_for_access_token(db, app.state.signing_keys, app.state.settings, token["access_token"])
    assert viewer is not None
    assert viewer.member_id == member.id
    assert viewer.roles == {Role.LEGAL_ADVOCATE}
    assert viewer.client_id == narrow.client_id
    assert not viewer.own_credential
    assert viewer.scopes == {"read"}
    assert viewer.session_id is not None
    assert viewer.auth_time is not None
    assert (await db.get_one(Member, member.id)).active
