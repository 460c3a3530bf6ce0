"""The sign-in pages served by the API: enroll a passkey on an invitation, sign in, manage passkeys, sign out.

Every refusal reads the same whether or not a member, invitation or passkey exists; attempts are
audited with who (when known) and the outcome, never a credential, token or link.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import delete, select
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.models import Member, Passkey
from api.models.enums import AuditOutcome
from api.services.shared.audit import signin_event
from api.signin import account_sessions, account_tokens, ceremonies, demo, html, invitations, issuers, sessions
from api.signin.account_tokens import recent_signin
from api.signin.texts import language
from api.signin.throttle import account_key, throttled
from api.signin.web import (
    csrf_ok,
    csrf_token,
    database,
    finish,
    form_value,
    relying_party,
    safe_next,
    secure,
    signed_in,
)

STATIC = Path(__file__).parent / "static"
STATIC_TYPES = {"signin.js": "text/javascript", "signin.css": "text/css"}
MAX_BODY = 64 * 1024


def page(request: Request, render: Any, status: int = 200) -> Response:
    """An HTML page rendered with the browser's CSRF token and language."""
    csrf = csrf_token(request)
    return finish(request, HTMLResponse(render(language(request), csrf), status_code=status), csrf=csrf)


def refused(request: Request, status: int = 400) -> Response:
    """The one answer to every refused ceremony step."""
    return finish(request, JSONResponse({"error": "refused"}, status_code=status))


async def json_body(request: Request) -> dict[str, Any] | None:
    """The JSON object of a ceremony step, or None when missing, too large or malformed."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return None
    try:
        value = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


async def signin_form(request: Request) -> Response:
    """GET /signin: the sign-in page (or the account page when already signed in)."""
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        await session.commit()
    back = safe_next(request.query_params.get("next"))
    if current is not None:
        return finish(request, RedirectResponse(back or "/signin/account", status_code=303))
    notice = "signed_out" if request.query_params.get("out") == "1" else None
    end = "/signin" + (f"?{urlencode({'next': back})}" if back else "")
    members, links = await demo.demo_members(request), issuers.issuer_links(request)
    return page(
        request, lambda lang, csrf: html.signin_page(lang, csrf, notice, end, issuers=links, demo=members, back=back)
    )


async def _credential_body(request: Request) -> dict[str, Any] | Response:
    """The JSON body of a ceremony's last step, or its refusal: 400 for a body that is not JSON, 403 without a
    valid CSRF token or a credential object."""
    body = await json_body(request)
    if await csrf_ok(request) and body is not None and isinstance(body.get("credential"), dict):
        return body
    return refused(request, 403 if body is not None else 400)


async def signin_options(request: Request) -> Response:
    """POST /signin/options: WebAuthn request options (no allow-list: nothing says who exists)."""
    if not await csrf_ok(request):
        return refused(request, 403)
    if limited := await throttled(request, None):
        return limited
    async with database(request) as session:
        options = await ceremonies.authentication_options(session, relying_party(request))
        await session.commit()
    return finish(request, JSONResponse(options))


async def signin_finish(request: Request) -> Response:
    """POST /signin: verify the assertion; a session and its cookie on success; one answer for any refusal."""
    body = await _credential_body(request)
    if isinstance(body, Response):
        return body
    named = body["credential"].get("rawId") or body["credential"].get("id")
    if limited := await throttled(request, account_key("passkey", str(named))):
        return limited
    async with database(request) as session:
        try:
            _passkey, member = await ceremonies.authenticate(
                session, relying_party(request), challenge_id=str(body.get("challengeId")),
                credential=body["credential"],
            )  # fmt: skip
        except ceremonies.CeremonyError as error:
            who = error.member  # nothing was written but the spent challenge
            organization_id, member_id = (who.organization_id, who.id) if who else (None, None)
            session.add(signin_event(organization_id, member_id, "passkey", AuditOutcome.DENIED))
            await session.commit()
            return refused(request)
        session.add(signin_event(member.organization_id, member.id, "passkey", AuditOutcome.ALLOWED))
        back = safe_next(request.query_params.get("next")) or "/signin/account"  # e.g. the authorization request
        response = await signed_in(request, session, JSONResponse({"redirect": back}), member)
        await session.commit()
    return finish(request, response)


async def invitation_form(request: Request) -> Response:
    """GET /signin/invitation/<token>: the enrollment page, or one message for any invalid link."""
    token = request.path_params["token"]
    if limited := await throttled(request, account_key("invitation", token), page=True):
        return limited
    async with database(request) as session:
        invitation = await invitations.open_invitation(session, token)
    if invitation is None:
        return page(request, lambda lang, _csrf: html.message_page(lang, "invalid_link"), status=404)
    action = f"/signin/invitation/{token}"
    return page(request, lambda lang, csrf: html.invitation_page(lang, csrf, action))


async def invitation_options(request: Request) -> Response:
    """POST /signin/invitation/<token>/options: WebAuthn creation options for the invited member."""
    if not await csrf_ok(request):
        return refused(request, 403)
    async with database(request) as session:
        invitation = await invitations.open_invitation(session, request.path_params["token"])
        if invitation is None:
            return refused(request, 404)
        options = await ceremonies.registration_options(session, relying_party(request), invitation)
        await session.commit()
    return finish(request, JSONResponse(options))


async def invitation_finish(request: Request) -> Response:
    """POST /signin/invitation/<token>: verify the new credential, spend the invitation, sign the member in."""
    body = await _credential_body(request)
    if isinstance(body, Response):
        return body
    if limited := await throttled(request, account_key("invitation", request.path_params["token"])):
        return limited
    async with database(request) as session:
        invitation = await invitations.open_invitation(session, request.path_params["token"], lock=True)
        if invitation is None:
            return refused(request, 404)
        member = await session.get_one(Member, invitation.member_id)
        organization_id, member_id = member.organization_id, member.id
        try:
            challenge = await ceremonies.spend_challenge(
                session, str(body.get("challengeId")), "register", invitation.id
            )
            async with session.begin_nested():  # a refusal undoes the redemption, never the spent challenge
                await invitations.redeem(session, invitation)
                await ceremonies.register(
                    session, relying_party(request), invitation, challenge=challenge, credential=body["credential"],
                    name=str(body.get("name") or "")[:120],
                )  # fmt: skip
        except ceremonies.CeremonyError:
            session.add(signin_event(organization_id, member_id, "enroll", AuditOutcome.DENIED))
            await session.commit()
            return refused(request)
        session.add(signin_event(member.organization_id, member.id, "enroll", AuditOutcome.ALLOWED))
        response = await signed_in(request, session, JSONResponse({"redirect": "/signin/account"}), member)
        await session.commit()
    return finish(request, response)


async def account(request: Request) -> Response:
    """GET /signin/account: the signed-in member's passkeys; the sign-in page otherwise."""
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None:
            return finish(request, RedirectResponse("/signin", status_code=303))
        member, fresh = current[1], recent_signin(request, current[0])
        keys = list(
            await session.scalars(select(Passkey).where(Passkey.member_id == member.id).order_by(Passkey.created_at))
        )
        live = await account_sessions.listed(session, member)
        await session.commit()
    this = current[0].id
    return page(request, lambda lang, csrf: html.account_page(
        lang, csrf, member.alias, keys, fresh=fresh, sessions=live, this=this))  # fmt: skip


