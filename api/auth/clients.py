"""Partner apps (OAuth 2.0 clients): registration, secrets, redirect URIs and the authlib client model.

A confidential app holds a secret (shown once, stored as a hash); a public one (single-page, native app,
script) holds none and proves itself with PKCE. Redirects go only to a registered URI, matched exactly.
The API's own GraphiQL is a first-party public client that is not a row (:class:`FirstPartyClient`).
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import app_ceiling
from api.auth.tokens import hash_token
from api.auth.viewer import Viewer
from api.models import OAuthClient, Organization
from api.models.enums import Role

SCOPES = ("read", "write", "webhooks")  # webhooks: the app manages its own webhook endpoints
CLIENT_SECRET_PREFIX = "snt_cs_"  # noqa: S105 (a prefix, not a secret)
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PUBLIC_AUTH_METHOD = "none"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# what an app may be registered for (the device grant by its short name); refresh comes with code and device
GRANTS = ("client_credentials", "authorization_code", "device_code")
GRANT_TYPES = {"client_credentials": "client_credentials", "authorization_code": "authorization_code",
               DEVICE_CODE_GRANT: "device_code"}  # fmt: skip
MAX_REDIRECT_URIS = 10
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
GRAPHIQL_CLIENT_ID = "graphiql"


class ClientRegistrationError(ValueError):
    """The registration request is invalid (unknown scope or role, or a role that may not be granted)."""

    def __init__(self, message: str, field: str = "scopes") -> None:
        super().__init__(message)
        self.field = field


class CeilingError(ClientRegistrationError):
    """A role of the ceiling is not one a member of the organization may hold, or the grantor may grant."""

    def __init__(self) -> None:
        super().__init__("a role of the ceiling cannot be granted to an app of this organization", "maxRoles")


def valid_redirect_uri(uri: str) -> bool:
    """https, or http on the loopback (native and development apps); no fragment, no user info, no wildcard."""
    try:
        parts = urlsplit(uri)
        host = (parts.hostname or "").lower()
        _port = parts.port
    except ValueError:
        return False
    if len(uri) > 500 or parts.fragment or "#" in uri or "@" in parts.netloc or "*" in uri or not host:
        return False
    if any(ord(char) <= 32 or ord(char) == 127 for char in uri):
        return False
    loopback = parts.netloc.lower().split(":")[0] in LOOPBACK_HOSTS or parts.netloc.lower().startswith("[::1]")
    return parts.scheme == "https" or (parts.scheme == "http" and loopback)


def _check_grants(grants: list[str], redirect_uris: list[str], public: bool) -> list[str]:
    """The grants and redirect URIs of a registration, validated; returns the grants, deduplicated and sorted."""
    chosen = sorted(set(grants or ["client_credentials"]))
    if set(chosen) - set(GRANTS):
        raise ClientRegistrationError(f"grants must be among {', '.join(GRANTS)}", "grants")
    if public and "client_credentials" in chosen:
        raise ClientRegistrationError("a public app cannot use client credentials (it holds no secret)", "grants")
    if len(redirect_uris) > MAX_REDIRECT_URIS or not all(valid_redirect_uri(uri) for uri in redirect_uris):
        raise ClientRegistrationError(
            f"redirect URIs (at most {MAX_REDIRECT_URIS}) must be https, or http on localhost or 127.0.0.1, "
            "without a fragment",
            "redirectUris",
        )
    if ("authorization_code" in chosen) != bool(redirect_uris):
        raise ClientRegistrationError(
            "the authorization code grant needs a redirect URI, and a redirect URI needs that grant", "redirectUris"
        )
    return chosen


async def create_client(
    session: AsyncSession,
    organization: Organization,
    *,
    name: str,
    scopes: list[str],
    max_roles: list[str],
    grantable: frozenset[Role] | None = None,
    grants: list[str] | None = None,
    redirect_uris: list[str] | None = None,
    public: bool = False,
    trusted_documents_only: bool = False,
) -> tuple[OAuthClient, str]:
    """Register a partner app; returns the row and its secret (shown once, stored hashed; unusable when public).

    ``trusted_documents_only``: its tokens send only its registered documents (partnerAppCreate and
    `client create` ask for it unless told otherwise).

    Its ceiling holds only roles a member of the organization may hold and, when ``grantable``
    is given (an admin registering it), only roles among those.
    """
    unknown_scopes = sorted(set(scopes) - set(SCOPES))
    if unknown_scopes or not scopes:
        raise ClientRegistrationError(f"scopes must be a non-empty subset of {', '.join(SCOPES)}")
    try:
        wanted = {Role(role.upper()) for role in max_roles}
    except ValueError:
        raise ClientRegistrationError(f"roles must be among {', '.join(r.value for r in Role)}", "maxRoles") from None
    if not wanted:
        raise ClientRegistrationError("a client needs at least one role in its ceiling", "maxRoles")
    if wanted - app_ceiling(wanted, organization.kind) or (grantable is not None and wanted - grantable):
        raise CeilingError
    uris = list(dict.fromkeys(redirect_uris or []))
    chosen = _check_grants(list(grants or []), uris, public)
    roles = sorted(role.value for role in wanted)
    secret = CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    row = OAuthClient(
        id=uuid.uuid4(),
        organization_id=organization.id,
        client_id=f"snt_client_{secrets.token_hex(8)}",
        name=name,
        secret_hash=hash_token(secret),
        scopes=sorted(set(scopes)),
        max_roles=roles,
        redirect_uris=uris,
        public=public,
        grant_types=chosen,
        trusted_documents_only=trusted_documents_only,
    )
    session.add(row)
    await session.flush()
    return row, secret


async def find_client(session: AsyncSession, client_id: str | None) -> Client | None:
    """An enabled client by its public id, with the ceiling its organization allows it now."""
    if not client_id or len(client_id) > 64:
        return None
    row = (
        await session.execute(
            select(OAuthClient, Organization.kind)
            .join(Organization, Organization.id == OAuthClient.organization_id)
            .where(OAuthClient.client_id == client_id, OAuthClient.disabled_at.is_(None))
        )
    ).one_or_none()
    return None if row is None else Client(row[0], app_ceiling(row[0].max_roles, row[1]))


async def find_any_client(session: AsyncSession, client_id: str | None, public_url: str) -> AnyClient | None:
    """:func:`find_client`, or the API's own GraphiQL for its client id."""
    if client_id == GRAPHIQL_CLIENT_ID:
        return FirstPartyClient(public_url.rstrip("/") + "/graphql")
    return await find_client(session, client_id)


