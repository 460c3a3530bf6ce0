"""Tokens from external OpenID Connect issuers, mapped to members by a configured claim.

Each issuer is configured with its ``issuer``, the ``audience`` tokens must carry, its keys
(inline ``jwks``, a ``jwks_uri`` fetched and cached, or the ``jwks_uri`` of its discovery document),
the pinned ``algorithms`` (never ``none``, never symmetric) and the ``claim`` whose value is a
member's email. A key is never taken from the token itself. An issuer with a ``client_id`` also
signs people in on the sign-in page (:mod:`api.signin.issuers`): its ID tokens must name that
client as their audience and carry the sign-in's nonce.
"""

from __future__ import annotations

import hashlib
import time
import uuid
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
    # Browser sign-in ("Sign in with <display_name>" on /signin): this API as the issuer's OpenID client.
    client_id: str | None = None
    client_secret: str | None = None  # none: a public client (PKCE alone)
    display_name: str | None = None
    discovery: bool = False  # endpoints (and jwks_uri) from <issuer>/.well-known/openid-configuration
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    organization_id: uuid.UUID | None = None  # when set, only that organization's members sign in through it

    @property
    def key(self) -> str:
        """A short, stable name of the issuer in the sign-in pages' paths."""
        return hashlib.sha256(self.issuer.encode()).hexdigest()[:16]

    @property
    def signs_in(self) -> bool:
        """True when people sign in with this issuer on the sign-in page."""
        return self.client_id is not None

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
        if issuer.jwks is not None and issuer.jwks_uri is not None:
            raise ValueError(f"issuer {issuer.issuer}: give jwks or jwks_uri, not both")
        if issuer.jwks is None and issuer.jwks_uri is None and not issuer.discovery:
            raise ValueError(f"issuer {issuer.issuer}: give jwks, jwks_uri or discovery")
        endpoints = issuer.authorization_endpoint is not None and issuer.token_endpoint is not None
        if issuer.signs_in and not (endpoints or issuer.discovery):
            raise ValueError(f"issuer {issuer.issuer}: a client_id needs discovery or both endpoints")
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
    _metadata: dict[str, dict[str, Any]] = field(default_factory=dict)

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
        row = await member_for_claims(session, issuer, claims, organization_wide=True) if claims else None
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

    async def id_token_claims(self, issuer: IssuerConfig, token: str, nonce: str) -> dict[str, Any] | None:
        """The claims of an ID token of a browser sign-in: signed by the issuer (pinned algorithms), for this
        API's client, with the sign-in's nonce, not expired; None otherwise."""
        expected = {"aud": {"essential": True, "value": issuer.client_id}, "nonce": {"essential": True, "value": nonce}}
        return await self._verified_claims(issuer, token, expected)

    async def endpoints(self, issuer: IssuerConfig) -> tuple[str, str]:
        """The issuer's authorization and token endpoints (configured, or from its discovery document)."""
        if issuer.authorization_endpoint and issuer.token_endpoint:
            return issuer.authorization_endpoint, issuer.token_endpoint
        metadata = await self._discover(issuer)
        return str(metadata["authorization_endpoint"]), str(metadata["token_endpoint"])

    async def _discover(self, issuer: IssuerConfig) -> dict[str, Any]:
        """The issuer's discovery document, fetched once per process; its ``issuer`` must be the configured one."""
        if issuer.issuer not in self._metadata:
            url = issuer.issuer.rstrip("/") + "/.well-known/openid-configuration"
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.get(url)
                response.raise_for_status()
            metadata = response.json()
            if not isinstance(metadata, dict) or metadata.get("issuer") != issuer.issuer:
                raise ValueError("the discovery document names another issuer")
            self._metadata[issuer.issuer] = metadata
        return self._metadata[issuer.issuer]

    async def _verified_claims(
        self, issuer: IssuerConfig, token: str, expected: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        checks = expected or {"aud": {"essential": True, "value": issuer.audience}}
        for attempt in range(2):
            keys = await self._keys(issuer, refresh=attempt == 1)
            try:
                decoded = jwt.decode(token, keys, algorithms=issuer.algorithms)
                jwt.JWTClaimsRegistry(
                    leeway=30, iss={"essential": True, "value": issuer.issuer}, exp={"essential": True}, **checks
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
            try:
                uri = issuer.jwks_uri or str((await self._discover(issuer))["jwks_uri"])
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(uri)
                    response.raise_for_status()
                cached = _CachedKeys(KeySet.import_key_set(response.json()), time.monotonic())
                self._cache[issuer.issuer] = cached
            except (httpx.HTTPError, ValueError, KeyError, JoseError):
                if cached is None:
                    return KeySet([])
        return cached.keys


async def member_for_claims(
    session: AsyncSession, issuer: IssuerConfig, claims: dict[str, Any], *, organization_wide: bool = False
) -> Any:
    """(member, organization kind, organization region) of the active member the claims name, or None. Unless
    ``organization_wide``, an issuer tied to an organization names only that organization's members."""
    value = claims.get(issuer.claim)
    if not isinstance(value, str) or not value:
        return None
    statement = (
        select(Member, Organization.kind, Organization.region_id)
        .join(Organization, Organization.id == Member.organization_id)
        .where(func.lower(Member.email) == value.lower(), Member.active)
    )
    if issuer.organization_id is not None and not organization_wide:
        statement = statement.where(Member.organization_id == issuer.organization_id)
    return (await session.execute(statement)).one_or_none()
