"""The account page mints a personal token only right after a sign-in; the demo's one-click sign-in exists
only when `serve --demo` turned it on, never in production."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.models import AuditEvent, Member, PersonalAccessToken, SigninSession
from api.models.enums import Role
from api.settings import Settings
from api.signin.demo import DEMO_EMAILS
from api.signin.sessions import COOKIE, start_session
from tests import factories
from tests.network.factories import org_admin, organization_of
from tests.signin.authenticator import SoftAuthenticator
from tests.signin.ceremony import ORIGIN, csrf, enroll, invite

SECRET = re.compile(r'id="token" readonly size="60" value="(snt_pat_[^"]+)"')


async def _signed_in(client: httpx.AsyncClient, db: AsyncSession) -> Member:
    admin = await org_admin(db)
    member = await factories.member(db, await organization_of(db, admin), Role.ORGANIZER)
    assert (await enroll(client, await invite(client, admin, member), SoftAuthenticator(ORIGIN))).status_code == 200
    return member


async def test_a_fresh_sign_in_mints_a_token_shown_once_and_audited_by_id(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await _signed_in(client, db)
    token = await csrf(client, "/signin/account")
    assert 'action="/signin/tokens"' in (await client.get("/signin/account")).text

    page = await client.post("/signin/tokens", data={"csrf": token, "name": "my script", "days": "7"})

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    found = SECRET.search(page.text)
    assert found is not None
    me = await client.post("/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": f"Bearer {found[1]}"})
    assert me.json()["data"]["me"] is not None
    row = await db.scalar(select(PersonalAccessToken).where(PersonalAccessToken.member_id == member.id))
    assert row is not None
    assert row.minted_by == "SELF"
    events = (await db.scalars(select(AuditEvent).where(AuditEvent.fields.is_not(None)))).all()
    [event] = [e for e in events if e.fields == ["signin.token.create"]]
    assert event.record_ids == [member.id, row.id]
    assert found[1] not in page.text.replace(found[0], "")  # shown in one place only
    assert SECRET.search((await client.get("/signin/account")).text) is None  # and never again


async def test_a_stale_sign_in_is_asked_to_sign_in_again_and_mints_nothing(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    member = await _signed_in(client, db)
    await db.execute(
        update(SigninSession)
        .where(SigninSession.member_id == member.id)
        .values(created_at=SigninSession.created_at - timedelta(minutes=11))
    )
    await db.commit()
    token = await csrf(client, "/signin/account")
    account = (await client.get("/signin/account")).text
    assert 'action="/signin/tokens"' not in account
    assert "sign in again" in account

    page = await client.post("/signin/tokens", data={"csrf": token, "name": "my script", "days": "7"})

    assert page.status_code == 403
    assert SECRET.search(page.text) is None
    assert await db.scalar(select(PersonalAccessToken.id).where(PersonalAccessToken.member_id == member.id)) is None
    assert (await client.post("/signin/tokens", data={"name": "x", "days": "7"})).status_code == 403  # no CSRF


DemoClient = Callable[[Settings], httpx.AsyncClient]


@pytest.fixture
async def app_client(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer
) -> AsyncIterator[DemoClient]:
    made: list[httpx.AsyncClient] = []

    def build(settings: Settings) -> httpx.AsyncClient:
        app = create_app(settings, engine=engine, sealer=sealer)
        configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=settings)
        made.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver"))
        return made[-1]

    yield build
    for client in made:
        await client.aclose()


async def _demo_members(db: AsyncSession) -> list[Member]:
    org = await factories.organization(db)
    members = [await factories.member(db, org, Role.ORGANIZER, email=email, alias=f"Demo {n}")
               for n, email in enumerate(DEMO_EMAILS[:2])]  # fmt: skip
    await db.commit()
    return members


async def test_the_demo_signs_in_as_a_demo_member_in_one_click(
    db: AsyncSession, settings: Settings, app_client: DemoClient
) -> None:
    first, _second = await _demo_members(db)
    client = app_client(settings.with_demo())
    page = (await client.get("/signin")).text
    assert 'aria-labelledby="demo-heading"' in page
    assert "Demo 0" in page
    assert "Demo 1" in page
    token = await csrf(client, "/signin")

    signed = await client.post("/signin/demo", data={"csrf": token, "member": str(first.id)})

    assert (signed.status_code, signed.headers["location"]) == (303, "/signin/account")
    assert "Demo 0" in (await client.get("/signin/account")).text
    method = await db.scalar(select(SigninSession.method).where(SigninSession.member_id == first.id))
    assert method == "DEMO"
    client.cookies.delete(COOKIE)
    assert (await client.post("/signin/demo", data={"member": str(first.id)})).status_code == 403  # CSRF
    other = await factories.member(db, await factories.organization(db), Role.ORG_ADMIN)
    await db.commit()
    refused = await client.post("/signin/demo", data={"csrf": token, "member": str(other.id)})
    assert refused.status_code == 404  # only demo members


async def test_without_the_demo_flag_there_is_no_demo_section_and_the_endpoint_is_not_found(
    db: AsyncSession, settings: Settings, app_client: DemoClient
) -> None:
    first, _second = await _demo_members(db)
    client = app_client(settings)
    assert "demo-heading" not in (await client.get("/signin")).text
    token = await csrf(client, "/signin")
    refused = await client.post("/signin/demo", data={"csrf": token, "member": str(first.id)})
    assert refused.status_code == 404
    assert await db.scalar(select(SigninSession.id).where(SigninSession.member_id == first.id)) is None


def test_the_demo_flag_is_refused_in_production_and_never_read_from_the_environment(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="production"):
        settings.model_copy(update={"environment": "production"}).with_demo()
    sneaked = settings.with_demo().model_copy(update={"environment": "production"})
    assert sneaked.demo is False  # even a copy made before switching to production
    for name in ("SANCTUARY_DEMO", "SANCTUARY__DEMO", "SANCTUARY_DEMO_SIGNIN"):
        monkeypatch.setenv(name, "true")
    assert Settings().demo is False


async def test_the_account_page_lists_ones_sessions_and_ends_another_browsers(
    client: httpx.AsyncClient, app: object, db: AsyncSession
) -> None:
    member = await _signed_in(client, db)
    other_browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")  # type: ignore[arg-type]
    async with other_browser:
        row, cookie = await start_session(db, member, device_name="Phone browser", lifetime=timedelta(hours=1))
        await db.commit()
        other_browser.cookies.set(COOKIE, cookie)
        assert (await other_browser.get("/signin/account")).status_code == 200
        page = (await client.get("/signin/account")).text
        assert "Phone browser" in page
        assert "(this browser)" in page
        token = await csrf(client, "/signin/account")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as third:  # type: ignore[arg-type]
            stranger = await _signed_in(third, db)
        theirs = await db.scalar(select(SigninSession.id).where(SigninSession.member_id == stranger.id))
        refused = await client.post(f"/signin/sessions/browser/{theirs}/end", data={"csrf": token})
        assert refused.status_code == 404

        ended = await client.post(f"/signin/sessions/browser/{row.id}/end", data={"csrf": token})

        assert (ended.status_code, ended.headers["location"]) == (303, "/signin/account")
        assert (await other_browser.get("/signin/account")).status_code == 303
        assert (await client.get("/signin/account")).status_code == 200
        assert await db.scalar(select(SigninSession.revoked_at).where(SigninSession.id == theirs)) is None


async def test_the_demo_sign_in_returns_to_the_page_that_asked_for_it_on_this_origin_only(
    db: AsyncSession, settings: Settings, app_client: DemoClient
) -> None:
    first, second = await _demo_members(db)
    client = app_client(settings.with_demo())
    back = "/oauth/authorize?response_type=code&client_id=graphiql&state=s"
    page = (await client.get("/signin", params={"next": back})).text
    assert 'name="next" value="/oauth/authorize?response_type=code&amp;client_id=graphiql&amp;state=s"' in page
    token = await csrf(client, "/signin")
    signed = await client.post("/signin/demo", data={"csrf": token, "member": str(first.id), "next": back})
    assert (signed.status_code, signed.headers["location"]) == (303, back)
    client.cookies.delete(COOKIE)
    token = await csrf(client, "/signin")
    for elsewhere in ("//evil.example/x", "https://evil.example/x", "/\\evil.example"):
        signed = await client.post("/signin/demo", data={"csrf": token, "member": str(second.id), "next": elsewhere})
        assert (signed.status_code, signed.headers["location"]) == (303, "/signin/account")
        client.cookies.delete(COOKIE)
        token = await csrf(client, "/signin")
