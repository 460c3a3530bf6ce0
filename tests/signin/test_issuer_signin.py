"""Sign in with an organization's OpenID Connect issuer, end to end against a real provider on loopback:
through the API's pages with a client following redirects; every refusal reads the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.auth.oidc import parse_issuers
from api.crypto import Sealer
from api.models import AuditEvent, Member, SigninSession
from api.models.enums import AuditOutcome, OrganizationKind, Role
from api.settings import Settings
from tests import factories
from tests.signin.ceremony import ORIGIN
from tests.signin.oidc_provider import Provider, serve_provider

CALLBACK = f"{ORIGIN}/signin/oidc/callback"
REFUSED = "Sign-in with your organization&#x27;s account did not work."


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with serve_provider(CALLBACK) as running:
        yield running


@pytest.fixture
async def browser(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer,
    provider: Provider,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    """A browser: the API in process at the public URL, the provider over real HTTP; redirects followed."""
    configured = settings.model_copy(update={"oidc_issuers": orjson.dumps([provider.config()]).decode()})
    app = create_app(configured, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=configured)
    mounts = {ORIGIN: httpx.ASGITransport(app=app)}
    async with httpx.AsyncClient(mounts=mounts, base_url=ORIGIN, follow_redirects=True, timeout=10) as client:
        yield client


async def _member(db: AsyncSession, provider: Provider, **values: Any) -> Member:
    member = await factories.member(db, await factories.organization(db, OrganizationKind.LEGAL_AID),
                                    Role.LEGAL_ADVOCATE, alias="Heron", **values)  # fmt: skip
    await db.commit()
    provider.reset(member.email.upper())  # the issuer's spelling of the address
    return member


def _start(provider: Provider) -> str:
    return f"/signin/oidc/{parse_issuers(orjson.dumps([provider.config()]).decode())[0].key}"


async def _outcomes(db: AsyncSession) -> list[AuditOutcome]:
    statement = select(AuditEvent).where(AuditEvent.operation_name == "signin").order_by(AuditEvent.occurred_at)
    return [e.outcome for e in (await db.scalars(statement)).all() if e.fields == ["signin.oidc"]]


async def test_a_member_signs_in_with_their_organizations_issuer(
    browser: httpx.AsyncClient, db: AsyncSession, provider: Provider
) -> None:
    member = await _member(db, provider)
    page = await browser.get("/signin")
    assert f'href="{_start(provider)}"' in page.text
    assert "Sign in with Legal Aid Collective ID" in page.text

    done = await browser.get(_start(provider))

    assert [str(r.url).split("?")[0] for r in done.history] == [
        f"{ORIGIN}{_start(provider)}", f"{provider.issuer}/authorize", CALLBACK
    ]  # fmt: skip
    assert (str(done.url), done.status_code) == (f"{ORIGIN}/signin/account", 200)
    assert "Heron" in done.text
    method = await db.scalar(select(SigninSession.method).where(SigninSession.member_id == member.id))
    assert method == "OIDC"
    assert await _outcomes(db) == [AuditOutcome.ALLOWED]


@pytest.mark.parametrize("wrong", ["audience", "nonce", "unknown member", "inactive member"])
async def test_refusals_read_the_same_and_sign_nobody_in(
    browser: httpx.AsyncClient, db: AsyncSession, provider: Provider, wrong: str
) -> None:
    member = await _member(db, provider, active=wrong != "inactive member")
    if wrong == "audience":
        provider.audience = "another-client"
    elif wrong == "nonce":
        provider.nonce = "a-nonce-of-another-sign-in"
    elif wrong == "unknown member":
        provider.reset("nobody@example.test")

    done = await browser.get(_start(provider))

    assert (str(done.url).split("?")[0], done.status_code) == (CALLBACK, 400)
    assert REFUSED in done.text
    assert await db.scalar(select(SigninSession.id).where(SigninSession.member_id == member.id)) is None
    assert (await browser.get("/signin/account")).url.path == "/signin"
    assert await _outcomes(db) == [AuditOutcome.DENIED]


async def test_a_member_of_another_organization_cannot_use_an_organizations_own_issuer(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer,
    db: AsyncSession, provider: Provider,
) -> None:  # fmt: skip
    member = await _member(db, provider)
    elsewhere = await factories.organization(db)
    await db.commit()
    tied = provider.config(organization_id=str(elsewhere.id))
    configured = settings.model_copy(update={"oidc_issuers": orjson.dumps([tied]).decode()})
    app = create_app(configured, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=configured)
    mounts = {ORIGIN: httpx.ASGITransport(app=app)}
    async with httpx.AsyncClient(mounts=mounts, base_url=ORIGIN, follow_redirects=True, timeout=10) as client:
        done = await client.get(_start(provider))
    assert done.status_code == 400
    assert await db.scalar(select(SigninSession.id).where(SigninSession.member_id == member.id)) is None


@pytest.mark.parametrize("wrong", ["state", "browser"])
async def test_a_wrong_state_or_another_browser_is_refused(
    browser: httpx.AsyncClient, db: AsyncSession, provider: Provider, wrong: str
) -> None:
    member = await _member(db, provider)
    to_provider = await browser.get(_start(provider), follow_redirects=False)
    back = await browser.get(to_provider.headers["location"], follow_redirects=False)
    callback = urlsplit(back.headers["location"])
    query = {key: values[0] for key, values in parse_qs(callback.query).items()}
    if wrong == "state":
        query["state"] = "00000000-0000-4000-8000-000000000000"
    else:  # the attacker's own code and state, completed by a victim's browser (login CSRF)
        browser.cookies.clear()

    done = await browser.get(callback.path, params=query)

    assert done.status_code == 400
    assert REFUSED in done.text
    assert await db.scalar(select(SigninSession.id).where(SigninSession.member_id == member.id)) is None
