"""GraphiQL signs a person in, end to end, in a real browser: Debian's chromium driven by Playwright, with a
Chrome DevTools virtual authenticator, against the API served by uvicorn on ``localhost``.

An org admin invites a member (``memberInvite``) → the member opens the link and registers a passkey →
GraphiQL shows the public schema → Sign in (OAuth 2.1 + PKCE, answered at once by the browser's session) →
a query returns the member's own data → a silent refresh → Sign out → the public schema again → Sign in
once more, this time through the passkey sign-in page and back. Nothing is fetched from another origin;
no token is ever in localStorage, sessionStorage or a script-readable cookie. Also: a refused refresh is
recovered at once while the browser is signed in, and shown (with the public schema) when it is not; a
forged return to GraphiQL (login CSRF) is refused without spending its code.

Screenshots of each step go to ``$SANCTUARY_TEST_ARTIFACTS/graphiql-signin/<test>`` (or the same under the
pytest basetemp); the path is printed. Without /usr/bin/chromium (or Playwright) the test skips, unless
SANCTUARY_REQUIRE_BROWSER=1 (CI), where it fails.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.models import SigninSession
from api.models.enums import Role
from api.signin.sessions import end_member_sessions
from tests import factories
from tests.canaries import canary
from tests.graphql import gid
from tests.signin import graphiql_browser as browser
from tests.signin.test_browser import browser_required, served

__all__ = ["browser_required", "served"]  # fixtures, used by name
INVITE = "mutation($input: MemberInviteInput!) { memberInvite(input: $input) { link userErrors { code } } }"


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """Where a test's screenshots go: $SANCTUARY_TEST_ARTIFACTS/graphiql-signin/<test>, or the same under the
    pytest basetemp."""
    chosen = os.environ.get("SANCTUARY_TEST_ARTIFACTS")
    base = Path(chosen) if chosen else tmp_path_factory.getbasetemp()
    folder = base / "graphiql-signin" / str(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
async def chromium(browser_required: None) -> AsyncIterator[Any]:
    """One chromium for the module; each test drives a new browser context of its own."""
    async with browser.launched() as launched:
        yield launched


@pytest.fixture
async def invitation(served: str, live_sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, str]:
    """A member (Rosa, hospitality volunteer) and the link their org admin made with ``memberInvite``."""
    async with live_sessions() as session:
        org = await factories.organization(session)
        admin = await factories.member(session, org, Role.ORG_ADMIN)
        member = await factories.member(session, org, Role.HOSPITALITY_VOLUNTEER, alias="Rosa")
        admin_token = await factories.token_for(session, admin)
        await session.commit()
    async with httpx.AsyncClient(base_url=served) as client:
        answer = await client.post(
            "/graphql",
            json={"query": INVITE, "variables": {"input": {"memberId": gid(member)}}},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
    payload = answer.json()["data"]["memberInvite"]
    assert payload["userErrors"] == []
    assert payload["link"].startswith(served)
    canary(payload["link"].rsplit("/", 1)[1])  # the invitation's secret: never in a log line
    return member, payload["link"]


async def test_graphiql_signs_a_member_in_and_out_in_chromium(
    chromium: Any,
    served: str,
    invitation: tuple[Any, str],
    live_sessions: async_sessionmaker[AsyncSession],
    artifacts: Path,
) -> None:
    member, link = invitation
    async with browser.chromium(chromium, served, artifacts) as steps:
        await steps.register_passkey(link)
        await steps.graphiql_is_public()
        await steps.sign_in_at_once()
        await steps.query_own_data_and_refresh()
        await steps.sign_out()
        async with live_sessions() as session:  # Sign in is offered again only once the browser's session ended
            ended = await session.scalars(select(SigninSession.revoked_at).where(SigninSession.member_id == member.id))
            assert None not in list(ended)
        await steps.sign_in_through_the_signin_page()
    assert steps.watch.refused == []
    await _revoked_and_ended(served, steps.watch, live_sessions, member)


async def test_graphiql_recovers_a_failed_refresh_while_the_browser_is_signed_in_and_shows_when_it_is_not(
    chromium: Any,
    served: str,
    invitation: tuple[Any, str],
    live_sessions: async_sessionmaker[AsyncSession],
    artifacts: Path,
) -> None:
    member, link = invitation
    async with browser.chromium(chromium, served, artifacts) as steps:
        await steps.register_passkey(link)
        await steps.graphiql_is_public()
        await steps.sign_in_at_once()
        issued = steps.watch.issued
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")
        await browser.until(lambda: len(issued) == 2)
        assert (await browser.replay(served, issued[0]["refresh_token"])).status_code == 400  # a thief: the chain ends
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")  # refused, so authorized again at once
        assert steps.watch.grants == ["authorization_code", "refresh_token", "refresh_token", "authorization_code"]
        await browser.until(lambda: len(issued) == 3)
        await steps.page.get_by_role("status").filter(has_text="Signed in as Rosa").wait_for()
        assert (await browser.run(steps.page, "{ me { alias } }"))["data"]["me"] == {"alias": "Rosa"}
        assert steps.watch.graphql_authorization[-1] == f"Bearer {issued[2]['access_token']}"
        async with live_sessions() as session:  # the browser's sign-in session ends (e.g. by an admin)
            await end_member_sessions(session, member.id)
            await session.commit()
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")
        await browser.until(lambda: len(issued) == 4)
        assert (await browser.replay(served, issued[2]["refresh_token"])).status_code == 400  # the new chain ends too
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")  # refused, and nobody to authorize
        await steps.page.get_by_role("status").filter(has_text="Your session ended").wait_for()
        await steps.page.get_by_role("button", name="Sign in").wait_for()
        await browser.open_docs_on_query(steps.page)
        await browser.docs_show(steps.page, present="congregations", absent="me")
        await steps.shot("session-ended")
    assert len(steps.watch.refused) == 2  # the two refused refreshes, and nothing else


async def test_graphiql_refuses_an_answer_it_did_not_ask_for(chromium: Any, served: str, artifacts: Path) -> None:
    """A forged return to GraphiQL (someone else's code, a guessed state: login CSRF) is refused unspent."""
    async with browser.chromium(chromium, served, artifacts) as steps:
        page = steps.page
        await page.goto(f"{served}/graphql")
        await page.get_by_role("button", name="Sign in").click()  # nobody is signed in: off to /signin
        await page.wait_for_url(lambda url: urlsplit(url).path == "/signin")
        pending = await page.evaluate("Object.keys(sessionStorage)")
        assert pending == ["sanctuary.graphiql.pkce"]  # the verifier and state, for this round trip only
        await page.goto(f"{served}/graphql?code=someone-elses&state=guessed")
        await page.get_by_role("status").filter(has_text="did not match").wait_for()
        await steps.shot("forged-answer-refused")
        assert steps.watch.grants == []  # the code was never presented
        assert urlsplit(page.url).query == ""
        assert await page.evaluate("Object.keys(sessionStorage)") == []
    assert steps.watch.refused == []


async def _revoked_and_ended(
    served: str, watch: browser.Watch, live_sessions: async_sessionmaker[AsyncSession], member: Any
) -> None:
    """Sign-out revoked the tokens it held and ended the browser's sign-in session."""
    async with httpx.AsyncClient(base_url=served) as client:
        me = await client.post(
            "/graphql",
            json={"query": "{ me { alias } }"},
            headers={"Authorization": f"Bearer {watch.issued[1]['access_token']}"},
        )
    assert me.status_code == 401  # the access token held at sign-out was revoked
    spent = await browser.replay(served, watch.issued[1]["refresh_token"])
    assert spent.status_code == 400
    assert spent.json()["error"] == "invalid_grant"
    async with live_sessions() as session:
        rows = list(await session.scalars(select(SigninSession).where(SigninSession.member_id == member.id)))
    assert sorted(row.revoked_at is None for row in rows) == [False, True]  # the first ended by Sign out
