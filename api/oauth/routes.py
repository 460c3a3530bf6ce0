"""The routes of the authorization server for people (the token, revocation and JWKS routes are in api/app.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.oauth import authorize, device, server


async def device_authorization(request: Request) -> Response:
    """/oauth/device_authorization behind the same rate limits as /oauth/token."""
    return await request.app.state.rate_gate.token_endpoint(request, server.device_authorization_endpoint)  # type: ignore[no-any-return]


def routes() -> list[BaseRoute]:
    """Authorize, consent, device authorization and verification, discovery."""
    return [
        Route("/oauth/authorize", authorize.authorize, methods=["GET"]),
        Route("/oauth/device_authorization", device_authorization, methods=["POST"]),
        Route("/.well-known/oauth-authorization-server", server.discovery_endpoint, methods=["GET"]),
        Route("/signin/consent", authorize.consent_form, methods=["GET"]),
        Route("/signin/consent", authorize.consent_decide, methods=["POST"]),
        Route("/signin/device", device.device_form, methods=["GET"]),
        Route("/signin/device", device.device_submit, methods=["POST"]),
        Route("/signin/device/decide", device.device_decide, methods=["POST"]),
    ]
