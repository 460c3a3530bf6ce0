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

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable
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
from tests.graphql import gid
from tests.signin.test_browser import AUTHENTICATOR, CHROMIUM, FLAGS, browser_required, served

__all__ = ["browser_required", "served"]  # fixtures, used by name
INVITE = "mutation($input: MemberInviteInput!) { memberInvite(input: $input) { link userErrors { code } } }"
TIMEOUT_MS = 20_000


@pytest.fixture
def artifacts(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """Where a test's screenshots go: $SANCTUARY_TEST_ARTIFACTS/graphiql-signin/<test>, or the same under the
    pytest basetemp."""
    chosen = os.environ.get("SANCTUARY_TEST_ARTIFACTS")
    base = Path(chosen) if chosen else tmp_path_factory.getbasetemp()
    folder = base / "graphiql-signin" / str(request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
    return member, payload["link"]


class Watch:
    """What the page did: requests to other origins, script errors, the tokens it was issued, GraphQL calls."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.foreign: list[str] = []
        self.problems: list[str] = []
        self.refused: list[str] = []
        self.issued: list[dict[str, Any]] = []
        self.grants: list[str] = []
        self.graphql_authorization: list[str] = []

    async def attach(self, page: Any) -> None:
        async def only_this_origin(route: Any) -> None:
            if urlsplit(route.request.url).netloc == urlsplit(self.origin).netloc or route.request.url.startswith(
                ("data:", "blob:")
            ):
                await route.continue_()
            else:
                self.foreign.append(route.request.url)
                await route.abort()

        await page.context.route("**/*", only_this_origin)
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if message.type == "error":  # chromium reports a refused request (4xx) as an error too: kept apart
            refused = message.text.startswith("Failed to load resource")
            (self.refused if refused else self.problems).append(message.text)

    def _request(self, request: Any) -> None:
        path = urlsplit(request.url).path
        if request.method == "POST" and path == "/graphql":
            self.graphql_authorization.append(request.headers.get("authorization", ""))
        if request.method == "POST" and path == "/oauth/token":
            self.grants.append(dict(pair.split("=", 1) for pair in (request.post_data or "").split("&"))["grant_type"])

    async def _response(self, response: Any) -> None:
        if response.request.method == "POST" and urlsplit(response.url).path == "/oauth/token" and response.ok:
            self.issued.append(await response.json())

    def secrets(self) -> list[str]:
        """Every access and refresh token the page was issued."""
        return [answer[name] for answer in self.issued for name in ("access_token", "refresh_token")]


async def _docs_show(page: Any, *, present: str, absent: str) -> None:
    """Wait until the docs explorer (open on Query) lists the root field ``present`` and not ``absent``."""
    await page.wait_for_function(
        "([present, absent]) => { const names = [...document.querySelectorAll('.graphiql-doc-explorer-field-name')]"
        ".map(e => e.textContent.trim()); return names.includes(present) && !names.includes(absent); }",
        arg=[present, absent],
        timeout=TIMEOUT_MS,
    )


async def _until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (the page's responses are read by callbacks, a moment later)."""
    for _ in range(400):  # up to 20 s
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the browser did not do it in time")


async def _stored(page: Any) -> str:
    """Everything the page could have persisted: localStorage, sessionStorage and readable cookies."""
    return str(
        await page.evaluate(
            "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
        )
    )


async def _run(page: Any, query: str) -> dict[str, Any]:
    """Type ``query`` into GraphiQL's editor, run it by clicking; the answer GraphiQL received and shows."""
    await page.locator(".graphiql-query-editor .CodeMirror").first.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(query)
    sent = json.dumps(query)  # the document as the fetcher sends it (JSON), not GraphiQL's own requests

    def is_run(response: Any) -> bool:
        request = response.request
        return (
            urlsplit(response.url).path == "/graphql" and request.method == "POST" and sent in (request.post_data or "")
        )

    async with page.expect_response(is_run) as answered:
        await page.locator(".graphiql-execute-button").click()
    answer: dict[str, Any] = await (await answered.value).json()
    await page.locator(".graphiql-response").filter(has_text='"data"').wait_for()
    return answer


async def _open_docs_on_query(page: Any) -> None:
    """Open the docs explorer on the Query type."""
    await page.get_by_role("button", name="Show Documentation Explorer").click()
    await page.locator(".graphiql-doc-explorer-type-name", has_text="Query").first.click()


class Steps:
    """The journey, one method a step, a screenshot at each."""

    def __init__(self, page: Any, served: str, watch: Watch, shots: Path) -> None:
        self.page, self.served, self.watch, self.shots = page, served, watch, shots

    async def shot(self, name: str) -> None:
        await self.page.screenshot(path=self.shots / f"{name}.png")

    async def register_passkey(self, link: str) -> None:
        """The invitation: register a passkey (this also signs the browser in)."""
        await self.page.goto(link)
        await self.shot("1-invitation")
        await self.page.get_by_label("Name for this passkey").fill("virtual key")
        await self.page.get_by_role("button", name="Create passkey").click()
        await self.page.wait_for_url("**/signin/account")
        await self.shot("2-passkey-registered")

    async def graphiql_is_public(self) -> None:
        """GraphiQL, not signed in: the docs show the public schema (no `me`)."""
        await self.page.goto(f"{self.served}/graphql")
        await self.page.locator(".graphiql-container").wait_for()
        await self.page.get_by_role("status").filter(has_text="Not signed in").wait_for()
        await _open_docs_on_query(self.page)
        await _docs_show(self.page, present="congregations", absent="me")
        await self.shot("3-graphiql-public-schema")

    async def sign_in_at_once(self) -> None:
        """Sign in: answered at once (the browser's sign-in session lives); the docs grow `me`."""
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.get_by_role("status").filter(has_text="Signed in as Rosa").wait_for()
        await self.page.get_by_role("button", name="Sign out").wait_for()
        assert await self.page.evaluate("document.activeElement.id") == "signout-button"  # focus not lost
        await _docs_show(self.page, present="me", absent="no such field")
        await self.shot("4-graphiql-signed-in")
        assert self.watch.grants == ["authorization_code"]
        await _until(lambda: len(self.watch.issued) == 1)
        assert self.watch.graphql_authorization[-1] == f"Bearer {self.watch.issued[0]['access_token']}"

    async def query_own_data_and_refresh(self) -> None:
        """A query returns the member's own data; a refresh (forced, not awaited) rotates the refresh token."""
        answer = await _run(self.page, "{ me { alias roles } }")
        assert answer["data"]["me"] == {"alias": "Rosa", "roles": ["HOSPITALITY_VOLUNTEER"]}
        await self.shot("5-graphiql-me")
        await self.page.evaluate("window.sanctuarySignIn.refreshNow()")
        assert self.watch.grants == ["authorization_code", "refresh_token"]
        await _until(lambda: len(self.watch.issued) == 2)
        assert self.watch.issued[1]["refresh_token"] != self.watch.issued[0]["refresh_token"]
        assert (await _run(self.page, "{ me { alias } }"))["data"]["me"] == {"alias": "Rosa"}
        assert self.watch.graphql_authorization[-1] == f"Bearer {self.watch.issued[1]['access_token']}"
        await self.nothing_persisted()

    async def sign_out(self) -> None:
        """Sign out: GraphiQL starts afresh, anonymously; the docs shrink back to the public schema."""
        await self.page.get_by_role("button", name="Sign out").click()
        await self.page.get_by_role("status").filter(has_text="Not signed in").wait_for()
        await self.page.get_by_role("button", name="Sign in").wait_for()
        await _open_docs_on_query(self.page)
        await _docs_show(self.page, present="congregations", absent="me")
        assert self.watch.graphql_authorization[-1] == ""  # GraphiQL read the schema again, anonymously
        assert "Rosa" not in await self.page.locator(".graphiql-response").inner_text()  # her answer is gone
        await self.shot("6-graphiql-signed-out")

    async def sign_in_through_the_signin_page(self) -> None:
        """The browser is signed out too: Sign in goes through the passkey sign-in page and back."""
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.wait_for_url(lambda url: urlsplit(url).path == "/signin")
        await self.shot("7-signin-page")
        await self.page.get_by_role("button", name="Sign in with a passkey").click()
        await self.page.get_by_role("status").filter(has_text="Signed in as Rosa").wait_for()
        assert urlsplit(self.page.url).path == "/graphql"
        assert urlsplit(self.page.url).query == ""
        await _open_docs_on_query(self.page)
        await _docs_show(self.page, present="me", absent="no such field")
        await self.shot("8-graphiql-signed-in-again")
        await self.nothing_persisted()
        assert "sanctuary.graphiql.pkce" not in await _stored(self.page)  # the verifier's round trip is over

    async def nothing_persisted(self) -> None:
        """No token the page was issued is in localStorage, sessionStorage or a script-readable cookie."""
        stored = await _stored(self.page)
        assert [secret for secret in self.watch.secrets() if secret in stored] == [], "a token was persisted"


@contextlib.asynccontextmanager
async def _chromium(served: str, shots: Path) -> AsyncIterator[Steps]:
    """Chromium with a virtual authenticator, its page watched; yields the steps to drive it."""
    from playwright.async_api import async_playwright

    watch = Watch(served)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            context = await browser.new_context(locale="en-US", service_workers="block")
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            await watch.attach(page)
            cdp = await context.new_cdp_session(page)
            await cdp.send("WebAuthn.enable")
            await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
            yield Steps(page, served, watch, shots)
        finally:
            await browser.close()
            print(f"GraphiQL sign-in screenshots: {shots}")
    assert watch.foreign == []  # nothing was asked of any other origin
    assert watch.problems == []  # no Content-Security-Policy violation, no script error


async def test_graphiql_signs_a_member_in_and_out_in_chromium(
    served: str, invitation: tuple[Any, str], live_sessions: async_sessionmaker[AsyncSession], artifacts: Path
) -> None:
    member, link = invitation
    async with _chromium(served, artifacts) as steps:
        await steps.register_passkey(link)
        await steps.graphiql_is_public()
        await steps.sign_in_at_once()
        await steps.query_own_data_and_refresh()
        await steps.sign_out()
        await steps.sign_in_through_the_signin_page()
    assert steps.watch.refused == []
    await _revoked_and_ended(served, steps.watch, live_sessions, member)


async def test_graphiql_recovers_a_failed_refresh_while_the_browser_is_signed_in_and_shows_when_it_is_not(
    served: str, invitation: tuple[Any, str], live_sessions: async_sessionmaker[AsyncSession], artifacts: Path
) -> None:
    member, link = invitation
    async with _chromium(served, artifacts) as steps:
        await steps.register_passkey(link)
        await steps.graphiql_is_public()
        await steps.sign_in_at_once()
        issued = steps.watch.issued
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")
        await _until(lambda: len(issued) == 2)
        assert (await _replay(served, issued[0]["refresh_token"])).status_code == 400  # a thief: the chain ends
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")  # refused, so authorized again at once
        assert steps.watch.grants == ["authorization_code", "refresh_token", "refresh_token", "authorization_code"]
        await _until(lambda: len(issued) == 3)
        await steps.page.get_by_role("status").filter(has_text="Signed in as Rosa").wait_for()
        assert (await _run(steps.page, "{ me { alias } }"))["data"]["me"] == {"alias": "Rosa"}
        assert steps.watch.graphql_authorization[-1] == f"Bearer {issued[2]['access_token']}"
        async with live_sessions() as session:  # the browser's sign-in session ends (e.g. by an admin)
            await end_member_sessions(session, member.id)
            await session.commit()
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")
        await _until(lambda: len(issued) == 4)
        assert (await _replay(served, issued[2]["refresh_token"])).status_code == 400  # the new chain ends too
        await steps.page.evaluate("window.sanctuarySignIn.refreshNow()")  # refused, and nobody to authorize
        await steps.page.get_by_role("status").filter(has_text="Your session ended").wait_for()
        await steps.page.get_by_role("button", name="Sign in").wait_for()
        await _open_docs_on_query(steps.page)
        await _docs_show(steps.page, present="congregations", absent="me")
        await steps.shot("session-ended")
    assert len(steps.watch.refused) == 2  # the two refused refreshes, and nothing else


async def test_graphiql_refuses_an_answer_it_did_not_ask_for(served: str, artifacts: Path) -> None:
    """A forged return to GraphiQL (someone else's code, a guessed state: login CSRF) is refused unspent."""
    async with _chromium(served, artifacts) as steps:
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


async def _replay(served: str, refresh_token: str) -> httpx.Response:
    """Present a refresh token at the token endpoint, as GraphiQL does (as a thief holding a copy would)."""
    async with httpx.AsyncClient(base_url=served) as client:
        return await client.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": "graphiql"},
        )


async def _revoked_and_ended(
    served: str, watch: Watch, live_sessions: async_sessionmaker[AsyncSession], member: Any
) -> None:
    """Sign-out revoked the tokens it held and ended the browser's sign-in session."""
    async with httpx.AsyncClient(base_url=served) as client:
        me = await client.post(
            "/graphql",
            json={"query": "{ me { alias } }"},
            headers={"Authorization": f"Bearer {watch.issued[1]['access_token']}"},
        )
    assert me.status_code == 401  # the access token held at sign-out was revoked
    spent = await _replay(served, watch.issued[1]["refresh_token"])
    assert spent.status_code == 400
    assert spent.json()["error"] == "invalid_grant"
    async with live_sessions() as session:
        rows = list(await session.scalars(select(SigninSession).where(SigninSession.member_id == member.id)))
    assert sorted(row.revoked_at is None for row in rows) == [False, True]  # the first ended by Sign out