async def passkey_change(request: Request) -> Response:
    """POST /signin/passkeys/<id>/rename or /remove: the signed-in member changes one of their own passkeys."""
    if not await csrf_ok(request):
        return refused(request, 403)
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None:
            return finish(request, RedirectResponse("/signin", status_code=303))
        member = current[1]
        try:
            key_id = uuid.UUID(request.path_params["id"])
        except ValueError:
            return refused(request, 404)
        if request.path_params["action"] not in ("rename", "remove"):
            return refused(request, 404)
        where = (Passkey.id == key_id, Passkey.member_id == member.id)
        if request.path_params["action"] == "remove":
            await session.execute(delete(Passkey).where(*where))
        else:
            name = await form_value(request, "name")
            key = await session.scalar(select(Passkey).where(*where))
            if key is not None and isinstance(name, str) and name.strip():
                key.name = name.strip()[:120]
        session.add(signin_event(member.organization_id, member.id, f"passkey.{request.path_params['action']}",
                                 AuditOutcome.ALLOWED))  # fmt: skip
        await session.commit()
    return finish(request, RedirectResponse("/signin/account", status_code=303))


async def signout(request: Request) -> Response:
    """POST /signin/signout: end this browser's session and forget its cookie."""
    if not await csrf_ok(request):
        return refused(request, 403)
    async with database(request) as session:
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is not None:
            await sessions.end_session(session, current[0])
            session.add(signin_event(current[1].organization_id, current[1].id, "signout", AuditOutcome.ALLOWED))
        await session.commit()
    response = RedirectResponse("/signin?out=1", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request))
    return finish(request, response)


async def static(request: Request) -> Response:
    """GET /signin/static/<name>: the pages' own script and stylesheet."""
    name = request.path_params["name"]
    if name not in STATIC_TYPES:
        return Response(status_code=404)
    response = FileResponse(STATIC / name, media_type=STATIC_TYPES[name])
    response.headers.update({"Content-Security-Policy": "default-src 'none'", "X-Content-Type-Options": "nosniff"})
    return response


def routes() -> list[BaseRoute]:
    """The sign-in area's routes."""
    return [
        Route("/signin", signin_form, methods=["GET"]),
        Route("/signin", signin_finish, methods=["POST"]),
        Route("/signin/options", signin_options, methods=["POST"]),
        Route("/signin/account", account, methods=["GET"]),
        Route("/signin/signout", signout, methods=["POST"]),
        Route("/signin/static/{name}", static, methods=["GET"]),
        Route("/signin/passkeys/{id}/{action:str}", passkey_change, methods=["POST"]),
        Route("/signin/invitation/{token}", invitation_form, methods=["GET"]),
        Route("/signin/invitation/{token}", invitation_finish, methods=["POST"]),
        Route("/signin/invitation/{token}/options", invitation_options, methods=["POST"]),
        Route("/signin/tokens", account_tokens.create_token, methods=["POST"]),
        Route("/signin/sessions/{kind}/{id}/end", account_sessions.end_session, methods=["POST"]),
        Route("/signin/demo", demo.demo_signin, methods=["POST"]),
        Route(issuers.CALLBACK, issuers.callback, methods=["GET"]),
        Route("/signin/oidc/{key}", issuers.start, methods=["GET"]),
    ]
