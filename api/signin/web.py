"""What every sign-in page response shares: security headers, the CSRF check, cookies, the request's database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.settings import Settings
from api.signin.ceremonies import RelyingParty
from api.signin.texts import LANGUAGE_COOKIE, LANGUAGES

CSRF_COOKIE = "sanctuary_csrf"
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",  # no-referrer would make browsers send `Origin: null` on our own forms
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def settings_of(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def relying_party(request: Request) -> RelyingParty:
    """The relying party of the public URL."""
    return RelyingParty.from_public_url(settings_of(request).public_url)


@asynccontextmanager
async def database(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for one page request (the caller commits)."""
    async with request.app.state.sessionmaker() as session:
        yield session


def csrf_token(request: Request) -> str:
    """The browser's CSRF token (from its cookie), or a new one set by :func:`finish`."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) == 43:
        return token
    return secrets.token_urlsafe(32)


async def csrf_ok(request: Request) -> bool:
    """A state-changing request carries the CSRF cookie's token (header or form field) from our own origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != relying_party(request).origin:
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        sent = await form_value(request, "csrf")
    return bool(cookie) and sent is not None and secrets.compare_digest(cookie.encode(), sent.encode())


async def form_value(request: Request, name: str) -> str | None:
    """One field of a small urlencoded form (no multipart), or None."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = await request.body()
    if len(body) > 16 * 1024:
        return None
    values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=10).get(name)
    return values[0] if values else None


def secure(request: Request) -> bool:
    """Cookies are Secure when the public URL is https."""
    return settings_of(request).public_url.startswith("https://")


def finish(request: Request, response: Response, *, csrf: str | None = None) -> Response:
    """Add the security headers, and the CSRF and language cookies when they changed."""
    response.headers.update(HEADERS)
    if csrf is not None and request.cookies.get(CSRF_COOKIE) != csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure(request), path="/signin")
    chosen = request.query_params.get("lang")
    if chosen in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(LANGUAGE_COOKIE, chosen, samesite="lax", secure=secure(request), path="/signin")
    return response


def safe_next(value: str | None) -> str | None:
    """Where to go after signing in: a relative path on this origin only (``/...``, never ``//`` or a scheme)."""
    if not value or len(value) > 4000 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if "\\" in value or any(ord(char) < 32 or ord(char) == 127 for char in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def device_name(request: Request) -> str:
    """A short description of the browser, for the member's list of sessions."""
    return request.headers.get("user-agent", "")[:200]
