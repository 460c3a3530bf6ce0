"""Partner frontends on other origins: /graphql answers CORS for the allowed origins only, never with
credentials, and nothing else of the API changes."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer
from api.settings import Settings

PARTNER = "https://frontend.partner.example"


async def _client(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer
) -> httpx.AsyncClient:
    allowed = settings.model_copy(update={"allowed_origins": f"{PARTNER}, https://other.partner.example"})
    app = create_app(allowed, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=allowed)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_an_allowed_origin_may_call_graphql_with_a_bearer_token_and_read_the_rate_limit_headers(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    async with await _client(settings, engine, sessionmaker, sealer) as client:
        preflight = await client.options("/graphql", headers=_preflight(PARTNER))
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == PARTNER
        assert {"authorization", "content-type"} <= {
            h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")
        }
        assert "access-control-allow-credentials" not in preflight.headers  # bearer tokens only, never cookies
        answer = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": PARTNER})
        assert answer.status_code == 200
        assert answer.headers["access-control-allow-origin"] == PARTNER
        exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
        assert {"ratelimit", "ratelimit-policy", "retry-after", "x-request-id"} <= exposed


async def test_another_origin_gets_no_cors_and_other_paths_are_untouched(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    async with await _client(settings, engine, sessionmaker, sealer) as client:
        preflight = await client.options("/graphql", headers=_preflight("https://evil.example"))
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        answer = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in answer.headers  # the browser will not hand the answer over
        page = await client.get("/signin", headers={"Origin": PARTNER})
        assert "access-control-allow-origin" not in page.headers
        assert (await client.options("/signin", headers=_preflight(PARTNER))).status_code == 405


async def test_by_default_only_the_apis_own_origin_is_allowed(client: httpx.AsyncClient, settings: Settings) -> None:
    own = settings.public_url.rstrip("/")
    assert (await client.options("/graphql", headers=_preflight(own))).headers["access-control-allow-origin"] == own
    assert (await client.options("/graphql", headers=_preflight(PARTNER))).status_code == 400
