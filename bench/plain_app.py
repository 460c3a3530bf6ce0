"""The baseline: the same page of accompaniment requests with asyncpg, one SQL query, no GraphQL.

It authenticates the bearer token by hash lookup (one query, the same conditions as
``api.auth.tokens.viewer_for_personal_token``), then runs one query for the page (the first
100 requests of the viewer's organization by (created_at, id), joined to their congregation)
and returns JSON shaped like the GraphQL response of ``bench/run.py``'s query.
Started by ``bench/run.py`` as ``uvicorn --factory plain_app:create``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.schema.engine.ids import encode_global_id

PAGE_SIZE = 100

AUTH_SQL = """
SELECT m.organization_id, m.roles
FROM personal_access_token t
JOIN member m ON m.id = t.member_id
JOIN organization o ON o.id = m.organization_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now() AND m.active
"""

PAGE_SQL = """
SELECT r.id, r.kind, r.status, c.public_name
FROM accompaniment_request r
LEFT JOIN congregation c ON c.id = r.congregation_id
WHERE r.organization_id = $1
ORDER BY r.created_at, r.id
LIMIT $2
"""

# The row rule of api.auth.access.accompaniment_requests for these roles: the own organization's rows.
OWN_ORG_ROLES = {"ORG_ADMIN", "LEGAL_ADVOCATE"}


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _unauthorized() -> Response:
    return _json({"errors": [{"message": "The access token is invalid, expired or revoked."}]}, 401)


def _node(row: asyncpg.Record) -> dict[str, Any]:
    name = row["public_name"]
    return {
        "id": encode_global_id("AccompanimentRequest", row["id"]),
        "kind": row["kind"],
        "status": row["status"],
        "congregation": None if name is None else {"publicName": name},
    }


async def page(request: Request) -> Response:
    """POST /graphql: authenticate, then one query for the page."""
    await request.body()
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized()
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        viewer = await connection.fetchrow(AUTH_SQL, hashlib.sha256(token.strip().encode()).digest())
        if viewer is None:
            return _unauthorized()
        if not OWN_ORG_ROLES.intersection(viewer["roles"]):
            return _json({"errors": [{"message": "The baseline only serves own-organization roles."}]}, 403)
        rows = await connection.fetch(PAGE_SQL, viewer["organization_id"], PAGE_SIZE)
    edges = [{"node": _node(row)} for row in rows]
    return _json({"data": {"accompanimentRequests": {"edges": edges}}})


async def readyz(request: Request) -> Response:
    """The pool answers."""
    await request.app.state.pool.fetchval("SELECT 1")
    return _json({"status": "ready"})


def create() -> Starlette:
    """The baseline application on ``BENCH_DATABASE_URL`` (a plain postgresql:// URL)."""
    dsn = os.environ["BENCH_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=10, max_size=20)
        try:
            yield
        finally:
            await app.state.pool.close()

    routes = [Route("/graphql", page, methods=["POST"]), Route("/readyz", readyz, methods=["GET"])]
    return Starlette(routes=routes, lifespan=lifespan)
