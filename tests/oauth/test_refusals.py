"""Every refusal of the authorization code grant: redirect URIs, PKCE, codes, and credentials that end mid-session."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import Member, OAuthAuthorizationCode, OAuthClient, OAuthSession, Organization
from api.models.enums import OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from tests import factories
from tests.graphql import error_codes, gid, gql
from tests.oauth.flows import (
    SPA,
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
from tests.workflow import Actor, forbidden, ok


async def _signed_in_member(db: AsyncSession, person: httpx.AsyncClient, *roles: Role) -> tuple[Member, OAuthClient]:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    member = await factories.member(db, org, *(roles or (Role.LEGAL_ADVOCATE,)))
    app_row, _ = await partner_app(db, org, ["LEGAL_ADVOCATE", "ACCOMPANIER"])
    await sign_in_directly(db, person, member)
    return member, app_row


async def test_an_unregistered_redirect_uri_gets_an_error_page_never_a_redirect(app: object, db: AsyncSession) -> None:
    async with browser(app) as person:
        _member, app_row = await _signed_in_member(db, person)
        _verifier, challenge = pkce()
        for wrong in (
            "https://evil.example/callback", SPA + "/more", SPA + "?x=1", SPA.upper(), SPA.replace("5173", "5174"),
            "", "http://127.0.0.1:5173/callback#frag",
        ):  # fmt: skip
            page = await person.get(authorize_url(app_row.client_id, challenge, redirect_uri=wrong))
            assert page.status_code == 400, wrong
            assert "location" not in page.headers
            assert "evil.example" not in page.text
        for client_id in ("snt_client_unknown", "", "graphiql"):  # graphiql: only its own /graphql
            page = await person.get(authorize_url(client_id, challenge))
            assert page.status_code == 400
            assert "location" not in page.headers


async def test_pkce_is_required_and_s256_only(app: object, db: AsyncSession) -> None:
    async with browser(app) as person:
        _member, app_row = await _signed_in_member(db, person)
        verifier, challenge = pkce()
        for url in (
            authorize_url(app_row.client_id, None),  # no challenge
            authorize_url(app_row.client_id, verifier, code_challenge_method="plain"),
            authorize_url(app_row.client_id, None, code_challenge=challenge),  # no method: plain by default
        ):
            back = returned(await person.get(url))
            assert back["error"] == "invalid_request"
            assert "code" not in back
            assert back["state"].startswith("st-")
        code = returned(await run_authorize(person, authorize_url(app_row.client_id, challenge)))["code"]
        missing = await exchange(person, app_row.client_id, code, None)
        assert (missing.status_code, missing.json()["error"]) == (400, "invalid_request")
        wrong = await exchange(person, app_row.client_id, code, pkce()[0])
        assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
        assert (await exchange(person, app_row.client_id, code, verifier)).status_code == 200


async def test_a_replayed_code_is_refused_and_ends_the_session_its_first_use_started(
    app: object, db: AsyncSession
) -> None:
    async with browser(app) as person:
        member, app_row = await _signed_in_member(db, person)
        verifier, challenge = pkce()
        code = returned(await run_authorize(person, authorize_url(app_row.client_id, challenge)))["code"]
        first = await exchange(person, app_row.client_id, code, verifier)
        assert first.status_code == 200
        assert (await me(person, first.json()["access_token"]))["status"] == 200
        replay = await exchange(person, app_row.client_id, code, verifier)
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_grant"
        assert code not in replay.text
        assert (await me(person, first.json()["access_token"]))["status"] == 401
        assert (await refresh(person, app_row.client_id, first.json()["refresh_token"])).status_code == 400
    ended = await db.scalar(select(OAuthSession.revoked_reason).where(OAuthSession.member_id == member.id))
    assert ended == "code_replay"


async def test_a_code_of_another_client_or_redirect_uri_or_an_expired_one_is_refused(
    app: object, db: AsyncSession
) -> None:
    async with browser(app) as person:
        member, app_row = await _signed_in_member(db, person)
        other, _ = await partner_app(db, await db.get_one(Organization, member.organization_id), ["ACCOMPANIER"],
                                     redirect_uris=[SPA, "http://localhost:9000/cb"])  # fmt: skip
        verifier, challenge = pkce()
        code = returned(await run_authorize(person, authorize_url(app_row.client_id, challenge)))["code"]
        stolen = await exchange(person, other.client_id, code, verifier)
        assert (stolen.status_code, stolen.json()["error"]) == (400, "invalid_grant")
        elsewhere = await exchange(person, app_row.client_id, code, verifier, redirect_uri="http://localhost:9000/cb")
        assert (elsewhere.status_code, elsewhere.json()["error"]) == (400, "invalid_grant")
        late = returned(await run_authorize(person, authorize_url(app_row.client_id, challenge)))["code"]
        await db.execute(
            update(OAuthAuthorizationCode)
            .where(OAuthAuthorizationCode.used_at.is_(None), OAuthAuthorizationCode.member_id == member.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        for spent in (code, late):  # the first one expired too
            expired = await exchange(person, app_row.client_id, spent, verifier)
            assert (expired.status_code, expired.json()["error"]) == (400, "invalid_grant")
        garbage = await person.post("/oauth/token", data={"grant_type": "urn:x:evil-grant", "client_id": "x"})
        assert garbage.json()["error"] == "unsupported_grant_type"
        assert "evil" not in garbage.text


async def test_a_deactivated_member_a_revoked_session_or_a_disabled_app_ends_tokens_on_the_next_request(
    app: object, db: AsyncSession
) -> None:
    async with browser(app) as person:
        member, app_row = await _signed_in_member(db, person)
        cases = [
            (update(Member).where(Member.id == member.id).values(active=False),
             update(Member).where(Member.id == member.id).values(active=True)),
            (update(OAuthSession).where(OAuthSession.member_id == member.id).values(revoked_at=datetime.now(UTC)),
             None),
            (update(OAuthClient).where(OAuthClient.id == app_row.id).values(disabled_at=datetime.now(UTC)),
             update(OAuthClient).where(OAuthClient.id == app_row.id).values(disabled_at=None)),
        ]  # fmt: skip
        for end, undo in cases:
            token = await tokens_for(db, person, member, app_row.client_id)
            assert (await me(person, token["access_token"]))["status"] == 200
            await db.execute(end)
            assert (await me(person, token["access_token"]))["status"] == 401
            renewed = await refresh(person, app_row.client_id, token["refresh_token"])
            assert renewed.status_code in (400, 401)
            assert "access_token" not in renewed.json()
            if undo is not None:
                await db.execute(undo)
                # reactivating (or re-enabling) gives nothing back when the session is over... but here the session
                # itself lives on: only deactivation ends sessions for good (another engineer's mutation does that)


async def test_the_token_gets_only_the_intersection_of_the_persons_roles_and_the_apps_ceiling(
    app: object, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.CONGREGATION)
    member = await factories.member(db, org, Role.ORG_ADMIN, Role.ACCOMPANIER)
    narrow, _ = await partner_app(db, org, ["ACCOMPANIER"])
    own = await factories.token_for(db, member)
    async with browser(app) as person:
        await sign_in_directly(db, person, member)
        _verifier, challenge = pkce()
        screen = await person.get((await person.get(authorize_url(narrow.client_id, challenge))).headers["location"])
        assert '<ul class="roles"><li>accompanier</li></ul>' in screen.text  # not org admin: outside the ceiling
        token = (await tokens_for(db, person, member, narrow.client_id, scope="read write"))["access_token"]
        await forbidden(person, "memberInvite", {"memberId": gid(member)}, Actor(member, token))
        await ok(person, "memberInvite", {"memberId": gid(member)}, Actor(member, own), "link")
        query = "{ members(first: 5) { nodes { id legalName } } }"
        as_admin = await person.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {own}"})
        assert "errors" not in as_admin.json()
        as_app = await person.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})
        assert as_app.json().get("errors"), as_app.json()  # the field is outside the accompanier's schema


async def test_an_app_whose_organization_cannot_hold_the_role_gets_nothing(app: object, db: AsyncSession) -> None:
    rapid = await factories.organization(db, OrganizationKind.RAPID_RESPONSE)
    dispatcher = await factories.member(db, rapid, Role.RR_DISPATCHER)
    app_row, _ = await partner_app(db, rapid, ["RR_DISPATCHER"])
    async with browser(app) as person:
        token = await tokens_for(db, person, dispatcher, app_row.client_id)
        assert (await me(person, token["access_token"]))["status"] == 200
        congregation = await factories.organization(db, OrganizationKind.CONGREGATION)
        await db.execute(
            update(OAuthClient).where(OAuthClient.id == app_row.id).values(organization_id=congregation.id)
        )  # the app now belongs to a congregation, which may never hold a dispatcher role
        assert (await me(person, token["access_token"]))["status"] == 401
        assert (await refresh(person, app_row.client_id, token["refresh_token"])).status_code == 400
        _verifier, challenge = pkce()
        back = returned(await person.get(authorize_url(app_row.client_id, challenge)))
        assert back["error"] == "access_denied"


async def test_the_sign_in_page_goes_back_only_to_a_path_of_this_origin(app: object, db: AsyncSession) -> None:
    member = await factories.member(db, await factories.organization(db), Role.ORGANIZER)
    async with browser(app) as person:
        for unsafe in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
                       "/oauth/authorize\r\nX: y"):  # fmt: skip
            page = await person.get("/signin", params={"next": unsafe})
            assert 'data-finish="/signin"' in page.text
            assert "evil" not in page.text
        await sign_in_directly(db, person, member)
        for unsafe in ("//evil.example/x", "https://evil.example/"):
            assert (await person.get("/signin", params={"next": unsafe})).headers["location"] == "/signin/account"
        back = await person.get("/signin", params={"next": "/oauth/authorize?client_id=x"})
        assert back.headers["location"] == "/oauth/authorize?client_id=x"


async def test_an_app_whose_scopes_shrink_loses_them_on_the_next_request(app: object, db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.COMMUNITY_GROUP)
    member = await factories.member(db, org, Role.ORGANIZER)
    app_row, _ = await partner_app(db, org, ["ORGANIZER"], scopes=["read", "write"])
    revoke = "mutation($id: ID!) { appConsentRevoke(input: {id: $id}) { userErrors { code } } }"
    variables = {"id": encode_global_id("AppConsent", uuid.uuid4())}
    async with browser(app) as person:
        token = (await tokens_for(db, person, member, app_row.client_id, scope="read write"))["access_token"]
        before = await gql(person, revoke, variables, token=token)
        assert before["data"]["appConsentRevoke"]["userErrors"] == [{"code": "OWN_CREDENTIAL_REQUIRED"}]  # may write
        await db.execute(update(OAuthClient).where(OAuthClient.id == app_row.id).values(scopes=["read"]))
        after = await gql(person, revoke, variables, token=token)
        assert error_codes(after) == ["FORBIDDEN"]