_APPS = (
    select(OAuthClient, Organization)
    .join(Organization, Organization.id == OAuthClient.organization_id)
    .where(
        OAuthClient.id == any_(bindparam("app_ids", type_=ARRAY(UUID(as_uuid=True)))), OAuthClient.disabled_at.is_(None)
    )
)


async def app_viewers(session: AsyncSession, app_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Viewer | None]:
    """The viewer each partner app acts as now, as its tokens would (its ceiling within what its organization may
    hold, its scopes), in one statement; None for one disabled or left without a role. Webhook deliveries read
    under it."""
    wanted = sorted(set(app_ids))
    rows = await session.execute(_APPS, {"app_ids": wanted})
    found = {client.id: viewer_of_app(client, organization) for client, organization in rows}
    return {app_id: found.get(app_id) for app_id in wanted}


def viewer_of_app(client: OAuthClient, organization: Organization) -> Viewer | None:
    """The viewer of an app of ``organization`` with all its scopes and its whole ceiling (None: no role left)."""
    roles = app_ceiling(client.max_roles, organization.kind)
    if not roles:
        return None
    return Viewer(
        organization_id=client.organization_id,
        organization_kind=organization.kind,
        roles=roles,
        region_ids=frozenset({organization.region_id}),
        client_id=client.client_id,
        scopes=frozenset(client.scopes),
    )


@dataclass
class Client:
    """authlib's view of a client row (sync methods, no database access)."""

    row: OAuthClient
    roles: frozenset[Role]  # its ceiling, within what its organization may hold now (api.auth.roles.app_ceiling)

    def allows_scope(self, scope: str | None) -> bool:
        """Whether every scope requested is one the app was granted."""
        return set((scope or "").split()) <= set(self.row.scopes)

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.row.scopes)
        if not scope:
            return " ".join(sorted(allowed))
        return " ".join(sorted(s for s in scope.split() if s in allowed))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.row.redirect_uris  # exact match, nothing else

    def check_client_secret(self, client_secret: str) -> bool:
        if self.row.public:
            return False
        return hmac.compare_digest(hash_token(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == PUBLIC_AUTH_METHOD if self.row.public else method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.row.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        if grant_type == "refresh_token":
            wanted = not {"authorization_code", "device_code"}.isdisjoint(self.row.grant_types)
        else:
            wanted = GRANT_TYPES.get(grant_type, "") in self.row.grant_types
        return wanted and bool(self.roles)  # no role left: no token

    @property
    def first_party(self) -> bool:
        """A partner app, not the API's own GraphiQL."""
        return False

    @property
    def name(self) -> str:
        return self.row.name


@dataclass
class FirstPartyClient:
    """The API's own GraphiQL: a public client without a row, redirecting only to ``<public URL>/graphql``,
    with the scopes ``read write``, no consent screen and no ceiling but the person's own roles."""

    redirect_uri: str
    row: None = None
    roles: None = None

    def allows_scope(self, scope: str | None) -> bool:
        return set((scope or "").split()) <= set(SCOPES)

    def get_client_id(self) -> str:
        return GRAPHIQL_CLIENT_ID

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(sorted(set((scope or " ".join(SCOPES)).split()) & set(SCOPES)))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == PUBLIC_AUTH_METHOD

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")

    @property
    def first_party(self) -> bool:
        return True

    @property
    def name(self) -> str:
        return "GraphiQL"


AnyClient = Client | FirstPartyClient
