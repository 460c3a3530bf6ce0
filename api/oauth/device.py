"""``/signin/device``: a signed-in member types the user code a device shows, then allows or denies it.

Attempts are throttled per member (:data:`ATTEMPTS`); every refusal reads the same whether the code never
existed, expired or was already used.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.auth.clients import find_client
from api.models import Member
from api.models.enums import AuditOutcome
from api.oauth import consents, device_codes
from api.oauth.authorize import asked_of, consent, form_pairs, invalid
from api.oauth.html import device_page
from api.ratelimit.buckets import spend
from api.ratelimit.policy import Policy
from api.services.shared.audit import oauth_event
from api.signin import html, sessions
from api.signin.texts import language
from api.signin.web import csrf_token, database, finish

logger = logging.getLogger("api.oauth")
ATTEMPTS = Policy(points=10, window_s=600)  # user codes a member may try in ten minutes


def _page(request: Request, user_code: str, notice: str | None = None, status: int = 200) -> Response:
    csrf = csrf_token(request)
    body = device_page(language(request), csrf, user_code, notice)
    return finish(request, HTMLResponse(body, status_code=status), csrf=csrf)


def _message(request: Request, key: str, status: int = 200) -> Response:
    body = html.message_page(language(request), key, "title_device")
    return finish(request, HTMLResponse(body, status_code=status))


async def device_form(request: Request) -> Response:
    """GET /signin/device: the user code form (prefilled from ``?user_code=``), for a signed-in member."""
    typed = request.query_params.get("user_code", "")
    code = device_codes.normalize_user_code(typed) or ""
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        await session.commit()
    if current is None:
        return _signin_redirect(request, code)
    return _page(request, f"{code[:4]}-{code[4:]}" if code else "")


def _signin_redirect(request: Request, code: str) -> Response:
    """To the sign-in page, which comes back to this form."""
    back = "/signin/device" + (f"?{urlencode({'user_code': code})}" if code else "")
    return finish(request, RedirectResponse("/signin?" + urlencode({"next": back}), status_code=303))


async def _throttled(request: Request, member: Member) -> bool:
    gate = request.app.state.rate_gate
    if not gate.limits.enabled:
        return False
    try:
        spent = await spend(gate.buckets, "device_user_code", str(member.id), 1, ATTEMPTS, 0)
    except Exception as error:
        logger.warning("rate-limit store failed: %s; the attempt is let through", type(error).__name__)
        return False
    return not spent.granted


async def device_submit(request: Request) -> Response:
    """POST /signin/device: a valid user code shows the consent screen of its app."""
    pairs = await form_pairs(request)
    if pairs is None:
        return invalid(request)
    typed = dict(pairs).get("user_code", "")[:40]
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None:
            await session.commit()
            return _signin_redirect(request, device_codes.normalize_user_code(typed) or "")
        member = current[1]
        if await _throttled(request, member):
            await session.commit()
            return _page(request, "", "device_throttled", 429)
        response = await _ask(request, session, member, typed)
        await session.commit()
    return response


async def _ask(request: Request, session: AsyncSession, member: Member, typed: str) -> Response:
    found = await device_codes.pending_by_user_code(session, typed)
    client = None if found is None else await find_client(session, found[1].client_id)
    if found is None or client is None:
        return _page(request, "", "device_invalid", 400)
    asked = await asked_of(session, client, member, found[0].scopes)
    if asked is None:
        return _message(request, "device_denied", 403)
    fields = [("user_code", device_codes.normalize_user_code(typed) or "")]
    return consent(request, asked, "/signin/device/decide", fields, "")


async def device_decide(request: Request) -> Response:
    """POST /signin/device/decide: the member allows (binding the device grant to them) or denies it."""
    pairs = await form_pairs(request)
    if pairs is None:
        return invalid(request)
    values = dict(pairs)
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None:
            await session.commit()
            return _signin_redirect(request, "")
        signed, member = current
        found = await device_codes.pending_by_user_code(session, values.get("user_code", ""))
        if found is None:
            await session.commit()
            return _page(request, "", "device_invalid", 400)
        row, app = found
        approve = values.get("decision") == "allow"
        device_codes.decide(row, member.id, signed.created_at, approve=approve)
        if approve:
            await consents.remember(session, member.id, app.id, row.scopes)
        what, outcome = ("device_approve", AuditOutcome.ALLOWED) if approve else ("device_deny", AuditOutcome.DENIED)
        session.add(oauth_event(member.organization_id, member.id, app.client_id, what, outcome, [row.id]))
        await session.commit()
    return _message(request, "device_approved" if approve else "device_denied")
