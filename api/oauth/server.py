"""The authorization server with the grants for people, and the endpoints that are not pages."""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Error
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth import oauth
from api.auth.clients import AUTH_METHODS, DEVICE_CODE_GRANT, PUBLIC_AUTH_METHOD, SCOPES
from api.auth.forms import FormError, form_of
from api.auth.oauth import REFRESH_PREFIX, OAuthServer, loaded_client, serve
from api.models import OAuthSession
from api.oauth import device_codes, store, token
from api.oauth.grants import (
    TOKEN_AUTH_METHODS,
    CodeGrant,
    DeviceAuthorization,
    DeviceGrant,
    Pending,
    RefreshGrant,
    S256Challenge,
    pending,
)
from api.settings import Settings


class PeopleServer(OAuthServer):
    """Client credentials, plus authorization code with PKCE, refresh rotation and the device grant."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.register_grant(CodeGrant, [S256Challenge()])
        self.register_grant(RefreshGrant)
        self.register_grant(DeviceGrant)
        self.register_endpoint(DeviceAuthorization)

    async def before_token(self, request: Request, session: AsyncSession, form: dict[str, str]) -> Response | None:
        return await token.before_token(request, session, form)

    async def after_token(self, request: Request, session: AsyncSession, response: Response) -> None:
        await token.after_token(request, session, response)


async def revocation_endpoint(request: Request) -> Response:
    """RFC 7009 for every token: a refresh token ends its app session (the client it was issued to only);
    access tokens go to the partner apps' endpoint (:func:`api.auth.oauth.revocation_endpoint`)."""
    try:
        form = await form_of(request)
    except FormError:
        form = {}
    if not form.get("token", "").startswith(REFRESH_PREFIX):
        return await oauth.revocation_endpoint(request)
    return await serve(request, _revoke_refresh)


async def _revoke_refresh(request: Request, session: AsyncSession, prepared: Any, form: dict[str, str]) -> Response:
    server: PeopleServer = request.app.state.oauth_server
    try:
        client = server.authenticate_client(prepared, list(TOKEN_AUTH_METHODS), "revocation")
    except OAuth2Error as error:
        response: Response = server.handle_error_response(prepared, error)
        return response
    found = await store.load_refresh(session, form["token"])
    if found is not None and found[1].client_id == store.client_row_id(client):
        await store.end_sessions(session, "revoked_by_app", OAuthSession.id == found[1].id)
    return Response(status_code=200, headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"})


async def device_authorization_endpoint(request: Request) -> Response:
    """RFC 8628 §3.1: a device code for the device, a user code for the person to type at /signin/device."""
    return await serve(request, _device_authorization)


async def _device_authorization(
    request: Request, session: AsyncSession, prepared: Any, form: dict[str, str]
) -> Response:
    pending.set(Pending())
    response: Response = request.app.state.oauth_server.create_endpoint_response("device_authorization", prepared)
    made, client = pending.get().device, loaded_client()
    if response.status_code == 200 and made is not None and client is not None:
        device = request.headers.get("user-agent", "")
        await device_codes.save(session, client, made[1], made[2], device)
    response.headers["Cache-Control"] = "no-store"
    return response


def metadata(settings: Settings) -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "device_authorization_endpoint": f"{issuer}/oauth/device_authorization",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", DEVICE_CODE_GRANT],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [*AUTH_METHODS, PUBLIC_AUTH_METHOD],
        "revocation_endpoint_auth_methods_supported": [*AUTH_METHODS, PUBLIC_AUTH_METHOD],
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "authorization_response_iss_parameter_supported": False,
        "service_documentation": f"{issuer}/graphql",
    }


async def discovery_endpoint(request: Request) -> Response:
    """GET /.well-known/oauth-authorization-server."""
    body = metadata(request.app.state.settings)
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})
