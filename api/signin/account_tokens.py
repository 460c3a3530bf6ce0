"""A personal access token minted on the account page, by a member whose sign-in is only minutes old.

The secret is shown once, on a page that is never cached, and is never logged; the audit log records the
member and the token's id.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.auth.recent_signin import is_recent
from api.auth.tokens import create_personal_token
from api.models import SigninSession
from api.models.enums import AuditOutcome
from api.services.shared.audit import signin_event
from api.signin import html, sessions
from api.signin.texts import language
from api.signin.web import csrf_ok, csrf_token, database, finish, form_value, settings_of

MAX_DAYS = 366


def recent_signin(request: Request, row: SigninSession) -> bool:
    """The browser session began (a passkey or issuer sign-in) within ``recent_signin_minutes``."""
    return is_recent(row.created_at, timedelta(minutes=settings_of(request).recent_signin_minutes))


async def create_token(request: Request) -> Response:
    """POST /signin/tokens: a new personal access token of the signed-in member, shown once."""
    if not await csrf_ok(request):
        return finish(request, Response(status_code=403))
    name, days = (await form_value(request, "name") or "").strip(), await form_value(request, "days")
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None:
            return finish(request, RedirectResponse("/signin", status_code=303))
        row, member = current
        lang, csrf = language(request), csrf_token(request)
        if not recent_signin(request, row):
            await session.commit()
            body = html.account_page(lang, csrf, member.alias, [], fresh=False, notice="signin_again")
            return finish(request, HTMLResponse(body, status_code=403), csrf=csrf)
        lifetime = _days(days)
        if not 1 <= len(name) <= 120 or lifetime is None:
            await session.commit()
            body = html.account_page(lang, csrf, member.alias, [], fresh=True, notice="token_invalid")
            return finish(request, HTMLResponse(body, status_code=400), csrf=csrf)
        token, secret = await create_personal_token(session, member, name=name, lifetime=lifetime, minted_by=member)
        event = signin_event(member.organization_id, member.id, "token.create", AuditOutcome.ALLOWED)
        event.record_ids = [member.id, token.id]
        session.add(event)
        await session.commit()
    return finish(request, HTMLResponse(html.token_page(lang, secret)), csrf=csrf)


def _days(value: str | None) -> timedelta | None:
    try:
        days = int(value or "")
    except ValueError:
        return None
    return timedelta(days=days) if 1 <= days <= MAX_DAYS else None
