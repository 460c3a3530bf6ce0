"""Turn a request's credentials into a Viewer (or refuse them)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import PAT_PREFIX, viewer_for_personal_token
from api.auth.viewer import ANONYMOUS, Viewer


class AuthenticationError(Exception):
    """Credentials were sent but are not valid (unknown, expired, revoked or malformed)."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


async def authenticate(session: AsyncSession, authorization: str | None) -> Viewer:
    """The viewer for an Authorization header value; anonymous without one."""
    if authorization is None or not authorization.strip():
        return ANONYMOUS
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationError("Use the Bearer scheme: `Authorization: Bearer <token>`.")
    if token.startswith(PAT_PREFIX):
        viewer = await viewer_for_personal_token(session, token)
        if viewer is not None:
            return viewer
    raise AuthenticationError("The access token is invalid, expired or revoked.")
