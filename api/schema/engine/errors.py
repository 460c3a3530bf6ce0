"""Errors clients see. Expected ones carry a code; anything else is masked."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class ClientError(GraphQLError):
    """An error whose message is safe to show (it never echoes input values)."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code or self.code, **extensions})


class BadRequestError(ClientError):
    """Malformed input: ids, cursors, page sizes."""

    code = "BAD_REQUEST"


class ForbiddenError(ClientError):
    """A valid principal without permission."""

    code = "FORBIDDEN"


MASKED_MESSAGE = "Internal server error. The request id in extensions identifies it in the server logs."
