"""Partner apps: client credentials, RFC 9068 tokens, revocation, introspection, and every way to be refused."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.models import OAuthClient
from api.models.enums import OrganizationKind
from tests import factories as f

ME = "{ accompanimentRequests(first: 5) { nodes { id } } }"


async def _client(db: AsyncSession, roles: list[str], scopes: list[str] | None = None) -> tuple[OAuthClient, str]:
    org = await f.organization(db, OrganizationKind.LEGAL_AID)
    row, secret = await create_client(db, org, name="Partner app", scopes=scopes or ["read"], max_roles=roles)
    await db.commit()
    return row, secret


async def _token(client: httpx.AsyncClient, client_id: str, secret: str, **form: str) -> httpx.Response:
    return await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", **form}, auth=(client_id, secret)
    )


async def _query(client: httpx.AsyncClient, token: str, query: str = ME) -> httpx.Response:
    return await client.post("/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"})


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def test_client_credentials_issue_a_short_lived_signed_at_jwt(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])

    response = await _token(client, row.client_id, secret)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    header = orjson.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[0] + "=="))
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "ES256"
    jwks = (await client.get("/.well-known/jwks.json")).json()
    assert header["kid"] in {key["kid"] for key in jwks["keys"]}
    assert all("d" not in key for key in jwks["keys"])  # public halves only
    claims = _claims(body["access_token"])
    assert claims["client_id"] == row.client_id
    assert claims["roles"] == ["LEGAL_ADVOCATE"]
    assert claims["exp"] - claims["iat"] == 900
    assert (await _query(client, body["access_token"])).json()["data"] == {"accompanimentRequests": {"nodes": []}}


async def test_client_secret_post_is_accepted(client: httpx.AsyncClient, db: AsyncSession) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "client_id": row.client_id, "client_secret": secret}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("which", ["wrong secret", "unknown client"])
async def test_bad_client_credentials_are_refused(client: httpx.AsyncClient, db: AsyncSession, which: str) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])
    client_id = row.client_id if which == "wrong secret" else "snt_client_0000"
    response = await _token(client, client_id, secret + "x")
    assert response.status_code in (400, 401)
    assert response.json()["error"] == "invalid_client"
    assert secret not in response.text


async def test_role_ceiling_shapes_the_schema(client: httpx.AsyncClient, db: AsyncSession) -> None:
    row, secret = await _client(db, ["AUDITOR"])
    token = (await _token(client, row.client_id, secret)).json()["access_token"]

    body = (await _query(client, token)).json()

    assert [e["message"] for e in body["errors"]] == ["Cannot query field 'accompanimentRequests' on type 'Query'."]


async def test_lowering_the_ceiling_applies_to_tokens_already_issued(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE", "AUDITOR"])
    token = (await _token(client, row.client_id, secret)).json()["access_token"]
    await db.execute(update(OAuthClient).where(OAuthClient.id == row.id).values(max_roles=["AUDITOR"]))
    await db.commit()

    body = (await _query(client, token)).json()

    assert body["errors"][0]["message"] == "Cannot query field 'accompanimentRequests' on type 'Query'."


async def test_narrowing_an_apps_scopes_applies_to_tokens_already_issued(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"], scopes=["read", "write"])
    token = (await _token(client, row.client_id, secret, scope="read write")).json()["access_token"]
    assert (await _query(client, token)).json()["data"] is not None
    await db.execute(update(OAuthClient).where(OAuthClient.id == row.id).values(scopes=["write"]))
    await db.commit()

    body = (await _query(client, token)).json()

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None


async def test_token_without_read_scope_is_forbidden(client: httpx.AsyncClient, db: AsyncSession) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"], scopes=["read", "write"])
    token = (await _token(client, row.client_id, secret, scope="write")).json()["access_token"]
    body = (await _query(client, token)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] is None


async def test_revoked_token_stops_working_and_introspects_inactive(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])
    token = (await _token(client, row.client_id, secret)).json()["access_token"]
    introspect = {"token": token}
    active = (await client.post("/oauth/introspect", data=introspect, auth=(row.client_id, secret))).json()
    assert active["active"] is True
    assert active["client_id"] == row.client_id

    revoked = await client.post("/oauth/revoke", data={"token": token}, auth=(row.client_id, secret))

    assert revoked.status_code == 200
    assert (await _query(client, token)).status_code == 401
    inactive = (await client.post("/oauth/introspect", data=introspect, auth=(row.client_id, secret))).json()
    assert inactive == {"active": False}


async def test_another_client_cannot_introspect_or_revoke_a_token(client: httpx.AsyncClient, db: AsyncSession) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])
    other, other_secret = await _client(db, ["LEGAL_ADVOCATE"])
    token = (await _token(client, row.client_id, secret)).json()["access_token"]

    seen = (await client.post("/oauth/introspect", data={"token": token}, auth=(other.client_id, other_secret))).json()
    await client.post("/oauth/revoke", data={"token": token}, auth=(other.client_id, other_secret))

    assert seen == {"active": False}
    assert (await _query(client, token)).status_code == 200


async def _signed(app: Any, db: AsyncSession, claims: dict[str, Any], key: ECKey | None = None) -> str:
    signing = key or await app.state.signing_keys.signing_key(db)
    await db.commit()
    return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": signing.kid or "x"}, claims, signing)


async def _valid_claims(client: httpx.AsyncClient, db: AsyncSession) -> dict[str, Any]:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])
    return _claims((await _token(client, row.client_id, secret)).json()["access_token"])


async def test_expired_token_is_refused(app: Any, client: httpx.AsyncClient, db: AsyncSession) -> None:
    claims = await _valid_claims(client, db)
    claims.update(iat=int(time.time()) - 3600, exp=int(time.time()) - 600)
    assert (await _query(client, await _signed(app, db, claims))).status_code == 401


async def test_not_yet_valid_token_is_refused(app: Any, client: httpx.AsyncClient, db: AsyncSession) -> None:
    claims = await _valid_claims(client, db)
    claims["nbf"] = int(time.time()) + 3600
    assert (await _query(client, await _signed(app, db, claims))).status_code == 401


async def test_token_signed_by_an_unknown_key_is_refused(app: Any, client: httpx.AsyncClient, db: AsyncSession) -> None:
    claims = await _valid_claims(client, db)
    stranger = ECKey.generate_key("P-256", {"kid": "stranger"}, private=True)
    assert (await _query(client, await _signed(app, db, claims, stranger))).status_code == 401


async def test_token_reusing_our_kid_with_another_key_is_refused(
    app: Any, client: httpx.AsyncClient, db: AsyncSession
) -> None:
    claims = await _valid_claims(client, db)
    ours = await app.state.signing_keys.signing_key(db)
    impostor = ECKey.generate_key("P-256", {"kid": ours.kid}, private=True)
    assert (await _query(client, await _signed(app, db, claims, impostor))).status_code == 401


async def test_alg_none_token_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    claims = await _valid_claims(client, db)
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt","kid":"x"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    assert (await _query(client, f"{header}.{payload}.")).status_code == 401


async def test_tampered_token_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])
    token = (await _token(client, row.client_id, secret)).json()["access_token"]
    head, _payload, signature = token.split(".")
    claims = _claims(token)
    claims["roles"] = ["ORG_ADMIN", "LEGAL_ADVOCATE"]
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).decode().rstrip("=")
    assert (await _query(client, f"{head}.{forged}.{signature}")).status_code == 401


async def test_token_of_a_disabled_client_is_refused(client: httpx.AsyncClient, db: AsyncSession) -> None:
    row, secret = await _client(db, ["LEGAL_ADVOCATE"])
    token = (await _token(client, row.client_id, secret)).json()["access_token"]
    await db.execute(update(OAuthClient).where(OAuthClient.id == row.id).values(disabled_at=datetime.now(UTC)))
    await db.commit()

    assert (await _query(client, token)).status_code == 401
    assert (await _token(client, row.client_id, secret)).status_code in (400, 401)


async def test_token_for_another_audience_is_refused(app: Any, client: httpx.AsyncClient, db: AsyncSession) -> None:
    claims = await _valid_claims(client, db)
    claims["aud"] = "some-other-api"
    assert (await _query(client, await _signed(app, db, claims))).status_code == 401
