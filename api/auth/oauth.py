"""The OAuth 2.0 endpoints for partner apps, built on authlib's authorization server.

Client credentials grant (``POST /oauth/token``) issuing RFC 9068 JWT access tokens, token
revocation (RFC 7009, ``POST /oauth/revoke``), introspection (RFC 7662, ``POST /oauth/introspect``)
and the public keys (``GET /.well-known/jwks.json``). authlib's hooks are synchronous, so each
request first loads what they need (the client, the signing key, the presented token's state)
asynchronously; the hooks read it from context variables.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    InvalidScopeError,
    OAuth2Error,
    OAuth2Request,
    UnsupportedGrantTypeError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator
from joserfc.jwk import ECKey, KeySet
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth.access_tokens import VerifiedToken, verify
from api.auth.clients import AUTH_METHODS, PUBLIC_AUTH_METHOD, SCOPES, AnyClient, Client, find_any_client
from api.auth.delegated import Grantee, claims_for, viewer_for_delegated
from api.auth.forms import FormError, form_of, invalid_request
from api.auth.signing import ALGORITHM
from api.models import RevokedToken
from api.settings import Settings

REFRESH_PREFIX = "snt_rt_"

_client: ContextVar[AnyClient | None] = ContextVar("oauth_client", default=None)
_key: ContextVar[ECKey | None] = ContextVar("oauth_signing_key", default=None)
_token: ContextVar[tuple[str, VerifiedToken] | None] = ContextVar("oauth_presented_token", default=None)
_revoked: ContextVar[list[VerifiedToken] | None] = ContextVar("oauth_revoked", default=None)
# the token response authlib built in this request (its refresh token is stored, hashed, after it)
issued: ContextVar[dict[str, Any] | None] = ContextVar("oauth_issued", default=None)


class _Grant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)

    def validate_requested_scope(self) -> None:
        """A scope the app was not granted is ``invalid_scope`` (not silently dropped)."""
        super().validate_requested_scope()
        if not self.request.client.allows_scope(self.request.payload.scope):
            raise InvalidScopeError()


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = [*AUTH_METHODS, PUBLIC_AUTH_METHOD]  # a public client revokes its own tokens

    def query_token(self, token_string: str, token_type_hint: str | None) -> VerifiedToken | None:
        return _presented(token_string)

    def revoke_token(self, token: VerifiedToken, request: OAuth2Request) -> None:
        revoked = _revoked.get()
        assert revoked is not None
        revoked.append(token)


class _Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> VerifiedToken | None:
        return _presented(token_string)

    def check_permission(self, token: VerifiedToken, client: Client, request: OAuth2Request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: VerifiedToken) -> dict[str, Any]:
        keep = ("scope", "client_id", "exp", "iat", "sub", "aud", "iss", "jti")
        claims = {k: token.claims[k] for k in keep if k in token.claims}
        return {"token_type": "Bearer", **claims, "roles": sorted(token.roles())}


class _TokenGenerator(JWTBearerTokenGenerator):  # type: ignore[misc]
    def __init__(self, settings: Settings) -> None:
        lifetime = settings.access_token_minutes * 60
        super().__init__(
            settings.issuer, alg=ALGORITHM, expires_generator=lambda client, grant_type: lifetime,
            refresh_token_generator=lambda client, grant_type, user, scope: REFRESH_PREFIX + secrets.token_urlsafe(32),
        )  # fmt: skip
        self.audience = settings.api_audience

    def get_jwks(self) -> KeySet:
        key = _key.get()
        assert key is not None
        return KeySet([key])

    def get_audiences(self, client: Client, user: Any, scope: str) -> str:
        return self.audience

    def get_extra_claims(self, client: Client, grant_type: str, user: Any, scope: str) -> dict[str, Any]:
        if isinstance(user, Grantee):  # acting for a person: api.auth.delegated
            return claims_for(user)
        return {"org": str(client.row.organization_id), "roles": sorted(client.roles)}

    def get_auth_time(self, user: Any) -> int | None:
        return int(user.auth_time.timestamp()) if isinstance(user, Grantee) else None

    def get_jti(self, client: Client, grant_type: str, user: Any, scope: str) -> str:
        return secrets.token_urlsafe(18)


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server over context-provided clients and keys."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.settings = settings
        self.register_grant(_Grant)
        self.register_token_generator("default", _TokenGenerator(settings))
        self.register_endpoint(_Revocation)
        self.register_endpoint(_Introspection)

    async def before_token(self, request: Request, session: AsyncSession, form: dict[str, str]) -> Response | None:
        """Load what the grant's synchronous hooks need; a response here ends the request (api.oauth overrides)."""
        return None

    async def after_token(self, request: Request, session: AsyncSession, response: Response) -> None:
        """Store what the grant issued (api.oauth overrides)."""

    def query_client(self, client_id: str) -> AnyClient | None:
        client = _client.get()
        return client if client is not None and client.get_client_id() == client_id else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """JWT access tokens are self-contained; a refresh token is stored (hashed) once authlib is done."""
        issued.set(token)

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> Response:
        """authlib's error, except the one that would quote the caller's grant type."""
        if isinstance(error, UnsupportedGrantTypeError):
            body = {"error": error.error, "error_description": "This grant type is not supported."}
            return self.handle_response(400, body, [("Cache-Control", "no-store")])
        response: Response = super().handle_error_response(request, error)
        return response

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal handlers."""

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        """Requests are built (with their form already parsed) before authlib is called."""
        return request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Response:
        content = orjson.dumps(body) if isinstance(body, dict) else body
        return Response(content, status_code=status, headers=dict(headers), media_type="application/json")


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, uri: str, headers: Any, form: dict[str, str]) -> None:
        super().__init__("POST", uri, headers=headers)
        self.payload = BasicOAuth2Payload(form)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.payload.data)


def _presented(token_string: str) -> VerifiedToken | None:
    presented = _token.get()
    return presented[1] if presented is not None and presented[0] == token_string else None


Endpoint = Callable[[Request, AsyncSession, OAuth2Request, dict[str, str]], Awaitable[Response]]


def use_client(client: AnyClient | None) -> None:
    """The client authlib's hooks will find for this request (loaded by the caller)."""
    _client.set(client)


