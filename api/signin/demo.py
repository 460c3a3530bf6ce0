"""The demo's one-click sign-in: on `serve --demo` only, one button per demo member on the sign-in page.

Off unless the settings say ``demo`` (set only by `serve --demo`, refused in production): then the
section is absent and ``POST /signin/demo`` answers 404, whatever it is sent.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.models import Member
from api.models.enums import AuditOutcome
from api.seed.fiction import DEMO_DOMAIN, ROLE_MEMBERS
from api.services.shared.audit import signin_event
from api.signin.throttle import account_key, throttled
from api.signin.web import csrf_ok, database, finish, form_value, safe_next, settings_of, signed_in

DEMO_EMAILS = [f"{spec.local_part}@{DEMO_DOMAIN}" for spec in ROLE_MEMBERS.values()]


def _demo_members() -> Select[Any]:
    return select(Member).where(Member.email.in_(DEMO_EMAILS), Member.active).order_by(Member.alias)


async def demo_members(request: Request) -> list[tuple[str, str]]:
    """(id, alias) of each active demo member, when the demo is on; nothing otherwise."""
    if not settings_of(request).demo:
        return []
    async with database(request) as session:
        rows = await session.scalars(_demo_members())
        return [(str(member.id), member.alias) for member in rows]


async def demo_signin(request: Request) -> Response:
    """POST /signin/demo: sign in as the chosen demo member (demo only; 404 otherwise)."""
    if not settings_of(request).demo:
        return Response(status_code=404)
    if not await csrf_ok(request):
        return finish(request, Response(status_code=403))
    chosen = (await form_value(request, "member") or "")[:100]
    back = safe_next(await form_value(request, "next")) or "/signin/account"
    if limited := await throttled(request, account_key("member", chosen), page=True):
        return limited
    try:
        member_id = uuid.UUID(chosen)
    except ValueError:
        return finish(request, Response(status_code=404))
    async with database(request) as session:
        member = await session.scalar(_demo_members().where(Member.id == member_id))
        if member is None:
            return finish(request, Response(status_code=404))
        session.add(signin_event(member.organization_id, member.id, "demo", AuditOutcome.ALLOWED))
        response = await signed_in(request, session, RedirectResponse(back, status_code=303), member, "DEMO")
        await session.commit()
    return finish(request, response)
