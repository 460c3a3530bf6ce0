"""Consent: remembered per member and app, denied, revoked (the screen again, the app's sessions ended)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditEvent, OAuthSession
from api.models.enums import AuditOutcome, OrganizationKind, Role
from tests import factories
from tests.graphql import gql
from tests.oauth.flows import (
    authorize_url,
    browser,
    consent,
    exchange,
    hidden_fields,
    me,
    partner_app,
    pkce,
    refresh,
    returned,
    sign_in_directly,
    tokens_for,
)

LIST = "{ myAppConsents { id appName clientId scopes } }"
REVOKE = "mutation($id: ID!) { appConsentRevoke(input: {id: $id}) { appConsent { id } userErrors { code } } }"


async def _consents(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    body = await gql(client, LIST, token=token)
    assert "errors" not in body, body
    consents: list[dict[str, Any]] = body["data"]["myAppConsents"]
    return consents


async def test_consent_is_remembered_then_revoked_and_the_apps_sessions_end(app: object, db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    member = await factories.member(db, org, Role.LEGAL_ADVOCATE)
    stranger = await factories.member(db, org, Role.LEGAL_ADVOCATE)
    app_row, _ = await partner_app(db, org, ["LEGAL_ADVOCATE"])
    own = await factories.token_for(db, member)
    async with browser(app) as person:
        token = await tokens_for(db, person, member, app_row.client_id)  # consent shown and allowed
        _verifier, challenge = pkce()
        again = await person.get(authorize_url(app_row.client_id, challenge))
        assert "code" in returned(again)  # remembered: no screen
        wider = await person.get(authorize_url(app_row.client_id, challenge, scope="read write"))
        assert wider.headers["location"].startswith("/signin/consent?")  # a scope not consented to: asked again
        listed = await _consents(person, own)
        assert [(c["clientId"], c["scopes"]) for c in listed] == [(app_row.client_id, ["read"])]
        assert await _consents(person, token["access_token"]) == []  # the app does not see the person's consents
        assert await _consents(person, await factories.token_for(db, stranger)) == []
        stolen = await gql(person, REVOKE, {"id": listed[0]["id"]}, token=await factories.token_for(db, stranger))
        assert stolen["data"]["appConsentRevoke"]["userErrors"] == [{"code": "CONSENT_NOT_FOUND"}]
        revoked = await gql(person, REVOKE, {"id": listed[0]["id"]}, token=own)
        assert "errors" not in revoked, revoked
        assert revoked["data"]["appConsentRevoke"]["userErrors"] == []
        assert (await me(person, token["access_token"]))["status"] == 401
        assert (await refresh(person, app_row.client_id, token["refresh_token"])).status_code == 400
        assert await _consents(person, own) == []
        shown = await person.get(authorize_url(app_row.client_id, challenge))
        assert shown.headers["location"].startswith("/signin/consent?")  # the screen again
    reasons = set(await db.scalars(select(OAuthSession.revoked_reason).where(OAuthSession.member_id == member.id)))
    assert reasons == {"consent_revoked"}


async def test_denying_sends_access_denied_and_a_forged_consent_is_refused(app: object, db: AsyncSession) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    member = await factories.member(db, org, Role.LEGAL_ADVOCATE)
    app_row, _ = await partner_app(db, org, ["LEGAL_ADVOCATE"])
    async with browser(app) as person:
        await sign_in_directly(db, person, member)
        verifier, challenge = pkce()
        screen_path = (await person.get(authorize_url(app_row.client_id, challenge))).headers["location"]
        denied = returned(await consent(person, screen_path, "deny"))
        assert denied["error"] == "access_denied"
        assert "code" not in denied
        screen = await person.get(screen_path)
        forged = hidden_fields(screen) | {"decision": "allow", "csrf": "x" * 43}
        refused = await person.post("/signin/consent", data=forged)
        assert refused.status_code == 400
        assert "location" not in refused.headers
        allowed = returned(await consent(person, screen_path, "allow"))
        assert (await exchange(person, app_row.client_id, allowed["code"], verifier)).status_code == 200
    outcomes = sorted(
        (await db.execute(
            select(AuditEvent.fields, AuditEvent.outcome)
            .where(AuditEvent.actor_member_id == member.id, AuditEvent.operation_name == "oauth")
        )).all()
    )  # fmt: skip
    assert (["oauth.consent"], AuditOutcome.DENIED) in outcomes
    assert (["oauth.consent"], AuditOutcome.ALLOWED) in outcomes
