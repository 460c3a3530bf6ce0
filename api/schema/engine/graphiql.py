"""GraphiQL served from the installed package: the page, its assets at content-hashed URLs, a strict CSP.

The assets are built from the pinned npm packages by ``graphiql/build.sh`` and committed under
``api/static/graphiql/``, so the page works offline and announces no visit to a third party.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

STATIC = Path(__file__).resolve().parents[2] / "static" / "graphiql"
PREFIX = "/graphiql"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
ASSETS = ("graphiql.min.css", "page.css", "graphiql.min.js", "signin.js", "bootstrap.js")
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    """One served file: its bytes, media type and the URL that names its content."""

    name: str
    body: bytes
    media_type: str

    @functools.cached_property
    def digest(self) -> str:
        """The first 16 hex digits of the content's SHA-256: a new build is a new URL."""
        return hashlib.sha256(self.body).hexdigest()[:16]

    @property
    def url(self) -> str:
        """The asset's path on the API."""
        return f"{PREFIX}/{self.digest}/{self.name}"


@functools.cache
def assets() -> dict[str, Asset]:
    """The page's assets, read once from the package."""
    return {name: Asset(name, (STATIC / name).read_bytes(), MEDIA_TYPES[Path(name).suffix]) for name in ASSETS}


@functools.cache
def page_html() -> str:
    """The page, its asset placeholders replaced by their content-hashed URLs."""
    html = (STATIC / "page.html").read_text(encoding="utf-8")
    for asset in assets().values():
        html = html.replace("{" + asset.name + "}", asset.url)
    return html


def page_response() -> HTMLResponse:
    """GraphiQL's page, never cached (it names the current assets), under the strict policy."""
    return HTMLResponse(page_html(), headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


async def asset_endpoint(request: Request) -> Response:
    """One asset, when its URL names its current content; cached for a year (the URL changes with it)."""
    asset = assets().get(request.path_params["name"])
    if asset is None or request.path_params["digest"] != asset.digest:
        return PlainTextResponse("Not Found", status_code=404, headers=SECURITY_HEADERS)
    headers = {**SECURITY_HEADERS, "Cache-Control": IMMUTABLE, "ETag": f'"{asset.digest}"'}
    return Response(asset.body, media_type=asset.media_type, headers=headers)
