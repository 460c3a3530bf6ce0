"""The API's own GraphiQL as a first-party public client: the contract its browser side relies on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from api.auth.access_tokens import viewer_for_access_token
from api.models import OAuthSession
from api.models.enums import OrganizationKind, Role
from tests import factories
from tests.canaries import canary
from tests.oauth.flows import ORIGIN, authorize_url, browser, exchange, me, pkce, refresh, returned, sign_in_directly

GRAPHIQL = ORIGIN + "/graphql"


async def test_graphiql_gets_a_code_at_once_without_consent_and_acts_as_the_person_themselves(
    app: Starlette, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.CONGREGATION)
    member = await factories.member(db, org, Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR)
    async with browser(app) as person:
        verifier, challenge = pkce()
        url = authorize_url("graphiql", challenge, redirect_uri=GRAPHIQL, scope="read write")
        silent = returned(await person.get(url + "&prompt=none"))  # not signed in: no page, an answer
        assert silent["error"] == "login_required"
        to_signin = await person.get(url)
        assert to_signin.headers["location"].startswith("/signin?next=%2Foauth%2Fauthorize%3F")
        await sign_in_directly(db, person, member)
        answer = await person.get(url)  # signed in: a code at once (how GraphiQL refreshes after a reload)
        assert answer.headers["location"].startswith(GRAPHIQL + "?code=")
        back = returned(answer)
        assert back["state"].startswith("st-")
        token = await exchange(person, "graphiql", back["code"], verifier, redirect_uri=GRAPHIQL)
        assert token.status_code == 200, token.text
        body = token.json()
        canary(body["access_token"])
        canary(body["refresh_token"])
        assert body["scope"] == "read write"
        assert token.headers["cache-control"] == "no-store"
        assert (await me(person, body["access_token"]))["data"]["me"]["alias"] == member.alias
        renewed = await refresh(person, "graphiql", body["refresh_token"])
        assert renewed.status_code == 200
        canary(renewed.json()["refresh_token"])
    viewer = await viewer_for_access_token(db, app.state.signing_keys, app.state.settings, body["access_token"])
    assert viewer is not None
    assert viewer.roles == {Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR}  # no ceiling but the person's own
    assert viewer.own_credential
    assert viewer.client_id is None
    assert viewer.scopes == {"read", "write"}
    sessions = list(await db.scalars(select(OAuthSession).where(OAuthSession.member_id == member.id)))
    assert [(s.client_id, s.grant_type) for s in sessions] == [(None, "authorization_code")]


async def test_graphiql_redirects_only_to_its_own_page(app: Starlette, db: AsyncSession) -> None:
    org = await factories.organization(db)
    member = await factories.member(db, org, Role.ORGANIZER)
    async with browser(app) as person:
        await sign_in_directly(db, person, member)
        _verifier, challenge = pkce()
        for wrong in (ORIGIN + "/graphql/", "http://127.0.0.1:5173/graphql", ORIGIN + "/signin"):
            page = await person.get(authorize_url("graphiql", challenge, redirect_uri=wrong))
            assert page.status_code == 400
            assert "location" not in page.headers
        secretless = await person.post(
            "/oauth/token", data={"grant_type": "client_credentials", "client_id": "graphiql"}
        )
        assert secretless.status_code in (400, 401)
