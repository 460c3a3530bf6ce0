"""The account page's list of the member's sessions, and ending one of them (another browser, an app)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from api.auth.viewer import Viewer
from api.models import Member
from api.models.enums import AuditOutcome
from api.services.network import sessions as member_sessions
from api.services.network.sessions import SessionKind, SessionView
from api.services.shared.audit import signin_event
from api.services.shared.errors import UserFacingError
from api.signin import sessions
from api.signin.web import csrf_ok, database, finish


def _viewer(member: Member) -> Viewer:
    """The member as the owner of their sessions (nothing else is read with it)."""
    return Viewer(member_id=member.id, organization_id=member.organization_id, own_credential=True)


async def listed(session: AsyncSession, member: Member) -> list[SessionView]:
    """The member's live sessions, most recently used first."""
    return await member_sessions.own_sessions(session, _viewer(member), 50)


async def end_session(request: Request) -> Response:
    """POST /signin/sessions/<kind>/<id>/end: the signed-in member ends one of their other sessions."""
    if not await csrf_ok(request):
        return finish(request, Response(status_code=403))
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None:
            return finish(request, RedirectResponse("/signin", status_code=303))
        row, member = current
        try:
            kind = SessionKind(request.path_params["kind"].upper())
            ended = uuid.UUID(request.path_params["id"])
            await member_sessions.end_own_session(session, _viewer(member), kind, ended)
        except (ValueError, UserFacingError):
            await session.commit()
            return finish(request, Response(status_code=404))
        event = signin_event(member.organization_id, member.id, "session.end", AuditOutcome.ALLOWED)
        event.record_ids = [member.id, ended]
        session.add(event)
        await session.commit()
    target = "/signin" if ended == row.id else "/signin/account"
    return finish(request, RedirectResponse(target, status_code=303))
