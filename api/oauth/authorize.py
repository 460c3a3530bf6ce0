"""``GET /oauth/authorize`` and the consent screen (``/signin/consent``): authorization code with PKCE (S256).

An unknown client or a redirect URI that is not registered (exactly) gets an error page, never a redirect.
Without a live sign-in session the browser goes to the sign-in page and comes back. GraphiQL, and an app the
member already consented to for these scopes, get a code at once; any other app gets the consent screen.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import OAuth2Error, OAuth2Request
from authlib.oauth2.rfc6749.requests import OAuth2Payload
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from api.auth.clients import AnyClient, find_any_client
from api.auth.delegated import Grantee
from api.auth.oauth import use_client
from api.models import Member, Organization, SigninSession
from api.models.enums import AuditOutcome
from api.oauth import consents, store
from api.oauth.grants import CodeGrant, Pending, pending
from api.oauth.html import Request as Asked
from api.oauth.html import consent_page
from api.services.shared.audit import oauth_event
from api.signin import html, sessions
from api.signin.texts import language
from api.signin.web import CSRF_COOKIE, POLICY, csrf_token, database, device_name, finish, relying_party, settings_of

PARAMS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")
MAX_BODY = 16 * 1024


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _AuthorizeRequest(OAuth2Request):  # type: ignore[misc]
    def __init__(self, uri: str, headers: object, pairs: list[tuple[str, str]]) -> None:
        super().__init__("GET", uri, headers=headers)
        self.payload = _Payload(pairs)


@dataclass
class Checked:
    """A valid authorization request: its grant (authlib's), client, redirect URI and resolved scopes."""

    grant: CodeGrant
    client: AnyClient
    redirect_uri: str
    scopes: list[str]
    fields: list[tuple[str, str]]  # the request's own parameters, to carry through the consent form


async def check(request: Request, session: AsyncSession, pairs: list[tuple[str, str]]) -> Checked | Response:
    """Validate an authorization request with authlib; the error page or error redirect otherwise."""
    settings = settings_of(request)
    fields = [(key, value) for key, value in pairs if key in PARAMS]
    client = await find_any_client(session, dict(fields).get("client_id"), settings.public_url)
    use_client(client)
    prepared = _AuthorizeRequest(settings.issuer + "/oauth/authorize", request.headers, fields)
    try:
        grant = request.app.state.oauth_server.get_consent_grant(prepared)
    except OAuth2Error as error:
        if error.redirect_uri:  # validated against the client's registered URIs
            return _back(error.redirect_uri, dict(fields).get("state"), error=str(error.error))
        return invalid(request)
    assert client is not None
    return Checked(grant, client, str(grant.redirect_uri), sorted(str(prepared.scope).split()), fields)


def invalid(request: Request) -> Response:
    """The one page for a request that cannot be answered to its client (no redirect to an unchecked URI)."""
    lang = language(request)
    return finish(request, HTMLResponse(html.message_page(lang, "invalid_request", "title_consent"), status_code=400))


def _back(redirect_uri: str, state: str | None, **params: str) -> Response:
    """Back to the client's (validated) redirect URI with ``params`` and its state; 303 so a POST becomes a GET."""
    values = list(params.items()) + ([("state", state)] if state else [])
    return RedirectResponse(add_params_to_uri(redirect_uri, values), status_code=303)


def to_signin(request: Request, fields: list[tuple[str, str]]) -> Response:
    """To the sign-in page, which comes back to this authorization request."""
    back = "/oauth/authorize?" + urlencode(fields)
    return finish(request, RedirectResponse("/signin?" + urlencode({"next": back}), status_code=303))


async def issue_code(request: Request, session: AsyncSession, checked: Checked, signed: SigninSession) -> Response:
    """A code for the signed-in member (bound to client, redirect URI, challenge, member and sign-in time)."""
    who = await store.grantee(session, checked.client, signed.member_id, signed.created_at, uuid.uuid4())
    state = dict(checked.fields).get("state")
    if who is None:  # nothing is left of the member's roles within the app's ceiling
        return _back(checked.redirect_uri, state, error="access_denied")
    pending.set(Pending())
    _status, _body, headers = checked.grant.create_authorization_response(checked.redirect_uri, who)
    code = pending.get().code
    assert code is not None
    await store.save_code(
        session, checked.client, who.member_id, code=code, auth_time=signed.created_at, device_name=device_name(request)
    )
    return RedirectResponse(dict(headers)["Location"], status_code=303)


async def authorize(request: Request) -> Response:
    """GET /oauth/authorize: validate, then sign in, consent, or a code at once."""
    pairs = list(request.query_params.multi_items())
    prompt = request.query_params.get("prompt")
    async with database(request) as session:
        checked = await check(request, session, pairs)
        if isinstance(checked, Response):
            return checked
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        state = dict(checked.fields).get("state")
        if current is None:
            await session.commit()
            if prompt == "none":
                return _back(checked.redirect_uri, state, error="login_required")
            return to_signin(request, checked.fields)
        signed, member = current
        client_row = checked.client.row
        if client_row is None or await consents.remembered(session, member.id, client_row.id, checked.scopes):
            response = await issue_code(request, session, checked, signed)
            await session.commit()
            return response
        await session.commit()
    if prompt == "none":
        return _back(checked.redirect_uri, state, error="consent_required")
    return finish(request, RedirectResponse("/signin/consent?" + urlencode(checked.fields), status_code=303))


async def consent_form(request: Request) -> Response:
    """GET /signin/consent: the consent screen of a valid authorization request, for the signed-in member."""
    pairs = list(request.query_params.multi_items())
    async with database(request) as session:
        checked = await check(request, session, pairs)
        if isinstance(checked, Response):
            return checked
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None:
            await session.commit()
            return to_signin(request, checked.fields)
        asked = await asked_of(session, checked.client, current[1], checked.scopes)
        await session.commit()
    if asked is None:
        return _back(checked.redirect_uri, dict(checked.fields).get("state"), error="access_denied")
    return consent(request, asked, "/signin/consent", checked.fields, checked.redirect_uri)


async def asked_of(session: AsyncSession, client: AnyClient, member: Member, scopes: list[str]) -> Asked | None:
    """What the consent screen names; None when nothing is left of the member's roles within the app's ceiling."""
    who: Grantee | None = await store.grantee(session, client, member.id, member.created_at, uuid.uuid4())
    if who is None or client.row is None:
        return None
    organization = await session.get_one(Organization, client.row.organization_id)
    return Asked(client.name, organization.name, scopes, sorted(who.roles))


def consent(request: Request, asked: Asked, action: str, fields: list[tuple[str, str]], redirect_uri: str) -> Response:
    """The consent page; its form may end in a redirect to the client's origin (CSP ``form-action``)."""
    csrf = csrf_token(request)
    body = consent_page(language(request), csrf, asked, action, fields, action)
    response = finish(request, HTMLResponse(body), csrf=csrf)
    parts = urlsplit(redirect_uri)
    if redirect_uri and re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", parts.netloc):
        origin = f"{parts.scheme}://{parts.netloc}"
        response.headers["Content-Security-Policy"] = POLICY.replace(
            "form-action 'self'", f"form-action 'self' {origin}"
        )
    return response


async def form_pairs(request: Request) -> list[tuple[str, str]] | None:
    """The fields of a small urlencoded form whose CSRF token matches the browser's cookie; None otherwise."""
    origin = request.headers.get("origin")
    if origin is not None and origin != relying_party(request).origin:
        return None
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = await request.body()
    if len(body) > MAX_BODY:
        return None
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=24)
    except (ValueError, UnicodeDecodeError):
        return None
    cookie, sent = request.cookies.get(CSRF_COOKIE, ""), dict(pairs).get("csrf", "")
    return pairs if cookie and secrets.compare_digest(cookie.encode(), sent.encode()) else None


async def consent_decide(request: Request) -> Response:
    """POST /signin/consent: allow (remembered, then a code) or deny (``access_denied``)."""
    pairs = await form_pairs(request)
    if pairs is None:
        return invalid(request)
    async with database(request) as session:
        checked = await check(request, session, pairs)
        if isinstance(checked, Response):
            return checked
        current = await sessions.current_session(session, request.cookies.get(sessions.COOKIE))
        if current is None or checked.client.row is None:
            await session.commit()
            return to_signin(request, checked.fields)
        signed, member = current
        allowed = dict(pairs).get("decision") == "allow"
        outcome = AuditOutcome.ALLOWED if allowed else AuditOutcome.DENIED
        record = [checked.client.row.id]
        if allowed:
            record.append(await consents.remember(session, member.id, checked.client.row.id, checked.scopes))
            response = await issue_code(request, session, checked, signed)
        else:
            response = _back(checked.redirect_uri, dict(checked.fields).get("state"), error="access_denied")
        client_id = checked.client.get_client_id()
        session.add(oauth_event(member.organization_id, member.id, client_id, "consent", outcome, record))
        await session.commit()
    return response