def loaded_client() -> AnyClient | None:
    """The client this request names (loaded by :func:`serve`, not yet authenticated)."""
    return _client.get()


async def serve(request: Request, endpoint: Endpoint) -> Response:
    """Parse the form, load the client authlib will ask for, run the endpoint: one session, one transaction."""
    try:
        form = await form_of(request)
    except FormError:
        return invalid_request()
    settings: Settings = request.app.state.settings
    prepared = _Request(settings.issuer + request.url.path, request.headers, form)  # headers: case-insensitive
    client_id = form.get("client_id") or extract_basic_authorization(request.headers)[0]
    async with request.app.state.sessionmaker() as session:
        _client.set(await find_any_client(session, client_id, settings.public_url))
        response = await endpoint(request, session, prepared, form)
        await session.commit()
    return response


async def token_endpoint(request: Request) -> Response:
    """Client credentials grant: a 15-minute signed access token."""
    return await serve(request, _issue)


async def revocation_endpoint(request: Request) -> Response:
    """RFC 7009: the presented token stops working on the next request."""
    return await serve(request, _revoke)


async def introspection_endpoint(request: Request) -> Response:
    """RFC 7662: whether a token is active, for the client it was issued to."""
    return await serve(request, _introspect)


async def _issue(request: Request, session: AsyncSession, prepared: OAuth2Request, form: dict[str, str]) -> Response:
    server: OAuthServer = request.app.state.oauth_server
    issued.set(None)
    response = await server.before_token(request, session, form)
    if response is None:
        _key.set(await request.app.state.signing_keys.signing_key(session))
        response = server.create_token_response(prepared)
        await server.after_token(request, session, response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"  # browser apps of other origins (no cookie is read)
    return response


async def _revoke(request: Request, session: AsyncSession, prepared: OAuth2Request, form: dict[str, str]) -> Response:
    await _load_presented(request, session, form)
    _revoked.set([])
    response: Response = request.app.state.oauth_server.create_endpoint_response("revocation", prepared)
    for token in _revoked.get() or []:
        await _store_revocation(session, token)
    return response


async def _introspect(
    request: Request, session: AsyncSession, prepared: OAuth2Request, form: dict[str, str]
) -> Response:
    await _load_presented(request, session, form)
    response: Response = request.app.state.oauth_server.create_endpoint_response("introspection", prepared)
    return response


async def jwks_endpoint(request: Request) -> Response:
    """The public keys that verify access tokens."""
    async with request.app.state.sessionmaker() as session:
        keys = await request.app.state.signing_keys.public_keys(session)
    return JSONResponse(keys.as_dict(private=False), headers={"Cache-Control": "public, max-age=300"})


async def _load_presented(request: Request, session: AsyncSession, form: dict[str, str]) -> None:
    token = form.get("token", "")
    verified = (
        await verify(session, request.app.state.signing_keys, request.app.state.settings, token) if token else None
    )
    if (
        verified is not None
        and "sid" in verified.claims
        and await viewer_for_delegated(session, verified.claims) is None
    ):
        verified.revoked = True  # acting for a person whose session, membership or roles have ended
    _token.set((token, verified) if verified is not None else None)


async def _store_revocation(session: AsyncSession, token: VerifiedToken) -> None:
    expires = datetime.fromtimestamp(int(token.claims["exp"]), UTC)
    statement = insert(RevokedToken).values(jti=str(token.claims["jti"]), expires_at=expires)
    await session.execute(statement.on_conflict_do_nothing(index_elements=["jti"]))
