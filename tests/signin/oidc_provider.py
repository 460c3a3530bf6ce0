"""A small, real OpenID provider for tests: discovery, JWKS, authorize (approves at once) and token endpoints,
served by uvicorn on a free loopback port, with an RSA key generated at run time.

It checks what a provider checks (client, exact redirect URI, PKCE S256, the client secret, one use of a
code) and can be told to misbehave: another audience or nonce in its ID tokens, or another person's email.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "sanctuary-api-signin"


@dataclass
class Provider:
    """The provider's keys and client, what it will say about the next person, and its issued codes."""

    port: int
    redirect_uri: str
    key: RSAKey = field(
        default_factory=lambda: RSAKey.generate_key(2048, {"kid": "op-1", "alg": "RS256"}, private=True)
    )
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    email: str = ""
    audience: str | None = None  # another audience than the client id, to misbehave
    nonce: str | None = None  # another nonce than the one asked for
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self, email: str) -> None:
        self.email, self.audience, self.nonce = email, None, None

    def config(self, **overrides: Any) -> dict[str, Any]:
        """The issuer's entry in SANCTUARY_OIDC_ISSUERS."""
        return {"issuer": self.issuer, "audience": "sanctuary-api", "discovery": True, "client_id": CLIENT_ID,
                "client_secret": self.client_secret, "display_name": "Legal Aid Collective ID", **overrides}  # fmt: skip

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", lambda request: JSONResponse({"keys": [self.key.as_dict(private=False)]})),
                Route("/authorize", self.authorize),
                Route("/token", self.token, methods=["POST"]),
            ]
        )

    async def discovery(self, request: Request) -> Response:
        return JSONResponse({
            "issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"], "subject_types_supported": ["public"],
        })  # fmt: skip

    async def authorize(self, request: Request) -> Response:
        asked = request.query_params
        if (asked.get("client_id"), asked.get("redirect_uri"), asked.get("response_type")) != (
            CLIENT_ID, self.redirect_uri, "code"
        ) or asked.get("code_challenge_method") != "S256":  # fmt: skip
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"challenge": asked.get("code_challenge"), "nonce": asked.get("nonce"), "email": self.email}
        return RedirectResponse(f"{self.redirect_uri}?{urlencode({'code': code, 'state': asked.get('state', '')})}")

    async def token(self, request: Request) -> Response:
        form = {key: values[0] for key, values in parse_qs((await request.body()).decode()).items()}
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{self.client_secret}".encode()).decode()
        grant = self.codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", "")).encode()
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).decode().rstrip("=")
        if request.headers.get("authorization") != expected or grant is None or computed != grant["challenge"] \
                or form.get("redirect_uri") != self.redirect_uri:  # fmt: skip
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": grant["email"], "aud": self.audience or CLIENT_ID, "iat": now,
                  "exp": now + 300, "nonce": self.nonce or grant["nonce"], "email": grant["email"]}  # fmt: skip
        id_token = jwt.encode({"alg": "RS256", "kid": "op-1"}, claims, self.key)
        return JSONResponse({"access_token": secrets.token_urlsafe(16), "token_type": "Bearer", "id_token": id_token})


@contextmanager
def serve_provider(redirect_uri: str) -> Iterator[Provider]:
    """The provider, listening on loopback in a thread of its own until the block ends."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))  # kept bound and handed to uvicorn: no race for the port
    provider = Provider(port=listening.getsockname()[1], redirect_uri=redirect_uri)
    # no log_config, log_level or access_log: uvicorn would reconfigure the process-wide loggers the log checks watch
    server = uvicorn.Server(uvicorn.Config(provider.app(), lifespan="off", log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the OpenID provider could not start"
        assert time.monotonic() < deadline, "the OpenID provider did not start within 10 s"
        time.sleep(0.02)
    try:
        yield provider
    finally:
        server.should_exit = True
        thread.join(5)
        listening.close()
