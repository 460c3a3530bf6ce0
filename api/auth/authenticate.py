"""Turn a request's credentials into a Viewer (or refuse them)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.access_tokens import viewer_for_access_token
from api.auth.jose import peek
from api.auth.oidc import ExternalIssuers
from api.auth.signing import SigningKeys
from api.auth.tokens import PAT_PREFIX, hash_token, viewer_for_personal_token, viewers_for_personal_tokens
from api.auth.viewer import ANONYMOUS, Viewer
from api.models import PersonalAccessToken
from api.settings import Settings


class AuthenticationError(Exception):
    """Credentials were sent but are not valid (unknown, expired, revoked or malformed)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


async def authenticate(
    session: AsyncSession,
    authorization: str | None,
    *,
    keys: SigningKeys,
    settings: Settings,
    external: ExternalIssuers | None = None,
    note_use: bool = False,
) -> Viewer:
    """The viewer for an Authorization header value; anonymous without one. ``note_use``: a request is made
    with it (a personal access token's last use is written, at most once a minute)."""
    if authorization is None or not authorization.strip():
        return ANONYMOUS
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Use the Bearer scheme: `Authorization: Bearer <token>`.")
    viewer: Viewer | None = None
    if token.startswith(PAT_PREFIX):
        viewer = await viewer_for_personal_token(session, token, note_use=note_use)
    elif token.count(".") == 2 and external is not None and external.issuer_of(token) is not None:
        viewer = await external.viewer(session, token)
    elif token.count(".") == 2:
        viewer = await viewer_for_access_token(session, keys, settings, token)
    if viewer is not None:
        return viewer
    raise AuthenticationError("The access token is invalid, expired or revoked.")


async def credential_expiry(session: AsyncSession, authorization: str | None) -> datetime | None:
    """When an accepted credential expires (None: unknown or never): a credential refused later is then told
    apart as expired (the client must get a new one) or revoked (its member or app lost the right)."""
    token = (authorization or "").strip().partition(" ")[2].strip()
    if token.startswith(PAT_PREFIX):
        expires = await session.scalar(
            select(PersonalAccessToken.expires_at).where(PersonalAccessToken.token_hash == hash_token(token))
        )
        return expires
    exp = peek(token)[1].get("exp") if token.count(".") == 2 else None
    return datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None


async def authenticate_many(
    session: AsyncSession,
    authorizations: set[str],
    *,
    keys: SigningKeys,
    settings: Settings,
    external: ExternalIssuers | None = None,
) -> dict[str, Viewer | None]:
    """:func:`authenticate` for many Authorization values at once (None for each refused one): personal tokens in
    one statement, the others one by one."""
    tokens = {value: value.strip().partition(" ")[2].strip() for value in authorizations}
    personal = {v: t for v, t in tokens.items() if v.strip().lower().startswith("bearer ") and t.startswith(PAT_PREFIX)}
    found = await viewers_for_personal_tokens(session, list(personal.values()))
    answers: dict[str, Viewer | None] = {value: found.get(token) for value, token in personal.items()}
    for value in authorizations - personal.keys():
        try:
            answers[value] = await authenticate(session, value, keys=keys, settings=settings, external=external)
        except AuthenticationError:
            answers[value] = None
    return answers
