"""Throttling the sign-in pages: per client address and per account named, with the service's rate-limit buckets.

The buckets are spent before anything is looked up, and a refusal names nothing: whether the passkey,
invitation or member exists, the 429 reads the same.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from api.ratelimit.buckets import digest
from api.ratelimit.gate import RateGate
from api.signin import html
from api.signin.texts import language
from api.signin.web import finish


def account_key(kind: str, value: str) -> str:
    """The bucket identity of an account the request names (a credential id, an invitation token): a digest,
    so that no secret is kept even in memory longer than the request."""
    return kind + ":" + digest(kind, value[:2000]).hex()


async def throttled(request: Request, account: str | None, *, page: bool = False) -> Response | None:
    """The 429 (an HTML page, or the ceremonies' JSON) when the address or the account spent its attempts."""
    gate: RateGate = request.app.state.rate_gate
    spent = await gate.signin_attempt(request, account)
    if spent is None:
        return None
    headers = {"Retry-After": str(spent.retry_after_s)}
    if page:
        body = html.message_page(language(request), "throttled", "title_throttled")
        return finish(request, HTMLResponse(body, status_code=429, headers=headers))
    return finish(request, JSONResponse({"error": "throttled"}, status_code=429, headers=headers))
