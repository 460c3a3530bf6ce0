"""Helpers driving the authorization server as a browser, a partner app and a device would."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.models import Member, OAuthClient, Organization
from api.signin.sessions import COOKIE, start_session
from tests.canaries import canary

with warnings.catch_warnings():  # authlib 1.7+ warns that its httpx integration will move to httpx2
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

__all__ = ["AsyncOAuth2Client"]
ORIGIN = "http://127.0.0.1:8000"  # the test settings' public URL
SPA = "http://127.0.0.1:5173/callback"  # a partner single-page app in development (loopback http)


@asynccontextmanager
async def browser(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the API's origin (its cookies kept)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield client


async def sign_in_directly(db: AsyncSession, client: httpx.AsyncClient, member: Member) -> None:
    """A live sign-in session for ``member`` in this browser (as a passkey sign-in leaves it)."""
    _row, token = await start_session(db, member, device_name="test browser", lifetime=timedelta(hours=1))
    canary(token)
    client.cookies.set(COOKIE, token, domain="127.0.0.1", path="/")


async def partner_app(
    db: AsyncSession,
    org: Organization,
    roles: list[str],
    *,
    scopes: list[str] | None = None,
    public: bool = True,
    grants: list[str] | None = None,
    redirect_uris: list[str] | None = None,
) -> tuple[OAuthClient, str]:
    """A registered partner app for the people grants (a public SPA by default)."""
    grants = grants or ["authorization_code"]
    uris = redirect_uris if redirect_uris is not None else ([SPA] if "authorization_code" in grants else [])
    row, secret = await create_client(
        db, org, name="Partner frontend", scopes=scopes or ["read", "write"], max_roles=roles, grants=grants,
        redirect_uris=uris, public=public,
    )  # fmt: skip
    canary(secret)
    return row, secret


def pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client_id: str, challenge: str | None, *, redirect_uri: str = SPA, **extra: str) -> str:
    """``/oauth/authorize?...`` for a code with PKCE S256 (``extra`` adds or overrides parameters)."""
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "read",
              "state": "st-" + secrets.token_hex(4)}  # fmt: skip
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return "/oauth/authorize?" + urlencode(params | extra)


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def hidden_fields(page: httpx.Response) -> dict[str, str]:
    """The hidden fields of a page's form (the request carried through the consent form)."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))


async def consent(client: httpx.AsyncClient, consent_path: str, decision: str = "allow") -> httpx.Response:
    """Open the consent screen and answer it; the final response (a 303 to the app)."""
    page = await client.get(consent_path)
    assert page.status_code == 200, page.text
    fields = {k: html.unescape(v) for k, v in hidden_fields(page).items()}
    return await client.post(consent_path.split("?")[0], data=fields | {"decision": decision})


async def run_authorize(client: httpx.AsyncClient, url: str, *, decision: str = "allow") -> httpx.Response:
    """Follow an authorization request through the consent screen when it is shown; the response that goes
    back to the app (a redirect) or the error page."""
    response = await client.get(url)
    if response.status_code == 303 and response.headers["location"].startswith("/signin/consent"):
        response = await consent(client, response.headers["location"], decision)
    return response


def returned(response: httpx.Response) -> dict[str, str]:
    """The query parameters of the redirect back to the app."""
    assert response.status_code in (302, 303), response.text
    return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


async def exchange(
    client: httpx.AsyncClient, client_id: str, code: str, verifier: str | None, *, redirect_uri: str = SPA, **extra: str
) -> httpx.Response:
    """The code exchange a public client makes."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": client_id}
    if verifier is not None:
        form["code_verifier"] = verifier
    return await client.post("/oauth/token", data=form | extra)


async def refresh(client: httpx.AsyncClient, client_id: str, token: str) -> httpx.Response:
    """A refresh a public client makes."""
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
    return await client.post("/oauth/token", data=form)


async def me(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    """``{ me { id alias } }`` with a bearer token; the response body."""
    response = await client.post(
        "/graphql", json={"query": "{ me { id alias } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    body: dict[str, Any] = response.json()
    body["status"] = response.status_code
    return body


async def tokens_for(
    db: AsyncSession, client: httpx.AsyncClient, member: Member, client_id: str, scope: str = "read"
) -> dict[str, Any]:
    """Sign ``member`` in, run the code flow (consent allowed) and exchange the code; the token response."""
    await sign_in_directly(db, client, member)
    verifier, challenge = pkce()
    back = returned(await run_authorize(client, authorize_url(client_id, challenge, scope=scope)))
    response = await exchange(client, client_id, back["code"], verifier)
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    canary(token["access_token"])
    canary(token["refresh_token"])
    return token
