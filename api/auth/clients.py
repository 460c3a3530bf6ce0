"""Partner apps (OAuth 2.0 confidential clients): registration, secrets and the authlib client model."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import app_ceiling
from api.auth.tokens import hash_token
from api.auth.viewer import Viewer
from api.models import OAuthClient, Organization
from api.models.enums import Role

SCOPES = ("read", "write", "webhooks")  # webhooks: the app manages its own webhook endpoints
CLIENT_SECRET_PREFIX = "snt_cs_"  # noqa: S105 (a prefix, not a secret)
AUTH_METHODS = ("client_secret_basic", "client_secret_post")


class ClientRegistrationError(ValueError):
    """The registration request is invalid (unknown scope or role, or a role that may not be granted)."""

    def __init__(self, message: str, field: str = "scopes") -> None:
        super().__init__(message)
        self.field = field


class CeilingError(ClientRegistrationError):
    """A role of the ceiling is not one a member of the organization may hold, or the grantor may grant."""

    def __init__(self) -> None:
        super().__init__("a role of the ceiling cannot be granted to an app of this organization", "maxRoles")


async def create_client(
    session: AsyncSession,
    organization: Organization,
    *,
    name: str,
    scopes: list[str],
    max_roles: list[str],
    grantable: frozenset[Role] | None = None,
) -> tuple[OAuthClient, str]:
    """Register a partner app; returns the row and its secret (shown once, stored hashed).

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


async def app_viewer(session: AsyncSession, app_id: uuid.UUID) -> Viewer | None:
    """The viewer a partner app acts as now, as its tokens would (its ceiling within what its organization may
    hold, its scopes); None when it is disabled or no role is left. Webhook deliveries read under it."""
    row = (
        await session.execute(
            select(OAuthClient, Organization)
            .join(Organization, Organization.id == OAuthClient.organization_id)
            .where(OAuthClient.id == app_id, OAuthClient.disabled_at.is_(None))
        )
    ).one_or_none()
    return None if row is None else viewer_of_app(row[0], row[1])


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
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(hash_token(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials" and bool(self.roles)  # no role left: no token
