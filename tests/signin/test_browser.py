"""A real browser signs in: Debian's chromium driven by Playwright, with a Chrome DevTools virtual authenticator.

Invitation → passkey registration → sign-out → sign-in with the passkey, against the API served by uvicorn on
``localhost`` (WebAuthn refuses IP addresses). Screenshots of each step go to the test's tmp directory. Without
/usr/bin/chromium (or Playwright) the test skips, unless SANCTUARY_REQUIRE_BROWSER=1 (CI), where it fails.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from api.models import Member, Passkey, SigninSession
from api.models.enums import Role
from api.services.network.invitations import invitation_link
from api.settings import Settings
from api.signin.invitations import create_invitation
from tests import factories

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AUTHENTICATOR = {
    "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
    "isUserVerified": True, "automaticPresenceSimulation": True,
}  # fmt: skip


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) to run the browser tests"
        )
    if find_spec("playwright") is None:
        return "Playwright for Python is missing: pip install playwright (never `playwright install`)"
    return None


@pytest.fixture(scope="module")
def browser_required() -> None:
    """Skip with the reason, or fail when SANCTUARY_REQUIRE_BROWSER=1 (CI must run these tests)."""
    reason = _missing()
    if reason and os.environ.get("SANCTUARY_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser test required but cannot run: {reason}")
    if reason:
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(live_engine: AsyncEngine, settings: Settings, browser_required: None) -> Iterator[str]:
    """The API served by uvicorn (its own thread and engine) on the live database; yields its public URL. One
    server for a module's tests: each signs in its own new member in a browser context of its own."""
    port = _free_port()
    public_url = f"http://localhost:{port}"
    database_url = live_engine.url.render_as_string(hide_password=False)
    served_settings = settings.model_copy(
        update={"database_url": database_url, "public_url": public_url, "purge_interval_minutes": 0}
    )
    server = uvicorn.Server(
        # log_config=None: uvicorn leaves the process's logging alone (no handlers, levels or propagation of
        # its own that later tests of the logs, e.g. tests/proofs/test_clean_logs.py, would inherit)
        uvicorn.Config(create_app(served_settings), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the API did not start"
    yield public_url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
async def invited(live_sessions: async_sessionmaker[AsyncSession]) -> tuple[Member, str]:
    """A committed member and the token of an invitation for them."""
    async with live_sessions() as session:
        org = await factories.organization(session)
        member = await factories.member(session, org, Role.HOSPITALITY_VOLUNTEER, alias="Rosa")
        _row, token = await create_invitation(
            session, member, valid=timedelta(hours=1), revoke_passkeys=False, invited_by=None
        )
        await session.commit()
    return member, token


async def test_invitation_registration_sign_out_and_sign_in_in_chromium(
    served: str, invited: tuple[Member, str], live_sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    from playwright.async_api import async_playwright

    member, token = invited
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            page = await (await browser.new_context(locale="en-US")).new_page()
            page.set_default_timeout(20_000)
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("WebAuthn.enable")
            authenticator = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
            await _ceremonies(page, cdp, authenticator["authenticatorId"], invitation_link(served, token), tmp_path)
        finally:
            await browser.close()
    async with live_sessions() as session:
        count = await session.scalar(select(Passkey.sign_count).where(Passkey.member_id == member.id))
        sessions = list(await session.scalars(select(SigninSession).where(SigninSession.member_id == member.id)))
    assert (count or 0) > 0  # grew on sign-in (possibly by more than one)
    assert sorted(row.revoked_at is None for row in sessions) == [False, True]  # signed out, then in again


async def _ceremonies(page: Any, cdp: Any, authenticator_id: str, link: str, shots: Path) -> None:
    """Register a passkey on the invitation page, sign out, sign in with it; a screenshot at each step."""
    await page.goto(link)
    await page.screenshot(path=shots / "1-invitation.png")
    await page.get_by_label("Name for this passkey").fill("virtual key")
    await page.get_by_role("button", name="Create passkey").click()
    await page.wait_for_url("**/signin/account")
    await page.screenshot(path=shots / "2-enrolled.png")
    assert await page.get_by_text("Rosa").is_visible()
    held = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(held["credentials"]) == 1
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/signin?out=1")
    await page.screenshot(path=shots / "3-signed-out.png")
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await page.wait_for_url("**/signin/account")
    await page.screenshot(path=shots / "4-signed-in.png")
    assert await page.get_by_role("textbox", name="Rename").input_value() == "virtual key"
