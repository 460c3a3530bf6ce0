"""Database unavailability as a fast, well-formed 503 on every endpoint (never a plain-text 500).

An ASGI middleware around the application: when a request fails because the database cannot serve it
(refused, lost or too many connections, no pooled connection in time, a statement timed out; see
``api.db.is_unavailable``) and no response has started, it answers 503 with ``Retry-After``: a GraphQL
error body on /graphql, an OAuth error on /oauth/*, a JSON status elsewhere. The log line names the
error type only, never its message (it may quote values).
"""

from __future__ import annotations

import logging
import uuid

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.db import is_unavailable
from api.logs import request_id as request_id_var

logger = logging.getLogger("api.unavailable")
MESSAGE = "The service is temporarily unavailable. Retry later."
CODE = "SERVICE_UNAVAILABLE"


class UnavailableMiddleware:
    """Turns a database-unavailable failure of a request into a 503 with ``Retry-After``."""

    def __init__(self, app: ASGIApp, retry_after_s: int = 5) -> None:
        self.app = app
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        token = request_id_var.set(None)
        try:
            await self.app(scope, receive, watch)
        except Exception as error:
            if started or not is_unavailable(error):
                raise
            request_id = request_id_var.get() or uuid.uuid4().hex
            logger.warning("database unavailable: %s on %s", type(error).__name__, scope.get("path", "-"))
            await unavailable_response(scope.get("path", ""), request_id, self.retry_after_s)(scope, receive, send)
        finally:
            request_id_var.reset(token)


def unavailable_response(path: str, request_id: str, retry_after_s: int) -> Response:
    """The 503 for ``path``: a GraphQL error, an OAuth error or a JSON status."""
    headers = {"Retry-After": str(retry_after_s), "Cache-Control": "no-store", "x-request-id": request_id}
    body: dict[str, object]
    if path.startswith("/oauth/"):
        body = {"error": "temporarily_unavailable", "error_description": MESSAGE}
    elif path.startswith("/graphql"):
        extensions = {"code": CODE, "requestId": request_id}
        body = {"data": None, "errors": [{"message": MESSAGE, "extensions": extensions}]}
    else:
        body = {"status": "unavailable", "requestId": request_id}
    return JSONResponse(body, status_code=503, headers=headers)
