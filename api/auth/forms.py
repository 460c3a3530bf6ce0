"""The forms the OAuth endpoints take: small ``application/x-www-form-urlencoded`` bodies, parsed once."""

from __future__ import annotations

from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749.util import extract_basic_authorization
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

MAX_FORM_BYTES = 8192


async def requested_client_id(request: Request) -> str | None:
    """The client id a token request names (form or Basic credentials), unverified; None if malformed."""
    try:
        form = await form_of(request)
    except FormError:
        return None
    return form.get("client_id") or extract_basic_authorization(request.headers)[0]


class FormError(Exception):
    """The request body is not a small application/x-www-form-urlencoded form."""


async def form_of(request: Request) -> dict[str, str]:
    """The request's form (starlette keeps the body, so reading it again costs nothing); FormError otherwise."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if content_type != "application/x-www-form-urlencoded" or len(body) > MAX_FORM_BYTES:
        raise FormError
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=bool(body), max_num_fields=20)
    except (ValueError, UnicodeDecodeError):
        raise FormError from None
    return dict(pairs)


def invalid_request() -> Response:
    """The answer to a body that is not such a form."""
    return JSONResponse(
        {"error": "invalid_request", "error_description": "Send an application/x-www-form-urlencoded body."},
        status_code=400,
        headers={"Cache-Control": "no-store"},
    )
