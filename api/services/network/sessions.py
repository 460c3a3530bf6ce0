"""A member's sessions: their browser sign-ins and their apps' sessions, listed and ended.

Ending a session sets its ``revoked_at`` (and why): a browser session's cookie stops working, and an app
session's access and refresh tokens are refused from the next request on (:mod:`api.auth.access_tokens`
checks the session a delegated token names). A member lists and ends only their own sessions; an org admin
ends all of a member's sessions at once (a member of another organization is refused like a missing one).
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.access import own_app_sessions, own_browser_sessions
from api.auth.viewer import Viewer
from api.models import Member, OAuthClient, OAuthSession, PersonalAccessToken, SigninSession
from api.services.shared import checks
from api.services.shared.errors import UserFacingError
from api.signin.sessions import end_all_sessions

GRAPHIQL = "GraphiQL"  # the app name of an app session without a partner app: the API's own GraphiQL
MAX_SESSIONS = 100


class SessionKind(enum.StrEnum):
    """Where a session lives."""

    BROWSER = "BROWSER"  # a sign-in on the API's own pages (cookie)
    APP = "APP"  # GraphiQL, a partner app or a script acting for the member (OAuth)


class EndReason(enum.StrEnum):
    """Why a session ended (``revoked_reason``)."""

    SIGNED_OUT = "SIGNED_OUT"
    ENDED_BY_MEMBER = "ENDED_BY_MEMBER"
    ENDED_BY_ADMIN = "ENDED_BY_ADMIN"
    DEACTIVATED = "DEACTIVATED"
    REACTIVATED = "REACTIVATED"
    RECOVERY = "RECOVERY"


@dataclass(frozen=True)
class SessionView:
    """One live session as its member sees it (never a secret)."""

    kind: SessionKind
    id: uuid.UUID
    app_name: str | None
    device_name: str
    created_at: datetime
    last_used_at: datetime | None
    current: bool


async def own_sessions(session: AsyncSession, viewer: Viewer, limit: int = MAX_SESSIONS) -> list[SessionView]:
    """The viewer's live sessions, most recently used first (at most ``limit`` of each kind)."""
    browsers = await session.scalars(
        own_browser_sessions(viewer).order_by(SigninSession.last_used_at.desc().nulls_last()).limit(limit)
    )
    apps = await session.execute(
        own_app_sessions(viewer)
        .add_columns(OAuthClient.name)
        .outerjoin(OAuthClient, OAuthClient.id == OAuthSession.client_id)
        .order_by(OAuthSession.last_used_at.desc().nulls_last())
        .limit(limit)
    )
    views = [
        SessionView(SessionKind.BROWSER, row.id, None, row.device_name, row.created_at, row.last_used_at, False)
        for row in browsers
    ]
    views += [_app_view(row, name, viewer) for row, name in apps.all()]
    views.sort(key=lambda view: view.last_used_at or view.created_at, reverse=True)
    return views[:limit]


def _app_view(row: OAuthSession, name: str | None, viewer: Viewer) -> SessionView:
    app = name if row.client_id is not None else GRAPHIQL
    current = row.id == viewer.session_id
    return SessionView(SessionKind.APP, row.id, app, row.device_name, row.created_at, row.last_used_at, current)


async def end_own_session(session: AsyncSession, viewer: Viewer, kind: SessionKind, session_id: uuid.UUID) -> Member:
    """End one of the viewer's own live sessions; NOT_FOUND for any other id (someone else's, ended, unknown)."""
    model = SigninSession if kind is SessionKind.BROWSER else OAuthSession
    rule = own_browser_sessions(viewer) if kind is SessionKind.BROWSER else own_app_sessions(viewer)
    ended = await session.scalar(
        update(model)
        .where(model.id.in_(rule.where(model.id == session_id).with_only_columns(model.id)))
        .values(revoked_at=func.now(), revoked_reason=EndReason.ENDED_BY_MEMBER)
        .returning(model.id)
    )
    if ended is None:
        raise UserFacingError("NOT_FOUND", "None of your live sessions has this id.", "id")
    return await session.get_one(Member, viewer.member_id)


async def end_own_sessions(session: AsyncSession, viewer: Viewer, *, except_current: bool) -> tuple[Member, int]:
    """End all the viewer's live sessions (but the app session this request belongs to, if asked); how many."""
    browsers = await session.execute(
        update(SigninSession)
        .where(SigninSession.id.in_(own_browser_sessions(viewer).with_only_columns(SigninSession.id)))
        .values(revoked_at=func.now(), revoked_reason=EndReason.ENDED_BY_MEMBER)
    )
    apps = own_app_sessions(viewer).with_only_columns(OAuthSession.id)
    if except_current and viewer.session_id is not None:
        apps = apps.where(OAuthSession.id != viewer.session_id)
    ended = await session.execute(
        update(OAuthSession)
        .where(OAuthSession.id.in_(apps))
        .values(revoked_at=func.now(), revoked_reason=EndReason.ENDED_BY_MEMBER)
    )
    count = int(getattr(browsers, "rowcount", 0) or 0) + int(getattr(ended, "rowcount", 0) or 0)
    return await session.get_one(Member, viewer.member_id), count


async def end_member_sessions(session: AsyncSession, viewer: Viewer, member_id: uuid.UUID) -> tuple[Member, int]:
    """An org admin ends every session of a member of their organization; NOT_FOUND for anyone else."""
    member = await checks.load_for_change(session, viewer, Member, "memberSessionsEnd", member_id, "memberId")
    return member, await end_all_sessions(session, member.id, EndReason.ENDED_BY_ADMIN)


async def end_everything(session: AsyncSession, member_id: uuid.UUID, reason: EndReason) -> None:
    """Every session and personal access token of a member ends (deactivation): nothing of it works any more,
    and nothing comes back if the member is reactivated."""
    await end_all_sessions(session, member_id, reason)
    await session.execute(
        update(PersonalAccessToken)
        .where(PersonalAccessToken.member_id == member_id, PersonalAccessToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def live_count(session: AsyncSession, member_id: uuid.UUID) -> int:
    """How many browser and app sessions of a member are live (for tests and the CLI)."""
    browsers = select(func.count()).where(SigninSession.member_id == member_id, SigninSession.revoked_at.is_(None))
    apps = select(func.count()).where(OAuthSession.member_id == member_id, OAuthSession.revoked_at.is_(None))
    return int(await session.scalar(browsers) or 0) + int(await session.scalar(apps) or 0)
