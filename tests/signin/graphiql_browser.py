"""Driving GraphiQL's sign-in in chromium (tests/signin/test_graphiql_signin_browser.py): the watched page,
the journey's steps, and the helpers they share."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.canaries import canary
from tests.signin.test_browser import AUTHENTICATOR, CHROMIUM, FLAGS

TIMEOUT_MS = 30_000


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
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource: the server responded"):  # a refused request (4xx)
            self.refused.append(message.text)
        elif message.text.startswith("Failed to load resource: net::ERR_ABORTED"):  # cut short by a navigation
            return
        else:
            self.problems.append(message.text)

    def _request(self, request: Any) -> None:
        url = urlsplit(request.url)
        for name, value in parse_qsl(url.query):  # the code (and state) GraphiQL is sent back: never logged
            if name in ("code", "state"):
                canary(value)
        if request.method == "POST" and url.path == "/graphql":
            self.graphql_authorization.append(request.headers.get("authorization", ""))
        if request.method == "POST" and url.path == "/oauth/token":
            self.grants.append(dict(parse_qsl(request.post_data or ""))["grant_type"])

    async def _response(self, response: Any) -> None:
        if response.request.method == "POST" and urlsplit(response.url).path == "/oauth/token" and response.ok:
            answer = await response.json()
            canary(answer["access_token"])  # tests/conftest.py: no log line of the session may hold them
            canary(answer["refresh_token"])
            self.issued.append(answer)

    def secrets(self) -> list[str]:
        """Every access and refresh token the page was issued."""
        return [answer[name] for answer in self.issued for name in ("access_token", "refresh_token")]


async def docs_show(page: Any, *, present: str, absent: str) -> None:
    """Wait until the docs explorer (open on Query) lists the root field ``present`` and not ``absent``."""
    await page.wait_for_function(
        "([present, absent]) => { const names = [...document.querySelectorAll('.graphiql-doc-explorer-field-name')]"
        ".map(e => e.textContent.trim()); return names.includes(present) && !names.includes(absent); }",
        arg=[present, absent],
        timeout=TIMEOUT_MS,
    )


async def until(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (the page's responses are read by callbacks, a moment later)."""
    for _ in range(400):  # up to 20 s
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the browser did not do it in time")


async def stored_by(page: Any) -> str:
    """Everything the page could have persisted: localStorage, sessionStorage and readable cookies."""
    return str(
        await page.evaluate(
            "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
        )
    )


async def run(page: Any, query: str) -> dict[str, Any]:
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


async def open_docs_on_query(page: Any) -> None:
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
        await open_docs_on_query(self.page)
        await docs_show(self.page, present="congregations", absent="me")
        await self.shot("3-graphiql-public-schema")

    async def sign_in_at_once(self) -> None:
        """Sign in: answered at once (the browser's sign-in session lives); the docs grow `me`."""
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.get_by_role("status").filter(has_text="Signed in as Rosa").wait_for()
        await self.page.get_by_role("button", name="Sign out").wait_for()
        assert await self.page.evaluate("document.activeElement.id") == "signout-button"  # focus not lost
        await docs_show(self.page, present="me", absent="no such field")
        await self.shot("4-graphiql-signed-in")
        assert self.watch.grants == ["authorization_code"]
        await until(lambda: len(self.watch.issued) == 1)
        assert self.watch.graphql_authorization[-1] == f"Bearer {self.watch.issued[0]['access_token']}"

    async def query_own_data_and_refresh(self) -> None:
        """A query returns the member's own data; a refresh (forced, not awaited) rotates the refresh token."""
        answer = await run(self.page, "{ me { alias roles } }")
        assert answer["data"]["me"] == {"alias": "Rosa", "roles": ["HOSPITALITY_VOLUNTEER"]}
        await self.shot("5-graphiql-me")
        await self.page.evaluate("window.sanctuarySignIn.refreshNow()")
        assert self.watch.grants == ["authorization_code", "refresh_token"]
        await until(lambda: len(self.watch.issued) == 2)
        assert self.watch.issued[1]["refresh_token"] != self.watch.issued[0]["refresh_token"]
        assert (await run(self.page, "{ me { alias } }"))["data"]["me"] == {"alias": "Rosa"}
        assert self.watch.graphql_authorization[-1] == f"Bearer {self.watch.issued[1]['access_token']}"
        await self.nothing_persisted()

    async def sign_out(self) -> None:
        """Sign out: GraphiQL starts afresh, anonymously; the docs shrink back to the public schema."""
        await self.page.get_by_role("button", name="Sign out").click()
        await self.page.get_by_role("status").filter(has_text="Not signed in").wait_for()
        await self.page.get_by_role("button", name="Sign in").wait_for()
        await open_docs_on_query(self.page)
        await docs_show(self.page, present="congregations", absent="me")
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
        await open_docs_on_query(self.page)
        await docs_show(self.page, present="me", absent="no such field")
        await self.shot("8-graphiql-signed-in-again")
        await self.nothing_persisted()
        assert "sanctuary.graphiql.pkce" not in await stored_by(self.page)  # the verifier's round trip is over

    async def nothing_persisted(self) -> None:
        """No token the page was issued is in localStorage, sessionStorage or a script-readable cookie."""
        stored = await stored_by(self.page)
        assert [secret for secret in self.watch.secrets() if secret in stored] == [], "a token was persisted"


@contextlib.asynccontextmanager
async def launched() -> AsyncIterator[Any]:
    """Chromium, for the browser contexts of a module's tests."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def chromium(browser: Any, served: str, shots: Path) -> AsyncIterator[Steps]:
    """A new browser context (no cookie, storage or credential of another test's) with a virtual authenticator,
    its page watched; yields the steps to drive it."""
    watch = Watch(served)
    context = await browser.new_context(locale="en-US", service_workers="block")
    try:
        page = await context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        await watch.attach(page)
        cdp = await context.new_cdp_session(page)
        await cdp.send("WebAuthn.enable")
        await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
        try:
            yield Steps(page, served, watch, shots)
        except BaseException:
            await _keep_evidence(page, watch, shots)
            raise
    finally:
        await context.close()
        print(f"GraphiQL sign-in screenshots: {shots}")
    assert watch.foreign == []  # nothing was asked of any other origin
    assert watch.problems == []  # no Content-Security-Policy violation, no script error


async def _keep_evidence(page: Any, watch: Watch, shots: Path) -> None:
    """On a failure: the page as it was, and what the page did (no token values: only which requests)."""
    with contextlib.suppress(Exception):
        await page.screenshot(path=shots / "failure.png")
    seen = {"url": page.url, "foreign": watch.foreign, "problems": watch.problems, "refused": watch.refused,
            "grants": watch.grants, "issued": len(watch.issued)}  # fmt: skip
    (shots / "failure.json").write_text(json.dumps(seen, indent=2))


async def replay(served: str, refresh_token: str) -> httpx.Response:
    """Present a refresh token at the token endpoint, as GraphiQL does (as a thief holding a copy would)."""
    async with httpx.AsyncClient(base_url=served) as client:
        return await client.post(
            "/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": "graphiql"},
        )
