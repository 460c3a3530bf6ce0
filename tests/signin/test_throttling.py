"""Sign-in attempts and invitation redemptions are throttled per client address and per account; a refusal
reads the same whether or not the passkey or invitation exists."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.models.enums import Role
from api.ratelimit.policy import Policy, RateLimits
from api.settings import Settings
from tests import factories
from tests.network.factories import org_admin, organization_of
from tests.signin.authenticator import SoftAuthenticator
from tests.signin.ceremony import ORIGIN, csrf, enroll, invite, post

Clients = Callable[..., httpx.AsyncClient]


def _address() -> str:
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


@pytest.fixture
async def limited(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings
) -> AsyncIterator[Clients]:
    """Clients (each from its own address unless given one) of an app with low sign-in limits."""
    made: list[httpx.AsyncClient] = []
    apps: list[Starlette] = []

    def client(address: str | None = None, *, demo: bool = False, **policies: int) -> httpx.AsyncClient:
        limits = settings.rate_limits.model_copy(
            update={name: Policy(points=points, window_s=600) for name, points in policies.items()}
        )
        app_settings = settings.model_copy(update={"rate_limits": RateLimits.model_validate(limits.model_dump())})
        app_settings = app_settings.with_demo() if demo else app_settings
        app = create_app(app_settings, engine=engine, sealer=sealer)
        configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=app_settings)
        apps.append(app)
        transport = httpx.ASGITransport(app=app, client=(address or _address(), 40000))
        made.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return made[-1]

    yield client
    for one in made:
        await one.aclose()
    for app in apps:
        await app.state.rate_gate.buckets.close()


async def _attempt(client: httpx.AsyncClient, key: SoftAuthenticator) -> httpx.Response:
    """One passkey sign-in attempt with ``key`` (against a stale challenge: refused unless throttled first)."""
    token = await csrf(client, "/signin")
    credential: dict[str, Any] = key.get({"challenge": "AAAA", "rpId": "127.0.0.1"})
    return await post(client, "/signin", token, {"challengeId": "not-a-challenge", "credential": credential})


async def _enrolled_key(client: httpx.AsyncClient, db: AsyncSession) -> SoftAuthenticator:
    admin = await org_admin(db)
    member = await factories.member(db, await organization_of(db, admin), Role.ORGANIZER)
    key = SoftAuthenticator(ORIGIN)
    assert (await enroll(client, await invite(client, admin, member), key)).status_code == 200
    return key


async def test_a_passkey_is_throttled_per_account_whatever_the_address_and_unknown_ones_alike(
    client: httpx.AsyncClient, db: AsyncSession, limited: Clients
) -> None:
    known, unknown = await _enrolled_key(client, db), SoftAuthenticator(ORIGIN)
    answers: dict[str, list[httpx.Response]] = {}
    for name, key in (("known", known), ("unknown", unknown)):
        answers[name] = [await _attempt(limited(signin_account=3), key) for _ in range(4)]  # 4 addresses
    for responses in answers.values():
        assert [r.status_code for r in responses] == [400, 400, 400, 429]
    assert answers["known"][0].json() == answers["unknown"][0].json() == {"error": "refused"}
    assert answers["known"][3].json() == answers["unknown"][3].json() == {"error": "throttled"}
    assert int(answers["known"][3].headers["retry-after"]) >= 1
    assert (await _attempt(limited(signin_account=3), SoftAuthenticator(ORIGIN))).status_code == 400  # another key


async def test_an_address_is_throttled_and_another_address_is_not(
    client: httpx.AsyncClient, db: AsyncSession, limited: Clients
) -> None:
    address = _address()
    attempts = [await _attempt(limited(address, signin_address=3), SoftAuthenticator(ORIGIN)) for _ in range(4)]
    assert [r.status_code for r in attempts] == [400, 400, 400, 429]
    same = limited(address, signin_address=3)
    assert (await post(same, "/signin/options", await csrf(same, "/signin"), {})).status_code == 429  # no ceremony
    assert (await _attempt(limited(signin_address=3), SoftAuthenticator(ORIGIN))).status_code == 400


async def test_invitation_links_are_throttled_and_read_the_same_whether_they_exist_or_not(
    client: httpx.AsyncClient, db: AsyncSession, limited: Clients
) -> None:
    admin = await org_admin(db)
    member = await factories.member(db, await organization_of(db, admin), Role.ORGANIZER)
    real = await invite(client, admin, member)
    fake = real[: -len("x") * 8] + "abcdefgh"
    pages: dict[str, list[httpx.Response]] = {}
    for name, path in (("real", real), ("fake", fake)):
        pages[name] = [await limited(signin_account=2).get(path) for _ in range(3)]
    assert [r.status_code for r in pages["real"]] == [200, 200, 429]
    assert [r.status_code for r in pages["fake"]] == [404, 404, 429]
    assert pages["real"][2].text == pages["fake"][2].text
    assert "Too many attempts" in pages["real"][2].text
    assert pages["real"][2].headers["content-security-policy"].startswith("default-src 'none'")
    address = _address()
    by_address = [await limited(address, signin_address=2).get(f"{fake}{n}") for n in range(3)]
    assert [r.status_code for r in by_address] == [404, 404, 429]
    assert (await limited(signin_address=2).get(real)).status_code == 200  # another address


async def test_demo_sign_ins_are_throttled_per_member_whether_or_not_it_is_one(limited: Clients) -> None:
    answers = {}
    for name, member in (("unknown", str(uuid.uuid4())), ("malformed", "not-an-id")):
        statuses = []
        for _ in range(3):
            browser = limited(demo=True, signin_account=2)
            statuses.append((await browser.post("/signin/demo", data={"csrf": await csrf(browser, "/signin"),
                                                                     "member": member})).status_code)  # fmt: skip
        answers[name] = statuses
    assert answers == {"unknown": [404, 404, 429], "malformed": [404, 404, 429]}
