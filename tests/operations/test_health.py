"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import time

import httpx

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.db import create_engine, session_factory
from api.settings import Settings


async def test_healthz_answers_without_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def _readyz(settings: Settings, sealer: Sealer, url: str, readiness_s: float) -> tuple[httpx.Response, float]:
    """GET /readyz on an app whose engine points at ``url``; the response and how long it took."""
    configured = settings.model_copy(update={"database_url": url, "readiness_timeout_s": readiness_s})
    engine = create_engine(url, pool_size=1)
    app = create_app(configured, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=session_factory(engine), sealer=sealer, settings=configured)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            started = time.monotonic()
            response = await client.get("/readyz")
            return response, time.monotonic() - started
    finally:
        await engine.dispose()


async def test_readyz_is_unavailable_when_the_database_refuses(settings: Settings, sealer: Sealer) -> None:
    response, _ = await _readyz(settings, sealer, "postgresql://postgres@127.0.0.1:1/x", readiness_s=1.0)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


async def test_readyz_gives_up_after_the_timeout_when_the_database_hangs(settings: Settings, sealer: Sealer) -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept the connection, say nothing until the client gives up
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        response, elapsed = await _readyz(
            settings, sealer, f"postgresql://postgres@127.0.0.1:{port}/x", readiness_s=0.5
        )
    assert response.status_code == 503
    assert elapsed < 2.0
