"""Personal access tokens: random bearer secrets shown once and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import LargeBinary, any_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import Member, Organization, PersonalAccessToken
from api.models.enums import Role

PAT_PREFIX = "snt_pat_"
MINTED_BY_SELF = "SELF"
MINTED_BY_OPERATOR = "OPERATOR"
OWN_MINTERS = (MINTED_BY_SELF, MINTED_BY_OPERATOR)  # not UNKNOWN: possibly minted by another admin before 0009
MAX_LIFETIME = timedelta(days=366)
USE_NOTED_EVERY = timedelta(minutes=1)  # how often a token's last use is written, at most


def hash_token(token: str) -> bytes:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).digest()


async def create_personal_token(
    session: AsyncSession, member: Member, *, name: str, lifetime: timedelta, minted_by: Member | None = None
) -> tuple[PersonalAccessToken, str]:
    """Create a token for ``member``; returns the row and the secret (never stored, shown once).

    ``minted_by`` is the member themselves (the API); None is the operator (CLI, seed). Nobody
    else mints a person's token.
    """
    if lifetime <= timedelta(0) or lifetime > MAX_LIFETIME:
        raise ValueError("token lifetime must be between 1 second and 366 days")
    if minted_by is not None and minted_by.id != member.id:
        raise ValueError("a personal access token is minted by its own member (or the operator)")
    secret = PAT_PREFIX + secrets.token_urlsafe(32)
    row = PersonalAccessToken(
        id=uuid.uuid4(),
        member_id=member.id,
        name=name,
        token_hash=hash_token(secret),
        expires_at=datetime.now(UTC) + lifetime,
        minted_by=MINTED_BY_OPERATOR if minted_by is None else MINTED_BY_SELF,
    )
    session.add(row)
    await session.flush()
    return row, secret


# One statement object for every request: SQLAlchemy memoizes its cache key (values are bound at execution).
_VALID = (
    select(Member.id, Member.organization_id, Member.roles, Member.region_id, Organization.kind,
           Organization.region_id.label("org_region"), PersonalAccessToken.minted_by, PersonalAccessToken.token_hash,
           PersonalAccessToken.id.label("token_id"), PersonalAccessToken.last_used_at)
    .join(PersonalAccessToken, PersonalAccessToken.member_id == Member.id)
    .join(Organization, Organization.id == Member.organization_id)
    .where(PersonalAccessToken.revoked_at.is_(None), PersonalAccessToken.expires_at > bindparam("now"), Member.active)
)  # fmt: skip
_TOKEN_VIEWER = _VALID.where(PersonalAccessToken.token_hash == bindparam("token_hash"))
# The same rule for many tokens at once (open subscriptions, re-checked together).
_TOKENS_VIEWERS = _VALID.where(PersonalAccessToken.token_hash == any_(bindparam("hashes", type_=ARRAY(LargeBinary))))
# A token's last use: a plain UPDATE, not a versioned ORM write (it changes nothing about the token: neither its
# version nor updated_at), at most once per USE_NOTED_EVERY, and never waiting: a row another transaction holds
# (the same token's other request noting it, or a revocation) is skipped, so requests with one token at once
# neither conflict nor queue.
_DUE = select(PersonalAccessToken.id).where(
    PersonalAccessToken.id == bindparam("token_id"),
    or_(PersonalAccessToken.last_used_at.is_(None), PersonalAccessToken.last_used_at < func.now() - USE_NOTED_EVERY),
)
_NOTE_USE = (
    update(PersonalAccessToken)
    .where(PersonalAccessToken.id.in_(_DUE.with_for_update(skip_locked=True)))
    .values(last_used_at=func.now(), updated_at=PersonalAccessToken.updated_at)
)


async def viewer_for_personal_token(session: AsyncSession, secret: str, *, note_use: bool = False) -> Viewer | None:
    """The viewer a token stands for, or None if it is unknown, expired, revoked or its member inactive;
    ``note_use``: a request is made with it (its last use is written when due)."""
    connection = await session.connection()
    now = datetime.now(UTC)
    row = (await connection.execute(_TOKEN_VIEWER, {"token_hash": hash_token(secret), "now": now})).one_or_none()
    if row is None:
        return None
    if note_use and (row.last_used_at is None or row.last_used_at < now - USE_NOTED_EVERY):
        await connection.execute(_NOTE_USE, {"token_id": row.token_id})
    return _viewer(row)


async def viewers_for_personal_tokens(session: AsyncSession, secrets: list[str]) -> dict[str, Viewer]:
    """The viewers of many tokens in one statement (by the rule of :func:`viewer_for_personal_token`); a token
    that stands for no one is absent from the answer."""
    by_hash = {hash_token(secret): secret for secret in secrets}
    if not by_hash:
        return {}
    connection = await session.connection()
    rows = await connection.execute(_TOKENS_VIEWERS, {"hashes": list(by_hash), "now": datetime.now(UTC)})
    return {by_hash[row.token_hash]: _viewer(row) for row in rows}


def _viewer(row: Any) -> Viewer:
    return Viewer(
        member_id=row.id,
        organization_id=row.organization_id,
        organization_kind=row.kind,
        roles=frozenset(Role(r) for r in row.roles),
        region_ids=frozenset(r for r in (row.org_region, row.region_id) if r is not None),
        own_credential=row.minted_by in OWN_MINTERS,
    )


async def revoke_personal_token(session: AsyncSession, token_id: uuid.UUID) -> bool:
    """Revoke a token; it stops working on the very next request."""
    result = await session.execute(
        update(PersonalAccessToken)
        .where(PersonalAccessToken.id == token_id, PersonalAccessToken.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    return bool(getattr(result, "rowcount", 0))
