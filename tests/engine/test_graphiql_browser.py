"""GraphiQL in a real browser (Debian's chromium, driven by Playwright) with every request off this machine
blocked: it loads from the API alone, runs a query typed into it, keeps a pasted token out of localStorage,
and the sign-in hook hands GraphiQL a token in memory. A screenshot is written under pytest's tmp dir.

Skips when /usr/bin/chromium is missing, unless SANCTUARY_REQUIRE_BROWSER=1 (set by .ci/run).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Page, Request, Route, async_playwright, expect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.models.enums import Role
from api.settings import Settings
from tests import factories

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> None:
    """Skip with the reason when Debian's chromium is missing; fail instead where CI requires the browser."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (apt-get install -y chromium): the browser tests need Debian's chromium"
    if os.environ.get("SANCTUARY_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@contextlib.asynccontextmanager
async def serving(app: object) -> AsyncIterator[str]:
    """The app in uvicorn on a loopback port; yields its base URL on ``localhost``."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None))  # type: ignore[arg-type]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(200):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started
    try:
        yield f"http://localhost:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def _eventually(condition: Callable[[], bool], timeout_s: float = 20) -> None:
    """Wait until ``condition()`` holds."""
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the browser did not do it in time")


async def _type_into(page: Page, editor: str, text: str) -> None:
    """Replace an editor's text (CodeMirror) with ``text``, as a person would: click, select all, type."""
    await page.locator(f"{editor} .CodeMirror").first.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def test_graphiql_runs_offline_and_keeps_no_token(
    live_engine: AsyncEngine,
    live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer,
    settings: Settings,
    tmp_path: Path,
) -> None:
    require_chromium()
    async with live_sessions() as session:
        org = await factories.organization(session)
        token = await factories.token_for(session, await factories.member(session, org, Role.ORGANIZER))
        await session.commit()
    app = create_app(settings, engine=live_engine, sealer=live_sealer)
    configure_state(app, engine=live_engine, sessionmaker=live_sessions, sealer=live_sealer, settings=settings)
    blocked: list[str] = []
    problems: list[str] = []
    sent_authorization: list[str] = []

    async def only_localhost(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "localhost":
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    def on_request(request: Request) -> None:
        if request.method == "POST" and urlsplit(request.url).path == "/graphql":
            sent_authorization.append(request.headers.get("authorization", ""))

    async with serving(app) as base, async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            context = await browser.new_context(service_workers="block")
            page = await context.new_page()
            await page.route("**/*", only_localhost)
            page.on("request", on_request)
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            await page.goto(f"{base}/graphql")
            await expect(page.locator(".graphiql-container")).to_be_visible(timeout=20_000)

            # the sign-in hook: a token handed over in memory is sent, and the schema is read again with it
            await page.evaluate("token => window.sanctuarySignIn.setAccessToken(token)", token)
            await _eventually(lambda: f"Bearer {token}" in sent_authorization)
            await page.evaluate("window.sanctuarySignIn.setAccessToken(null)")
            await _eventually(lambda: sent_authorization[-1] == "")  # signed out: read again, anonymously
            sent_authorization.clear()

            # a pasted token in the headers pane, a query typed and run by clicking
            await page.locator(".graphiql-editor-tools button", has_text="Headers").click()
            await _type_into(
                page, ".graphiql-editor-tool .graphiql-editor:not(.hidden)", '{"Authorization": "Bearer ' + token + '"}'
            )
            await _type_into(page, ".graphiql-query-editor", "{ __typename }")
            await page.locator(".graphiql-execute-button").click()
            await expect(page.locator(".graphiql-response")).to_contain_text('"__typename": "Query"', timeout=20_000)
            assert f"Bearer {token}" in sent_authorization
            await page.screenshot(path=tmp_path / "graphiql.png", full_page=True)

            stored = await page.evaluate("JSON.stringify(localStorage)")
            session_stored = await page.evaluate("JSON.stringify(sessionStorage)")
        finally:
            await browser.close()
    assert blocked == []  # nothing asked for anything beyond this machine
    assert problems == []  # no Content-Security-Policy violation, no script error
    assert token not in stored, "the pasted token was written to localStorage"
    assert token not in session_stored, "the pasted token was written to sessionStorage"
    assert list(json.loads(stored)) == []  # nothing persisted at all: no headers, no tabs (keys only, not values)
    assert (tmp_path / "graphiql.png").stat().st_size > 0
