"""Verifying the access tokens this service issued (RFC 9068 JWTs, ES256 only): to partner apps acting for their
organization (client credentials), and acting for a person (``sid``: see :mod:`api.auth.delegated`)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.delegated import viewer_for_delegated
from api.auth.jose import peek
from api.auth.roles import app_ceiling
from api.auth.signing import ALGORITHM, SigningKeys
from api.auth.viewer import Viewer
from api.models import OAuthClient, Organization, RevokedToken
from api.models.enums import OrganizationKind, Role
from api.settings import Settings

LEEWAY_SECONDS = 30


@dataclass
class VerifiedToken:
    """A token whose signature and claims verified; ``revoked`` and ``client`` come from the database."""

    claims: dict[str, Any]
    client: OAuthClient | None
    revoked: bool
    organization: tuple[OrganizationKind, uuid.UUID] | None = None  # the client's organization: kind, region

    def check_client(self, client: Any) -> bool:
        return bool(self.claims.get("client_id") == client.get_client_id())

    def is_expired(self) -> bool:
        return int(self.claims["exp"]) <= int(time.time())

    def is_revoked(self) -> bool:
        return self.revoked or self.client is None

    def roles(self) -> frozenset[Role]:
        """The roles the token acts with now: those it claims, within its app's ceiling as the organization allows it."""
        if self.client is None or self.organization is None:
            return frozenset()
        claimed = {str(role) for role in self.claims.get("roles", [])} & set(self.client.max_roles)
        return app_ceiling(claimed, self.organization[0])


async def decode(session: AsyncSession, keys: SigningKeys, settings: Settings, token: str) -> dict[str, Any] | None:
    """The claims of a token whose signature (pinned ES256, our keys only), ``typ``, ``iss``, ``aud``, ``exp`` and
    ``nbf`` verify; None otherwise. Nothing about revocation."""
    header, _claims = peek(token)
    if header.get("alg") != ALGORITHM or header.get("typ") != "at+jwt" or not isinstance(header.get("kid"), str):
        return None
    keyset = await keys.public_keys(session, kid=header["kid"])
    try:
        decoded = jwt.decode(token, keyset, algorithms=[ALGORITHM])
        jwt.JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.api_audience},
            exp={"essential": True},
            jti={"essential": True},
            client_id={"essential": True},
        ).validate(decoded.claims)
    except (JoseError, ValueError, KeyError):
        return None
    return dict(decoded.claims)


async def verify(session: AsyncSession, keys: SigningKeys, settings: Settings, token: str) -> VerifiedToken | None:
    """:func:`decode`, then the client, its organization and the revocation."""
    claims = await decode(session, keys, settings, token)
    return None if claims is None else await _with_client(session, claims)


async def _with_client(session: AsyncSession, claims: dict[str, Any]) -> VerifiedToken:
    revoked = exists().where(RevokedToken.jti == str(claims["jti"])).label("revoked")
    row = (
        await session.execute(  # the client, its organization and the revocation, in one round trip
            select(OAuthClient, Organization.kind, Organization.region_id, revoked)
            .join(Organization, Organization.id == OAuthClient.organization_id)
            .where(OAuthClient.client_id == claims["client_id"], OAuthClient.disabled_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        return VerifiedToken(claims=claims, client=None, revoked=True)
    return VerifiedToken(claims=claims, client=row[0], revoked=bool(row.revoked), organization=(row[1], row[2]))


async def viewer_for_access_token(
    session: AsyncSession, keys: SigningKeys, settings: Settings, token: str
) -> Viewer | None:
    """The partner app's viewer, within the role ceiling its organization gives it now; or, for a token acting for
    a person, that person within the app's ceiling (:func:`api.auth.delegated.viewer_for_delegated`)."""
    claims = await decode(session, keys, settings, token)
    if claims is not None and "sid" in claims:
        return await viewer_for_delegated(session, claims)
    verified = None if claims is None else await _with_client(session, claims)
    if verified is None or verified.is_revoked() or verified.client is None:
        return None
    client = verified.client
    assert verified.organization is not None
    kind, region_id = verified.organization
    roles = verified.roles()
    if not roles:
        return None  # nothing its organization may hold is left: the token is refused
    scopes = frozenset(str(verified.claims.get("scope", "")).split()) & set(client.scopes)
    return Viewer(
        organization_id=client.organization_id,
        organization_kind=kind,
        roles=roles,
        region_ids=frozenset({region_id}),
        client_id=client.client_id,
        scopes=scopes,
    )
