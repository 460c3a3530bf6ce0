"""RFC 8414 discovery: every endpoint, grant and method, named as the RFC names them."""

from __future__ import annotations

import httpx

from tests.oauth.flows import ORIGIN

REQUIRED = {
    "issuer", "authorization_endpoint", "token_endpoint", "device_authorization_endpoint", "revocation_endpoint",
    "introspection_endpoint", "jwks_uri", "grant_types_supported", "response_types_supported",
    "code_challenge_methods_supported", "token_endpoint_auth_methods_supported", "scopes_supported",
}  # fmt: skip


async def test_the_metadata_describes_every_endpoint_and_each_one_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"  # browser libraries of other origins read it
    meta = response.json()
    assert set(meta) >= REQUIRED
    assert meta["issuer"] == ORIGIN
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"
    }  # fmt: skip
    assert "none" in meta["token_endpoint_auth_methods_supported"]
    assert meta["scopes_supported"] == ["read", "write", "webhooks"]  # webhooks: for client credentials only
    for key in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint", "jwks_uri"):
        assert meta[key].startswith(ORIGIN + "/")
    paths = {key: meta[key].removeprefix(ORIGIN) for key in REQUIRED if key.endswith(("endpoint", "uri"))}
    assert (await client.get(paths["jwks_uri"])).status_code == 200
    assert (await client.get(paths["authorization_endpoint"])).status_code == 400  # an error page: no client
    for key in ("token_endpoint", "device_authorization_endpoint", "revocation_endpoint", "introspection_endpoint"):
        answer = await client.post(paths[key], data={"client_id": "nobody"})
        assert answer.status_code in (400, 401), key
