"""Signing in with an organization's own OpenID Connect issuer: authorization code with PKCE, state and nonce.

``GET /signin/oidc/<issuer>`` keeps the pending sign-in server-side (a ``webauthn_challenge`` row of purpose
``oidc``, spent once, a few minutes; its id is the ``state``) and sets a cookie binding it to this browser
(the PKCE verifier; only its hash is stored). ``GET /signin/oidc/callback`` spends it, redeems the code at
the issuer's token endpoint (authlib's client requests), verifies the ID token (pinned algorithms, this
API's client id as audience, the nonce) and signs in the active member its configured claim names. Every
refusal reads the same and is audited (who, when known; never a code or token).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import httpx
import orjson
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.auth.oidc import ExternalIssuers, IssuerConfig, member_for_claims
from api.models import Member
from api.models.enums import AuditOutcome
from api.services.shared.audit import signin_event
from api.signin import ceremonies, html
from api.signin.texts import language
from api.signin.throttle import throttled
from api.signin.web import database, finish, secure, settings_of, signed_in

CALLBACK = "/signin/oidc/callback"
BINDING_COOKIE = "sanctuary_oidc"
PURPOSE = "oidc"


class IssuerSigninError(Exception):
    """The issuer's answer was refused; ``member`` is who it named, when known (for the audit)."""

    def __init__(self, member: Member | None = None) -> None:
        super().__init__("issuer sign-in refused")
        self.member = member


def _issuers(request: Request) -> ExternalIssuers:
    issuers: ExternalIssuers = request.app.state.external_issuers
    return issuers


def issuer_links(request: Request) -> list[tuple[str, str]]:
    """(path, display name) of each issuer people sign in with."""
    return [(f"/signin/oidc/{i.key}", i.display_name or i.issuer) for i in _issuers(request).issuers if i.signs_in]


def _redirect_uri(request: Request) -> str:
    return settings_of(request).public_url.rstrip("/") + CALLBACK


def _refused(request: Request) -> Response:
    body = html.message_page(language(request), "issuer_failed")
    response = finish(request, HTMLResponse(body, status_code=400))
    response.delete_cookie(BINDING_COOKIE, path="/signin/oidc", httponly=True, samesite="lax", secure=secure(request))
    return response


async def start(request: Request) -> Response:
    """GET /signin/oidc/<issuer>: off to the issuer's authorization endpoint."""
    if limited := await throttled(request, None, page=True):
        return limited
    try:
        issuer = _issuer(request, request.path_params["key"])
    except IssuerSigninError:
        return finish(request, Response(status_code=404))
    try:
        authorize, _token = await _issuers(request).endpoints(issuer)
    except (httpx.HTTPError, ValueError, KeyError):
        return _refused(request)
    binding, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(16)  # the binding is the PKCE verifier
    pending = {"issuer": issuer.key, "nonce": nonce, "binding": hashlib.sha256(binding.encode()).hexdigest()}
    async with database(request) as session:
        state = await ceremonies.new_challenge(session, PURPOSE, orjson.dumps(pending))
        await session.commit()
    url = prepare_grant_uri(
        authorize, issuer.client_id, "code", redirect_uri=_redirect_uri(request), scope="openid email",
        state=str(state), nonce=nonce, code_challenge=create_s256_code_challenge(binding), code_challenge_method="S256",
    )  # fmt: skip
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        BINDING_COOKIE, binding, max_age=int(ceremonies.CHALLENGE_LIFETIME.total_seconds()), httponly=True,
        samesite="lax", secure=secure(request), path="/signin/oidc",
    )  # fmt: skip
    return finish(request, response)


async def callback(request: Request) -> Response:
    """GET /signin/oidc/callback: the issuer sent the browser back with a code (or an error)."""
    if limited := await throttled(request, None, page=True):
        return limited
    binding = request.cookies.get(BINDING_COOKIE, "")
    async with database(request) as session:
        try:
            pending = await _pending(session, request, binding)
            issuer = _issuer(request, pending["issuer"])
            member = await _member(session, request, issuer, pending["nonce"], binding)
        except (IssuerSigninError, ceremonies.CeremonyError) as error:
            who = getattr(error, "member", None)
            session.add(signin_event(who and who.organization_id, who and who.id, "oidc", AuditOutcome.DENIED))
            await session.commit()
            return _refused(request)
        session.add(signin_event(member.organization_id, member.id, "oidc", AuditOutcome.ALLOWED))
        response = await signed_in(
            request, session, RedirectResponse("/signin/account", status_code=303), member, "OIDC"
        )
        await session.commit()
    response.delete_cookie(BINDING_COOKIE, path="/signin/oidc", httponly=True, samesite="lax", secure=secure(request))
    return finish(request, response)


def _issuer(request: Request, key: str) -> IssuerConfig:
    """The configured issuer a pending sign-in went to (it may have been removed since)."""
    found = next((i for i in _issuers(request).issuers if i.signs_in and i.key == key), None)
    if found is None:
        raise IssuerSigninError()
    return found


async def _pending(session: Any, request: Request, binding: str) -> dict[str, str]:
    """The pending sign-in the ``state`` names, spent; it must be this browser's (its binding cookie)."""
    raw = await ceremonies.spend_challenge(session, request.query_params.get("state", ""), PURPOSE)
    pending: dict[str, str] = orjson.loads(raw)
    expected = pending.get("binding", "")
    if not binding or not secrets.compare_digest(hashlib.sha256(binding.encode()).hexdigest(), expected):
        raise IssuerSigninError()
    return pending


async def _member(session: Any, request: Request, issuer: IssuerConfig, nonce: str, binding: str) -> Member:
    """Redeem the code, verify the ID token, and find the active member its claim names."""
    code = request.query_params.get("code")
    if not code or len(code) > 2000 or "error" in request.query_params:
        raise IssuerSigninError()
    id_token = await _id_token(request, issuer, code, binding)
    claims = await _issuers(request).id_token_claims(issuer, id_token, nonce)
    if claims is None:
        raise IssuerSigninError()
    found = await member_for_claims(session, issuer, claims)
    if found is None:
        raise IssuerSigninError()
    member: Member = found[0]
    return member


async def _id_token(request: Request, issuer: IssuerConfig, code: str, binding: str) -> str:
    """The ID token the issuer's token endpoint answers for ``code`` (client secret by HTTP Basic, if any)."""
    try:
        _authorize, endpoint = await _issuers(request).endpoints(issuer)
        body = prepare_token_request(
            "authorization_code", code=code, redirect_uri=_redirect_uri(request), code_verifier=binding,
            **({} if issuer.client_secret else {"client_id": issuer.client_id}),
        )  # fmt: skip
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        async with httpx.AsyncClient(timeout=5.0) as client:
            if issuer.client_secret:
                auth = httpx.BasicAuth(issuer.client_id or "", issuer.client_secret)
                response = await client.post(endpoint, content=body, headers=headers, auth=auth)
            else:
                response = await client.post(endpoint, content=body, headers=headers)
        token = response.json().get("id_token") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError, KeyError, AttributeError):
        raise IssuerSigninError() from None
    if not isinstance(token, str):
        raise IssuerSigninError()
    return token
