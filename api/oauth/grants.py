"""authlib's grants for people, over what each request loaded beforehand (authlib's hooks are synchronous).

The token endpoint (:mod:`api.oauth.token`) loads the presented code, refresh token or device code and the
person it is for, then calls authlib; these hooks read them from :data:`loaded` and record what must be
stored (a new code, a new device code) in :data:`pending`, which the endpoint writes once authlib is done.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Request,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.errors import AccessDeniedError
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant
from authlib.oauth2.rfc8628.errors import AuthorizationPendingError, ExpiredTokenError, SlowDownError

from api.auth.clients import AUTH_METHODS, DEVICE_CODE_GRANT, PUBLIC_AUTH_METHOD, AnyClient
from api.auth.delegated import Grantee
from api.models import OAuthAuthorizationCode, OAuthDeviceCode, OAuthRefreshToken

TOKEN_AUTH_METHODS = [*AUTH_METHODS, PUBLIC_AUTH_METHOD]


@dataclass
class Presented:
    """A stored credential as authlib sees it: the row, the public id of its client and its scopes."""

    row: OAuthAuthorizationCode | OAuthRefreshToken | OAuthDeviceCode
    client_id: str
    scopes: list[str]

    def check_client(self, client: AnyClient) -> bool:
        return client.get_client_id() == self.client_id

    def get_client_id(self) -> str:
        return self.client_id

    def get_scope(self) -> str:
        return " ".join(sorted(self.scopes))

    def get_redirect_uri(self) -> str:
        assert isinstance(self.row, OAuthAuthorizationCode)
        return self.row.redirect_uri

    @property
    def code_challenge(self) -> str:
        assert isinstance(self.row, OAuthAuthorizationCode)
        return self.row.code_challenge

    code_challenge_method = "S256"


@dataclass
class Loaded:
    """What this request loaded for authlib: the presented credential, its person, whether to slow down."""

    presented: Presented | None = None
    grantee: Grantee | None = None
    slow_down: bool = False


@dataclass
class Pending:
    """What authlib produced in this request that the endpoint must store."""

    code: tuple[str, str, str, str] | None = None  # code, scope, redirect URI, challenge
    device: tuple[str, str, dict[str, Any]] | None = None  # client id, scope, the endpoint's data
    extra: list[Any] = field(default_factory=list)


loaded: ContextVar[Loaded] = ContextVar("oauth_loaded")
pending: ContextVar[Pending] = ContextVar("oauth_pending")


class S256Challenge(CodeChallenge):  # type: ignore[misc]
    """PKCE required of every client, S256 only: a missing challenge, ``plain`` or no method is refused."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send a code_challenge (S256).")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only the S256 code challenge method is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


def _check_scope(request: OAuth2Request) -> None:
    """A scope the app was not granted is ``invalid_scope`` (not silently dropped)."""
    if not request.client.allows_scope(request.payload.scope):
        raise InvalidScopeError()


class CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """Authorization code (OAuth 2.1: with PKCE S256, see :class:`S256Challenge`)."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def validate_requested_scope(self) -> None:
        super().validate_requested_scope()
        _check_scope(self.request)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        challenge = str(request.payload.data["code_challenge"])
        pending.get().code = (code, request.scope, request.payload.redirect_uri, challenge)

    def query_authorization_code(self, code: str, client: AnyClient) -> Presented | None:
        presented = loaded.get().presented
        return presented if presented is not None and presented.check_client(client) else None

    def delete_authorization_code(self, authorization_code: Presented) -> None:
        """Spent by the endpoint once the token is issued (kept, to recognize a replay)."""

    def authenticate_user(self, authorization_code: Presented) -> Grantee | None:
        return loaded.get().grantee


class RefreshGrant(RefreshTokenGrant):  # type: ignore[misc]
    """Refresh token, rotated on every use (the endpoint spends the old one and stores the new one)."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Presented | None:
        return loaded.get().presented

    def authenticate_user(self, refresh_token: Presented) -> Grantee | None:
        return loaded.get().grantee

    def revoke_old_credential(self, refresh_token: Presented) -> None:
        """Spent by the endpoint once the new token is issued."""


class DeviceGrant(DeviceCodeGrant):  # type: ignore[misc]
    """The device code grant (RFC 8628): pending, slow down, expired, denied, or the person who approved it."""

    TOKEN_ENDPOINT_AUTH_METHODS = TOKEN_AUTH_METHODS

    def query_device_credential(self, device_code: str) -> Presented:
        presented = loaded.get().presented
        if presented is None:  # unknown or already used: RFC 6749 §5.2's invalid_grant (authlib says invalid_request)
            raise InvalidGrantError()
        return presented

    def validate_device_credential(self, credential: Presented) -> Grantee:
        row = credential.row
        assert isinstance(row, OAuthDeviceCode)
        if row.expires_at <= datetime.now(UTC):
            raise ExpiredTokenError()
        if row.status == "DENIED":
            raise AccessDeniedError()
        grantee = loaded.get().grantee
        if row.status == "APPROVED" and grantee is not None:
            return grantee
        if row.status == "APPROVED":  # approved, but nothing is left of the person's roles (or they left)
            raise AccessDeniedError()
        if loaded.get().slow_down:
            raise SlowDownError()
        raise AuthorizationPendingError()


class DeviceAuthorization(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    """``POST /oauth/device_authorization``: a device code and a short user code for a client allowed the grant."""

    CLIENT_AUTH_METHODS = TOKEN_AUTH_METHODS
    INTERVAL = 5

    def __init__(self, server: Any) -> None:
        super().__init__(server)
        self.EXPIRES_IN = int(server.settings.device_code_minutes * 60)
        self.verification_uri: str = server.settings.issuer + "/signin/device"

    def create_endpoint_response(self, request: OAuth2Request) -> tuple[int, Any, Any]:
        client = self.authenticate_client(request)
        if not client.check_grant_type(DEVICE_CODE_GRANT):
            raise UnauthorizedClientError("This client may not use the device grant.")
        _check_scope(request)
        result: tuple[int, Any, Any] = super().create_endpoint_response(request)
        return result

    def get_verification_uri(self) -> str:
        return self.verification_uri

    def save_device_credential(self, client_id: str, scope: str | None, data: dict[str, Any]) -> None:
        pending.get().device = (client_id, scope or "", data)
