"""A served app on the live (committing) database, with short re-check and init periods."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.settings import Settings
from tests.live.harness import Served, serving


@pytest.fixture(scope="session")
def live_settings(settings: Settings, live_engine: AsyncEngine) -> Settings:
    url = live_engine.url.render_as_string(hide_password=False)
    return settings.model_copy(
        update={"database_url": url, "live_recheck_s": 0.5, "live_init_timeout_s": 2.0, "live_ping_s": 5.0}
    )


@pytest.fixture(scope="module")
def served(live_settings: Settings) -> Iterator[Served]:
    with serving(live_settings) as running:
        yield running
