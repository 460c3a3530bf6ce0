"""Tokens from external OpenID Connect issuers, mapped to members by a configured claim.

Each issuer is configured with its ``issuer``, the ``audience`` tokens must carry, its keys
(inline ``jwks`` or a ``jwks_uri`` fetched and cached), the pinned ``algorithms`` (never
``none``, never symmetric) and the ``claim`` whose value is a member's email. A key is never
taken from the token itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import BaseModel, field_validator
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.jose import peek
from api.auth.viewer import Viewer
from api.models import Member, Organization
from api.models.enums import Role

ASYMMETRIC = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
JWKS_TTL_SECONDS = 600.0
JWKS_MIN_REFRESH_SECONDS = 60.0


class IssuerConfig(BaseModel):
    """One trusted external issuer."""

    issuer: str
    audience: str
    claim: str = "email"
    algorithms: list[str] = ["RS256"]
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None

    @field_validator("algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        if not value or not set(value) <= ASYMMETRIC:
            raise ValueError(f"algorithms must be a non-empty subset of {sorted(ASYMMETRIC)}")
        return value


def parse_issuers(raw: str) -> list[IssuerConfig]:
    """Parse ``SANCTUARY_OIDC_ISSUERS`` (a JSON list); each issuer needs keys inline or by URI."""
    issuers = [IssuerConfig.model_validate(item) for item in orjson.loads(raw or "[]")]
    for issuer in issuers:
        if (issuer.jwks is None) == (issuer.jwks_uri is None):
            raise ValueError(f"issuer {issuer.issuer}: give exactly one of jwks or jwks_uri")
    return issuers


@dataclass
class _CachedKeys:
    keys: KeySet
    fetched_at: float


@dataclass
class ExternalIssuers:
    """Verifies external tokens; caches each issuer's JWKS in process."""

    issuers: list[IssuerConfig]
    _cache: dict[str, _CachedKeys] = field(default_factory=dict)

    def issuer_of(self, token: str) -> IssuerConfig | None:
        """The configured issuer a token claims to come from (unverified routing only)."""
        claimed = peek(token)[1].get("iss")
        return next((i for i in self.issuers if i.issuer == claimed), None)

    async def viewer(self, session: AsyncSession, token: str) -> Viewer | None:
        """The member an external token maps to, or None if it does not verify or maps to no active member."""
        issuer = self.issuer_of(token)
        if issuer is None:
            return None
        claims = await self._verified_claims(issuer, token)
        value = claims.get(issuer.claim) if claims else None
        if not isinstance(value, str) or not value:
            return None
        row = (
            await session.execute(
                select(Member, Organization.kind, Organization.region_id)
                .join(Organization, Organization.id == Member.organization_id)
                .where(func.lower(Member.email) == value.lower(), Member.active)
            )
        ).one_or_none()
        if row is None:
            return None
        member, kind, org_region = row
        return Viewer(
            member_id=member.id,
            organization_id=member.organization_id,
            organization_kind=kind,
            roles=frozenset(Role(r) for r in member.roles),
            region_ids=frozenset(r for r in (org_region, member.region_id) if r is not None),
            own_credential=True,  # the person signed in with their organization's issuer
        )

    async def _verified_claims(self, issuer: IssuerConfig, token: str) -> dict[str, Any] | None:
        for attempt in range(2):
            keys = await self._keys(issuer, refresh=attempt == 1)
            try:
                decoded = jwt.decode(token, keys, algorithms=issuer.algorithms)
                jwt.JWTClaimsRegistry(
                    leeway=30,
                    iss={"essential": True, "value": issuer.issuer},
                    aud={"essential": True, "value": issuer.audience},
                    exp={"essential": True},
                ).validate(decoded.claims)
                return decoded.claims
            except (JoseError, ValueError, KeyError):
                if issuer.jwks is not None or attempt == 1:
                    return None
        return None

    def __post_init__(self) -> None:
        for issuer in self.issuers:  # inline keys are parsed once, not on every request
            if issuer.jwks is not None:
                self._cache[issuer.issuer] = _CachedKeys(KeySet.import_key_set(issuer.jwks), float("inf"))  # type: ignore[arg-type]

    async def _keys(self, issuer: IssuerConfig, *, refresh: bool) -> KeySet:
        if issuer.jwks is not None:
            return self._cache[issuer.issuer].keys
        cached = self._cache.get(issuer.issuer)
        age = time.monotonic() - cached.fetched_at if cached else float("inf")
        if cached is None or age > JWKS_TTL_SECONDS or (refresh and age > JWKS_MIN_REFRESH_SECONDS):
            assert issuer.jwks_uri is not None
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(issuer.jwks_uri)
                    response.raise_for_status()
                cached = _CachedKeys(KeySet.import_key_set(response.json()), time.monotonic())
                self._cache[issuer.issuer] = cached
            except (httpx.HTTPError, ValueError, JoseError):
                if cached is None:
                    return KeySet([])
        return cached.keys
