"""Fixtures of the webhook tests: a receiver on loopback, settings that allow it, an app on committed data."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.models import WebhookEndpoint
from api.settings import Settings
from tests.webhooks.receiver import Receiver, serve


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver answering 200 (tests script other answers)."""
    yield from serve(Receiver())


@pytest.fixture(scope="session")
def hook_settings(settings: Settings) -> Settings:
    """The test settings, allowing http:// and loopback receivers (as the demo and the tests may)."""
    return settings.model_copy(
        update={"webhooks_allow_insecure": True, "webhooks_allow_private": True, "webhooks_timeout_s": 5.0}
    )


@pytest.fixture
async def hook_client(
    live_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    """A client of the app on the live (committed) database, with ``hook_settings``; the test's endpoints are
    deleted afterwards, so that no later test's events are fanned out to them."""
    app = create_app(hook_settings, engine=live_engine, sealer=live_sealer)
    configure_state(app, engine=live_engine, sessionmaker=live_sessions, sealer=live_sealer, settings=hook_settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    async with live_sessions() as session:
        await session.execute(delete(WebhookEndpoint))
        await session.commit()
