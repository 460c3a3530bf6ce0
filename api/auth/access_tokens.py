"""Verifying the access tokens this service issued to partner apps (RFC 9068 JWTs, ES256 only)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.signing import ALGORITHM, SigningKeys
from api.auth.viewer import Viewer
from api.models import OAuthClient, Organization, RevokedToken
from api.models.enums import Role
from api.settings import Settings

LEEWAY_SECONDS = 30


@dataclass
class VerifiedToken:
    """A token whose signature and claims verified; ``revoked`` and ``client`` come from the database."""

    claims: dict[str, Any]
    client: OAuthClient | None
    revoked: bool

    def check_client(self, client: Any) -> bool:
        return bool(self.claims.get("client_id") == client.get_client_id())

    def is_expired(self) -> bool:
        return int(self.claims["exp"]) <= int(time.time())

    def is_revoked(self) -> bool:
        return self.revoked or self.client is None


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header, parsed without trusting it (to pick a key); empty when malformed."""
    try:
        segment = token.split(".", 1)[0]
        header = orjson.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        return {}
    return header if isinstance(header, dict) else {}


async def verify(session: AsyncSession, keys: SigningKeys, settings: Settings, token: str) -> VerifiedToken | None:
    """Signature (pinned ES256, our keys only), ``typ``, ``iss``, ``aud``, ``exp``, ``nbf``; then revocation."""
    header = unverified_header(token)
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
    claims = decoded.claims
    client = await session.scalar(
        select(OAuthClient).where(OAuthClient.client_id == claims["client_id"], OAuthClient.disabled_at.is_(None))
    )
    revoked = bool(await session.scalar(select(exists().where(RevokedToken.jti == str(claims["jti"])))))
    return VerifiedToken(claims=claims, client=client, revoked=revoked)


async def viewer_for_access_token(
    session: AsyncSession, keys: SigningKeys, settings: Settings, token: str
) -> Viewer | None:
    """The partner app's viewer, within the role ceiling its organization gives it now."""
    verified = await verify(session, keys, settings, token)
    if verified is None or verified.is_revoked() or verified.client is None:
        return None
    client = verified.client
    organization = await session.get(Organization, client.organization_id)
    if organization is None:
        return None
    claimed = {str(role) for role in verified.claims.get("roles", [])}
    roles = frozenset(Role(role) for role in claimed & set(client.max_roles))
    scopes = frozenset(str(verified.claims.get("scope", "")).split()) & set(client.scopes)
    return Viewer(
        organization_id=client.organization_id,
        organization_kind=organization.kind,
        roles=roles,
        region_ids=frozenset({organization.region_id}),
        client_id=client.client_id,
        scopes=scopes,
    )
