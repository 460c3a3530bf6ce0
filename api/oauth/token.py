"""``POST /oauth/token`` for people: load the code, refresh token or device code before authlib runs, store what
it issued after. A spent code or refresh token presented again ends the app session it belongs to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth.clients import DEVICE_CODE_GRANT, AnyClient
from api.auth.delegated import Grantee
from api.auth.oauth import issued, loaded_client
from api.models import OAuthAuthorizationCode, OAuthDeviceCode, OAuthRefreshToken, OAuthSession
from api.models.enums import AuditOutcome
from api.oauth import device_codes, store
from api.oauth.grants import Loaded, Pending, Presented, loaded, pending
from api.services.shared.audit import oauth_event

INVALID_GRANT = {"error": "invalid_grant", "error_description": "The grant is invalid, expired or already used."}


def _refused() -> Response:
    return JSONResponse(INVALID_GRANT, status_code=400, headers={"Cache-Control": "no-store"})


def _public_id(client: AnyClient | None, row_client: uuid.UUID | None) -> str:
    """The public id of the client a stored grant belongs to, when it is the one named; "" otherwise."""
    if client is None or store.client_row_id(client) != row_client:
        return ""
    return client.get_client_id()


async def before_token(request: Request, session: AsyncSession, form: dict[str, str]) -> Response | None:
    """Load the presented grant and its person into :data:`loaded` (or end the request on a replay)."""
    loaded.set(Loaded())
    pending.set(Pending())
    grant_type = form.get("grant_type")
    if grant_type == "authorization_code":
        return await _load_code(session, form.get("code", ""))
    if grant_type == "refresh_token":
        return await _load_refresh(session, form.get("refresh_token", ""))
    if grant_type == DEVICE_CODE_GRANT:
        await _load_device(session, form.get("device_code", ""))
    return None


async def _load_code(session: AsyncSession, code: str) -> Response | None:
    row = await store.load_code(session, code)
    client = loaded_client()
    if row is None:
        return None
    if row.used_at is not None:  # RFC 6749 §4.1.2: refuse, and end what its first use started
        ended = await store.end_sessions(session, "code_replay", OAuthSession.id == row.session_id)
        session.add(oauth_event(None, row.member_id, None, "code_replay", AuditOutcome.DENIED, ended))
        return _refused()
    if row.expires_at <= datetime.now(UTC) or client is None:
        return None
    state = loaded.get()
    state.presented = Presented(row, _public_id(client, row.client_id), row.scopes)
    state.grantee = await store.grantee(session, client, row.member_id, row.auth_time, uuid.uuid4())
    return None


async def _load_refresh(session: AsyncSession, token: str) -> Response | None:
    found = await store.load_refresh(session, token)
    client = loaded_client()
    if found is None:
        return None
    refresh, app_session = found
    if app_session.revoked_at is not None:
        return _refused()  # the chain already ended (its tokens were spent with it)
    if refresh.used_at is not None:  # a spent token again: a copy is in someone else's hands; end the chain
        ended = await store.end_sessions(session, "refresh_reuse", OAuthSession.id == app_session.id)
        session.add(oauth_event(None, app_session.member_id, None, "refresh_reuse", AuditOutcome.DENIED, ended))
        return _refused()
    if refresh.expires_at <= datetime.now(UTC) or client is None:
        return None
    state = loaded.get()
    state.presented = Presented(refresh, _public_id(client, app_session.client_id), app_session.scopes)
    auth_time = app_session.auth_time or app_session.created_at
    state.grantee = await store.grantee(session, client, app_session.member_id, auth_time, app_session.id)
    return None


async def _load_device(session: AsyncSession, device_code: str) -> None:
    row = await device_codes.load_by_device_code(session, device_code)
    client = loaded_client()
    if row is None or row.status == "USED" or client is None:
        return
    state = loaded.get()
    now = datetime.now(UTC)
    if row.last_polled_at is not None and now - row.last_polled_at < timedelta(seconds=row.interval_s):
        state.slow_down = True
        row.interval_s += 5  # RFC 8628 §3.5: every later request waits 5 seconds more
    row.last_polled_at = now
    state.presented = Presented(row, _public_id(client, row.client_id), row.scopes)
    if row.status == "APPROVED" and row.member_id is not None and row.auth_time is not None:
        state.grantee = await store.grantee(session, client, row.member_id, row.auth_time, uuid.uuid4())


async def after_token(request: Request, session: AsyncSession, response: Response) -> None:
    """Spend the presented grant and store the new refresh token, once authlib issued a token."""
    token, state, client = issued.get(), loaded.get(), loaded_client()
    if response.status_code != 200 or token is None or state.presented is None or state.grantee is None:
        return
    if client is None:
        return
    row, who, now = state.presented.row, state.grantee, datetime.now(UTC)
    days = timedelta(days=request.app.state.settings.refresh_token_days)
    if isinstance(row, OAuthRefreshToken):
        row.used_at = now
        app_session = await session.get_one(OAuthSession, row.session_id)
        app_session.last_used_at = now
        expires = row.expires_at  # the chain's lifetime is fixed when it starts
    else:
        grant_type = "authorization_code" if isinstance(row, OAuthAuthorizationCode) else "device_code"
        await store.start_session(
            session, client, who, grant_type=grant_type, scope=state.presented.get_scope(), device_name=row.device_name
        )
        _spend(row, who, now)
        expires = now + days
        what = "code_exchange" if isinstance(row, OAuthAuthorizationCode) else "device_exchange"
        session.add(
            oauth_event(who.organization_id, who.member_id, client.get_client_id(), what, AuditOutcome.ALLOWED,
                        [who.session_id])
        )  # fmt: skip
    if "refresh_token" in token:
        await store.store_refresh(session, who.session_id, str(token["refresh_token"]), expires)


def _spend(row: OAuthAuthorizationCode | OAuthDeviceCode | OAuthRefreshToken, who: Grantee, now: datetime) -> None:
    if isinstance(row, OAuthAuthorizationCode):
        row.used_at, row.session_id = now, who.session_id
    elif isinstance(row, OAuthDeviceCode):
        row.status = "USED"
