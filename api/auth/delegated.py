"""Access tokens acting for a person (authorization code and device grants): who they act for, and within what.

A delegated token carries ``sub`` (the member), ``client_id``, ``sid`` (its ``oauth_session``), ``auth_time`` and
``scope``. It acts with the member's CURRENT roles, within the app's ceiling as its organization allows it
(:func:`api.auth.roles.app_ceiling`); the API's own GraphiQL has no ceiling but the person's roles and is the
person's own credential. It is refused as soon as the member is inactive, the session ended, the app disabled,
the token revoked, or nothing is left of the roles. One query checks all of it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.auth.clients import GRAPHIQL_CLIENT_ID
from api.auth.roles import app_ceiling, fitting
from api.auth.viewer import Viewer
from api.models import Member, OAuthClient, OAuthSession, Organization, RevokedToken
from api.models.enums import OrganizationKind, Role


@dataclass(frozen=True)
class Grantee:
    """The person an authorization code, device grant or refresh token is exchanged for (authlib's "user")."""

    member_id: uuid.UUID
    organization_id: uuid.UUID
    roles: frozenset[Role]  # what the token acts with when issued (re-checked on every request)
    auth_time: datetime
    session_id: uuid.UUID

    def get_user_id(self) -> str:
        return str(self.member_id)


def delegated_roles(
    member_roles: list[str], member_kind: OrganizationKind, ceiling: list[str] | None, app_kind: OrganizationKind | None
) -> frozenset[Role]:
    """The member's roles (as their organization allows) within the app's ceiling (as the app's organization
    allows it); no ceiling (``None``) is the API's own GraphiQL."""
    held = fitting(member_roles, member_kind)
    if ceiling is None:
        return held
    assert app_kind is not None
    return held & app_ceiling(ceiling, app_kind)


def claims_for(grantee: Grantee) -> dict[str, Any]:
    """The claims a delegated access token adds to the RFC 9068 ones."""
    return {"org": str(grantee.organization_id), "roles": sorted(grantee.roles), "sid": str(grantee.session_id)}


_APP_ORG = aliased(Organization)

# One statement object for every request (values are bound at execution): member, organization, session, app
# and the token's revocation in one round trip.
_DELEGATED = (
    select(
        Member.organization_id, Member.roles, Member.region_id, Organization.kind, Organization.region_id.label("org_region"),
        OAuthSession.client_id.label("app_row"), OAuthSession.scopes.label("session_scopes"),
        OAuthClient.client_id.label("app_client_id"), OAuthClient.max_roles, OAuthClient.scopes.label("app_scopes"),
        OAuthClient.disabled_at, _APP_ORG.kind.label("app_kind"),
        exists().where(RevokedToken.jti == bindparam("jti")).label("revoked"),
    )
    .select_from(OAuthSession)
    .join(Member, Member.id == OAuthSession.member_id)
    .join(Organization, Organization.id == Member.organization_id)
    .outerjoin(OAuthClient, OAuthClient.id == OAuthSession.client_id)
    .outerjoin(_APP_ORG, _APP_ORG.id == OAuthClient.organization_id)
    .where(
        OAuthSession.id == bindparam("sid"), OAuthSession.member_id == bindparam("sub"),
        OAuthSession.revoked_at.is_(None), Member.active,
    )
)  # fmt: skip


async def viewer_for_delegated(session: AsyncSession, claims: dict[str, Any]) -> Viewer | None:
    """The viewer of a verified delegated token's claims, or None when it must be refused."""
    try:
        sid, sub = uuid.UUID(str(claims["sid"])), uuid.UUID(str(claims["sub"]))
        auth_time = datetime.fromtimestamp(int(claims["auth_time"]), UTC)
    except (KeyError, ValueError, TypeError, OverflowError):
        return None
    connection = await session.connection()
    row = (await connection.execute(_DELEGATED, {"sid": sid, "sub": sub, "jti": str(claims["jti"])})).one_or_none()
    if row is None or row.revoked:
        return None
    first_party = row.app_row is None
    if first_party and claims["client_id"] != GRAPHIQL_CLIENT_ID:
        return None
    if not first_party and (row.app_client_id != claims["client_id"] or row.disabled_at is not None):
        return None
    roles = delegated_roles(row.roles, row.kind, None if first_party else row.max_roles, row.app_kind)
    scopes = set(str(claims.get("scope", "")).split()) & set(row.session_scopes)
    if not first_party:
        scopes &= set(row.app_scopes)
    if not roles:
        return None  # nothing is left of the person's roles within the app's ceiling: refused
    return Viewer(
        member_id=sub,
        organization_id=row.organization_id,
        organization_kind=row.kind,
        roles=roles,
        region_ids=frozenset(r for r in (row.org_region, row.region_id) if r is not None),
        client_id=None if first_party else row.app_client_id,
        scopes=frozenset(scopes),
        own_credential=first_party,  # GraphiQL is the person themselves; a partner app acting for them is not
        auth_time=auth_time,
        session_id=sid,
    )
