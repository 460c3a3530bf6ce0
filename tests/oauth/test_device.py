"""The device authorization grant (RFC 8628) end to end: a script signs its person in from a terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import DEVICE_CODE_GRANT
from api.models import AuditEvent, OAuthDeviceCode, OAuthSession
from api.models.enums import OrganizationKind, Role
from tests import factories
from tests.canaries import canary
from tests.oauth.flows import ORIGIN, browser, csrf_of, hidden_fields, me, partner_app, refresh, sign_in_directly


async def _start(script: httpx.AsyncClient, client_id: str, **extra: str) -> dict[str, Any]:
    response = await script.post("/oauth/device_authorization", data={"client_id": client_id, "scope": "read"} | extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    canary(body["device_code"])
    return body


async def _poll(script: httpx.AsyncClient, client_id: str, device_code: str) -> httpx.Response:
    form = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code, "client_id": client_id}
    return await script.post("/oauth/token", data=form)


async def _answer(person: httpx.AsyncClient, user_code: str, decision: str) -> httpx.Response:
    page = await person.get("/signin/device?user_code=" + user_code)
    assert page.status_code == 200
    assert f'value="{user_code}"' in page.text
    screen = await person.post("/signin/device", data={"csrf": csrf_of(page), "user_code": user_code.lower()})
    assert screen.status_code == 200, screen.text
    fields = hidden_fields(screen) | {"csrf": csrf_of(screen), "decision": decision}
    return await person.post("/signin/device/decide", data=fields)


async def test_a_script_signs_its_person_in_pending_slow_down_approve_deny_expire(
    app: object, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    member = await factories.member(db, org, Role.ACCOMPANIMENT_COORDINATOR)
    script_app, _ = await partner_app(db, org, ["ACCOMPANIMENT_COORDINATOR"], grants=["device_code"])
    other, _ = await partner_app(db, org, ["ACCOMPANIMENT_COORDINATOR"], grants=["device_code"])
    async with browser(app) as person, browser(app) as script:
        started = await _start(script, script_app.client_id)
        assert started["verification_uri"] == ORIGIN + "/signin/device"
        assert started["verification_uri_complete"].endswith("user_code=" + started["user_code"])
        assert len(started["user_code"]) == 9
        assert set(started["user_code"]) <= set("BCDFGHJKLMNPQRSTVWXZ-")
        assert started["interval"] == 5
        device_code, user_code = started["device_code"], started["user_code"]
        assert (await _poll(script, script_app.client_id, device_code)).json()["error"] == "authorization_pending"
        assert (await _poll(script, script_app.client_id, device_code)).json()["error"] == "slow_down"
        interval = await db.scalar(select(OAuthDeviceCode.interval_s))
        assert interval == 10  # every later poll waits 5 seconds more
        to_signin = await person.get("/signin/device?user_code=" + user_code)
        assert to_signin.headers["location"].startswith("/signin?next=%2Fsignin%2Fdevice")
        await sign_in_directly(db, person, member)
        approved = await _answer(person, user_code, "allow")
        assert approved.status_code == 200
        assert "connected" in approved.text
        stolen = await _poll(script, other.client_id, device_code)
        assert stolen.status_code == 400
        assert "access_token" not in stolen.json()
        token = await _poll(script, script_app.client_id, device_code)
        assert token.status_code == 200, token.text
        body = token.json()
        canary(body["access_token"])
        canary(body["refresh_token"])
        assert (await me(script, body["access_token"]))["data"]["me"]["alias"] == member.alias
        assert (await _poll(script, script_app.client_id, device_code)).json()["error"] == "invalid_grant"  # used
        renewed = await refresh(script, script_app.client_id, body["refresh_token"])
        assert renewed.status_code == 200
        canary(renewed.json()["refresh_token"])

        denied = await _start(script, script_app.client_id)
        assert (await _answer(person, denied["user_code"], "deny")).status_code == 200
        assert (await _poll(script, script_app.client_id, denied["device_code"])).json()["error"] == "access_denied"

        late = await _start(script, script_app.client_id)
        await db.execute(
            update(OAuthDeviceCode).where(OAuthDeviceCode.status == "PENDING")
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )  # fmt: skip
        assert (await _poll(script, script_app.client_id, late["device_code"])).json()["error"] == "expired_token"
        page = await person.get("/signin/device")
        expired = await person.post("/signin/device", data={"csrf": csrf_of(page), "user_code": late["user_code"]})
        assert expired.status_code == 400
    sessions = list(await db.scalars(select(OAuthSession).where(OAuthSession.member_id == member.id)))
    assert [(s.client_id, s.grant_type) for s in sessions] == [(script_app.id, "device_code")]
    events = await db.scalars(select(AuditEvent.fields).where(AuditEvent.actor_member_id == member.id))
    assert {"oauth.device_approve", "oauth.device_deny", "oauth.device_exchange"} <= {f[0] for f in events}


async def test_user_code_attempts_are_throttled_and_other_apps_cannot_use_the_grant(
    app: object, db: AsyncSession
) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    member = await factories.member(db, org, Role.LEGAL_ADVOCATE)
    spa, _ = await partner_app(db, org, ["LEGAL_ADVOCATE"])  # authorization code only
    async with browser(app) as person:
        refused = await person.post("/oauth/device_authorization", data={"client_id": spa.client_id})
        assert refused.status_code in (400, 401)
        assert "device_code" not in refused.json()
        await sign_in_directly(db, person, member)
        statuses = []
        for _ in range(11):
            page = await person.get("/signin/device")
            wrong = await person.post("/signin/device", data={"csrf": csrf_of(page), "user_code": "BCDF-GHJK"})
            statuses.append(wrong.status_code)
            assert "BCDF" not in wrong.text
        assert statuses[:10] == [400] * 10
        assert statuses[10] == 429
