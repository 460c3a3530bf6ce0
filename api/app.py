"""The ASGI application: GraphQL endpoint, health probes and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api import scheduler
from api.auth import oauth
from api.auth.oidc import ExternalIssuers, parse_issuers
from api.auth.signing import SigningKeys
from api.crypto import Sealer, sealer_from_settings
from api.db import engine_from_settings, session_factory
from api.events.hub import EventHub
from api.oauth import routes as oauth_routes
from api.oauth import server as oauth_server
from api.oauth.server import PeopleServer
from api.ratelimit.gate import RateGate
from api.ratelimit.store import buckets_from_settings
from api.settings import Settings, get_settings
from api.signin import pages as signin_pages
from api.unavailable import UnavailableMiddleware


def tune_garbage_collection() -> None:
    """Fewer, cheaper collections for a long-running server: everything alive at start-up (modules, the
    schema, compiled statements) moves out of the collector's view, and young objects are collected
    every 50,000 allocations instead of 700 (a GraphQL response allocates tens of thousands)."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def create_app(
    settings: Settings | None = None, *, engine: AsyncEngine | None = None, sealer: Sealer | None = None
) -> Starlette:
    """Build the application. ``engine`` and ``sealer`` may be injected (tests); otherwise built from settings."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        own_engine = engine is None
        if engine is None:
            if not settings.database_url:
                raise RuntimeError("DATABASE_URL is not set")
            app.state.engine = engine_from_settings(settings, settings.database_url, maintenance=False)
        else:
            app.state.engine = engine
        configure_state(
            app,
            engine=app.state.engine,
            sessionmaker=session_factory(app.state.engine),
            sealer=sealer or sealer_from_settings(settings.master_key, settings.resolved_key_file),
            settings=settings,
            own_rate_limit_pool=own_engine,
        )
        periodic = scheduler.start(app.state.sessionmaker, settings)  # retention and housekeeping
        # always listening (one connection per instance): a subscriber gets events from the first one on
        app.state.events = EventHub(app.state.engine.url)
        await app.state.events.start()
        tune_garbage_collection()
        try:
            yield
        finally:
            await app.state.events.stop()
            await scheduler.stop(periodic)
            await app.state.rate_gate.buckets.close()
            if own_engine:
                await app.state.engine.dispose()

    from api.schema.engine import graphiql
    from api.schema.engine.view import graphql_app

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/graphql", graphql_app(settings), methods=["GET", "POST"]),
            *(
                [Route(f"{graphiql.PREFIX}/{{digest}}/{{name}}", graphiql.asset_endpoint, methods=["GET"])]
                if settings.graphiql
                else []
            ),
            Route("/oauth/token", token_endpoint, methods=["POST"]),
            Route("/oauth/revoke", oauth_server.revocation_endpoint, methods=["POST"]),
            Route("/oauth/introspect", oauth.introspection_endpoint, methods=["POST"]),
            Route("/.well-known/jwks.json", oauth.jwks_endpoint, methods=["GET"]),
            *signin_pages.routes(),
            *oauth_routes.routes(),
        ],
        middleware=[Middleware(UnavailableMiddleware, retry_after_s=settings.unavailable_retry_after_s)],
        lifespan=lifespan,
    )


def configure_state(
    app: Starlette,
    *,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    settings: Settings,
    own_rate_limit_pool: bool = False,
) -> None:
    """Attach the shared resources every request uses (called by the lifespan, or by tests)."""
    app.state.rate_gate = RateGate(settings.rate_limits, buckets_from_settings(settings, engine, own_rate_limit_pool))
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.sealer = sealer
    app.state.settings = settings
    app.state.signing_keys = SigningKeys(sealer)
    app.state.oauth_server = PeopleServer(settings)
    app.state.external_issuers = ExternalIssuers(parse_issuers(settings.oidc_issuers))


async def token_endpoint(request: Request) -> Response:
    """/oauth/token behind its own, stricter rate limits."""
    gate: RateGate = request.app.state.rate_gate
    return await gate.token_endpoint(request, oauth.token_endpoint)


async def healthz(request: Request) -> Response:
    """The process is alive."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """The database answers within the readiness timeout."""
    timeout = request.app.state.settings.readiness_timeout_s
    try:
        async with asyncio.timeout(timeout), request.app.state.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ready"})
