"""Cross-origin calls to /graphql from partner frontends in browsers (CORS), for the allowed origins only.

A partner single-page app on its own origin signs its person in with the authorization code grant and then
calls /graphql with a bearer token. Browsers allow that only when the API says so: preflights and answers of
/graphql carry ``Access-Control-Allow-*`` for the origins of ``SANCTUARY_ALLOWED_ORIGINS`` (the same list the
WebSocket subscriptions check; by default only the API's own origin). No cookie is ever read at /graphql, so
no credentials are allowed; every other path is left as it is.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Request-Id", "traceparent")
EXPOSED_HEADERS = ("RateLimit", "RateLimit-Policy", "Retry-After", "X-Request-Id")


class GraphQLCors:
    """CORS on /graphql (HTTP) for ``origins``; anything else passes through untouched."""

    def __init__(self, app: ASGIApp, origins: frozenset[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=sorted(origins),
            allow_methods=["GET", "POST"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql":
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
