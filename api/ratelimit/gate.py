"""The rate-limit gate of the service: who pays, how much, the headers, and the 429s.

The view calls :meth:`RateGate.admit` around each /graphql request (the in-flight cap), then
:meth:`RateGate.charge` once the caller is known, and :meth:`RateGate.decorate` on the response. A member
pays from their bucket (also through a partner app acting for them), a partner app acting for its organization
from its client id's, anyone else (and any token that fails) from
their address's. /oauth/token goes through :meth:`RateGate.token_endpoint`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from graphql import FieldNode, OperationDefinitionNode, OperationType
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.auth.clients import GRAPHIQL_CLIENT_ID
from api.auth.forms import requested_client_id
from api.auth.viewer import Viewer
from api.ratelimit.buckets import Buckets, Spent, spend
from api.ratelimit.caller import client_address
from api.ratelimit.inflight import InFlight
from api.ratelimit.policy import RateLimits
from api.schema.engine.request_body import current

logger = logging.getLogger("api.ratelimit")
CODE = "RATE_LIMITED"
SPENT_MESSAGE = "Too many requests: this caller's rate limit is spent. Retry after the Retry-After seconds."
BUSY_MESSAGE = "Too many requests in flight from this caller. Retry after the Retry-After seconds."


def points(requested_cost: int) -> int:
    """What a request spends: 1, plus 1 per 100 objects its document may return (its cost, counted before it
    runs by api/schema/engine/cost.py), the way GitHub scores GraphQL calls."""
    return 1 + requested_cost // 100


class RateGate:
    """The service's limits over one bucket store and this instance's in-flight counts."""

    def __init__(self, limits: RateLimits, buckets: Buckets) -> None:
        self.limits, self.buckets = limits, buckets
        self.in_flight = InFlight(limits.in_flight, limits.in_flight_callers)

    @asynccontextmanager
    async def admit(self, request: Request) -> AsyncIterator[Response | None]:
        """Holds one of the caller's in-flight slots; yields the 429 instead when all are taken."""
        if not self.limits.enabled:
            yield None
            return
        async with self.in_flight.slot(self._flight_key(request)) as held:
            yield None if held else _graphql_refusal(BUSY_MESSAGE, 1, {})

    async def charge(self, request: Request, viewer: Viewer | None) -> Response | None:
        """Spend this request's points from the caller's bucket; the 429 when it cannot (None otherwise)."""
        if not self.limits.enabled:
            return None
        name, identity = self._identity(request, viewer)
        policy = getattr(self.limits, name)
        floor = 0.0 if _reserved(self.limits.reserved_operations) else self.limits.reserve * policy.points
        spent = await self._spend(name, identity, points(getattr(request.state, "requested_cost", 0)), floor)
        if spent is None:
            return None
        request.state.rate_limit = spent
        return None if spent.granted else _graphql_refusal(SPENT_MESSAGE, spent.retry_after_s, headers(spent))

    def decorate(self, request: Request, response: Response) -> None:
        """The RateLimit and RateLimit-Policy fields of the bucket this request spent from, if any."""
        spent: Spent | None = getattr(request.state, "rate_limit", None)
        if spent is not None:
            response.headers.update(headers(spent))

    async def token_endpoint(self, request: Request, endpoint: Callable[[Request], Awaitable[Response]]) -> Response:
        """/oauth/token behind its own buckets: the client address's, then the named client id's. The client's
        bucket is only looked at before the endpoint and spent after it issued a token, so a caller who merely
        names a client id (without its secret) cannot spend that app's bucket."""
        if not self.limits.enabled:
            return await endpoint(request)
        address = client_address(request, self.limits.trusted_proxies)
        spent = await self._spend("token_address", address, 1, 0)
        client_id = await requested_client_id(request) if spent is None or spent.granted else None
        if client_id == GRAPHIQL_CLIENT_ID:  # every person's GraphiQL: one bucket per address, not one for all
            client_id = f"{client_id}@{address}"
        if client_id:  # 0 points above a floor of 1: whether a point is left, taking none
            spent = await self._spend("token_client", client_id, 0, 1) or spent
        if spent is not None and not spent.granted:
            body = {"error": "rate_limited", "error_description": SPENT_MESSAGE}
            limit_headers = headers(spent) | {"Retry-After": str(spent.retry_after_s), "Cache-Control": "no-store"}
            return JSONResponse(body, status_code=429, headers=limit_headers)
        response = await endpoint(request)
        if client_id and response.status_code == 200:  # a token was issued: its client pays
            spent = await self._spend("token_client", client_id, 1, 0) or spent
        if spent is not None:
            response.headers.update(headers(spent))
        return response

    async def _spend(self, name: str, identity: str, points: float, floor: float) -> Spent | None:
        """Spend from the caller's bucket of policy ``name``; None (let the request through) when the store
        fails: an unreachable Redis or bucket table must not refuse a raid report."""
        try:
            return await spend(self.buckets, name, identity, points, getattr(self.limits, name), floor)
        except Exception as error:
            logger.warning("rate-limit store failed: %s; the request is let through", type(error).__name__)
            return None

    def _identity(self, request: Request, viewer: Viewer | None) -> tuple[str, str]:
        if viewer is not None and viewer.member_id is not None:  # a person, also through an app acting for them
            return "member", str(viewer.member_id)
        if viewer is not None and viewer.client_id:
            return "app", viewer.client_id
        return "anonymous", client_address(request, self.limits.trusted_proxies)

    def _flight_key(self, request: Request) -> str:
        credential = request.headers.get("authorization")
        if credential:
            return "credential:" + hashlib.sha256(credential.encode()).hexdigest()
        return "address:" + client_address(request, self.limits.trusted_proxies)


def headers(spent: Spent) -> dict[str, str]:
    """The draft-ietf-httpapi-ratelimit-headers fields: the policy (quota, window) and what is left."""
    remaining = max(0, int(spent.remaining - spent.floor))
    return {
        "RateLimit-Policy": f'"{spent.policy_name}";q={spent.policy.points};w={spent.policy.window_s}',
        "RateLimit": f'"{spent.policy_name}";r={remaining};t={spent.reset_s}',
    }


def _reserved(operations: frozenset[str]) -> bool:
    """True when every operation of the request's document is a mutation of reserved root fields only."""
    prepared = current()
    document = prepared.document if prepared else None
    if document is None:
        return False
    definitions = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(definitions) and all(_reserved_mutation(d, operations) for d in definitions)


def _reserved_mutation(operation: OperationDefinitionNode, reserved: frozenset[str]) -> bool:
    """A mutation whose root selections are reserved fields (and __typename), at least one of them."""
    names = [s.name.value if isinstance(s, FieldNode) else "" for s in operation.selection_set.selections]
    return (
        operation.operation is OperationType.MUTATION
        and all(name in reserved or name == "__typename" for name in names)
        and any(name in reserved for name in names)
    )


def _graphql_refusal(message: str, retry_after_s: int, limit_headers: dict[str, str]) -> Response:
    """The 429 of /graphql: a GraphQL error with code RATE_LIMITED, and Retry-After."""
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": CODE}}]}
    return JSONResponse(body, status_code=429, headers=limit_headers | {"Retry-After": str(retry_after_s)})
