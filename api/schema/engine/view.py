"""The /graphql endpoint: authentication, one transaction per request, a schema per audience, audit."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from cross_web import HTTPException
from graphql import OperationDefinitionNode, OperationType, get_operation_ast
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api.auth.authenticate import AuthenticationError, authenticate
from api.auth.facts import load_facts
from api.db import DatabaseUnavailable, allow_maintenance_statements
from api.models.enums import AuditOutcome
from api.observability import access
from api.observability.access import Observed
from api.ratelimit.gate import payer
from api.schema.engine import trusted
from api.schema.engine.audience import Audience, schema_for
from api.schema.engine.context import Context
from api.schema.engine.cost import actual_cost, requested_cost
from api.schema.engine.graphiql import page_response
from api.schema.engine.limits import Limits
from api.schema.engine.mutation_support import MutationRecord
from api.schema.engine.request_body import BY_GET, RequestRefused, current, decoded, get_as_post, prepare, read_body
from api.schema.engine.safe_errors import Sent, safe_error
from api.schema.schema import schema as full_schema
from api.services.shared.audit import mutation_event, record_reads
from api.settings import Settings


class AudienceView(GraphQL[Context, None]):
    """strawberry's view over one audience's schema; formats results safely."""

    async def process_result(self, request: Request | WebSocket, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        extensions: dict[str, Any] = dict(result.extensions or {})
        if result.errors:
            kept = request.app.state.settings.graphql_limits.errors
            sent = Sent.of(current())
            data["errors"] = [safe_error(dict(e.formatted), e, sent) for e in result.errors[:kept]]
            if len(result.errors) > kept:
                extensions["omittedErrors"] = len(result.errors) - kept
        context: Context | None = getattr(request.state, "graphql_context", None)
        if context is not None and context.withheld:
            extensions["withheld"] = context.withheld
        requested = context.requested_cost if context is not None else 0
        extensions["cost"] = {"requested": requested, "actual": actual_cost(result.data)}
        observed: Observed | None = getattr(request.state, "observed", None)
        if observed is not None:
            observed.errors, observed.cost_actual = len(result.errors or ()), extensions["cost"]["actual"]
        if extensions:
            data["extensions"] = extensions
        return data

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL from the package's own assets (api/schema/engine/graphiql.py), not strawberry's CDN page."""
        return page_response()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        payload = decoded(data)  # the body the view already decoded: not twice
        return super().decode_json(data) if payload is NotImplemented else payload


class SanctuaryGraphQL(AudienceView):
    """Authenticates, opens the request's transaction, runs the viewer's schema, writes the audit event."""

    def __init__(self, settings: Settings) -> None:
        self._ide: Literal["graphiql"] | None = "graphiql" if settings.graphiql else None
        super().__init__(schema_for(Audience(True, frozenset())), graphql_ide=self._ide, allow_queries_via_get=False)
        self._views: dict[Audience, AudienceView] = {}

    async def run(  # type: ignore[override]
        self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET
    ) -> Response | WebSocket:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        with access.graphql_request(request) as observed:  # its access line, metrics and span
            try:
                return await self._observed(request, observed)
            finally:
                _describe(request, observed)

    async def _observed(self, request: Request, observed: Observed) -> Response:
        gate = request.app.state.rate_gate  # api/ratelimit: the in-flight cap, the buckets, their headers
        try:
            async with gate.admit(request) as busy:
                response = busy or await self._handle(request, observed)
        except ClientDisconnect:  # the client went away mid-request; its transaction was rolled back
            observed.status = 499
            return Response(status_code=499)
        except HTTPException as error:  # malformed request: strawberry answers it in plain text
            observed.status, observed.refused = error.status_code, True
            raise HTTPException(error.status_code, _safe_reason(error)) from None
        gate.decorate(request, response)
        observed.status = response.status_code
        response.headers.setdefault("x-request-id", observed.request_id)  # refusals too: the line to look for
        return response

    async def _handle(self, request: Request, observed: Observed) -> Response:
        state = request.app.state
        request_id = observed.request_id
        limits: Limits = state.settings.graphql_limits
        try:
            request, read_only = await _prepared(request, limits)
            cost = _checked_cost(limits)
        except RequestRefused as refused:
            observed.refused, observed.cost_requested = True, getattr(refused, "cost", 0)
            return _refused(refused)
        request.state.requested_cost = observed.cost_requested = cost
        async with state.sessionmaker() as session:
            if read_only and isinstance(session.bind, AsyncEngine):  # (tests bind sessions to a transaction)
                await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            elif not read_only and request.method == "POST":  # writes keep the longer statement timeout
                await allow_maintenance_statements(session, state.settings)
            try:
                viewer = await authenticate(
                    session,
                    request.headers.get("authorization"),
                    keys=state.signing_keys,
                    settings=state.settings,
                    external=state.external_issuers,
                    note_use=True,
                )
            except AuthenticationError as error:  # a failing token pays from its address's bucket
                observed.caller, observed.refused = "unauthenticated", True
                return await state.rate_gate.charge(request, None) or _unauthorized(error.description)
            observed.caller = payer(viewer)  # its kind, never who it is
            try:  # a trusted document named by its id (api/schema/engine/trusted.py), or an app that sends no other
                if await trusted.resolve(session, viewer):
                    cost = request.state.requested_cost = _checked_trusted(request, limits)
            except RequestRefused as refused:  # refused, but it still pays (an unknown id is not free to repeat)
                observed.refused = True
                return await state.rate_gate.charge(request, viewer) or _refused(refused)
            if limited := await state.rate_gate.charge(request, viewer):
                return limited
            if "read" not in viewer.scopes:
                observed.refused = True
                return _forbidden("This token was not granted the `read` scope.")
            facts = await load_facts(session, viewer)
            ctx = Context(
                viewer=viewer,
                session=session,
                sealer=state.sealer,
                request_id=request_id,
                settings=state.settings,
                facts=facts,
                requested_cost=cost,
            )
            request.state.graphql_context = ctx
            response = await self._view(Audience.of(viewer)).run(request, context=ctx)
            if ctx.database_unavailable:  # nothing is kept; api.unavailable answers 503
                if ctx.attempted_mutation:  # the attempt is audited (as failed) if the database still can
                    await _finish(session, ctx)
                raise DatabaseUnavailable
            await _finish(session, ctx)
        response.headers["x-request-id"] = request_id
        return response

    def _view(self, audience: Audience) -> AudienceView:
        view = self._views.get(audience)
        if view is None:
            view = AudienceView(schema_for(audience), graphql_ide=self._ide, allow_queries_via_get=False)
            self._views[audience] = view
        return view


async def _prepared(request: Request, limits: Limits) -> tuple[Request, bool]:
    """The request with its body read within the limits and prepared once; whether it only reads."""
    request = await read_body(request, limits.body_bytes)
    if request.method == "GET" and "documentId" in request.query_params:  # a trusted document by GET
        request = await get_as_post(request)
    is_json = request.method == "POST" and "application/json" in request.headers.get("content-type", "")
    prepared = prepare(await request.body(), limits, json=is_json)
    if prepared.document is not None and isinstance(prepared.payload, dict):
        name = prepared.payload.get("operationName")
        operation = get_operation_ast(prepared.document, name if isinstance(name, str) else None)
        if operation is not None and operation.operation is OperationType.SUBSCRIPTION:
            raise RequestRefused(
                "SUBSCRIPTION_OVER_HTTP",
                "Subscriptions are served over WebSocket at /graphql (the graphql-transport-ws protocol).",
                400,
            )
    return request, prepared.read_only


def _checked_cost(limits: Limits) -> int:
    """The prepared document's cost (0 without one); RequestRefused over ``limits.cost``, before any SQL."""
    prepared = current()
    if prepared is None or prepared.document is None:
        return 0
    payload = prepared.payload
    cost = requested_cost(
        full_schema._schema, prepared.document, payload.get("operationName"), payload.get("variables")
    )
    if cost > limits.cost:
        raise CostRefused(cost, limits.cost)
    return cost


def _checked_trusted(request: Request, limits: Limits) -> int:
    """The trusted document's cost with this request's variables; by GET, only queries."""
    prepared = current()
    if request.scope.get(BY_GET) and (prepared is None or not prepared.read_only):
        raise RequestRefused("METHOD_NOT_ALLOWED", "Only a query may be sent with GET: send a mutation by POST.", 405)
    return _checked_cost(limits)


def _describe(request: Request, observed: Observed) -> None:
    """What the access line says of the document: the operation (only a name the document holds: never
    free text of the caller's), the document's hash (and trusted id), whether an unexpected error occurred."""
    prepared = current()
    document = prepared.document if prepared is not None else None
    if document is not None and prepared is not None:
        names = [
            d.name.value if d.name else None for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        asked = prepared.payload.get("operationName")
        observed.operation = asked if asked in names else names[0] if not asked and len(names) == 1 else None
    ctx: Context | None = getattr(request.state, "graphql_context", None)
    if ctx is not None:
        observed.document_hash = ctx.document_hash
        observed.document_id = prepared.document_id if prepared is not None else None  # a trusted document's id
        observed.unexpected_error = ctx.unexpected_error


def _safe_reason(error: HTTPException) -> str:
    """strawberry's reason, except where it would quote the request (an unknown operation name)."""
    if isinstance(error.__cause__, CannotGetOperationTypeError) or error.reason.startswith("Unknown operation"):
        return "The operation name matches no operation of the document (or it has several and none was named)."
    return error.reason


async def _finish(session: AsyncSession, ctx: Context) -> None:
    """Audit the request; after an unexpected error its writes are rolled back, but what it returned
    (the T2/T3 fields of the partial data) is still audited, with its mutations as FAILED."""
    if ctx.unexpected_error:
        await session.rollback()
        for record in ctx.mutations:
            if record.outcome is AuditOutcome.ALLOWED:
                record.outcome = AuditOutcome.FAILED
    await record_reads(
        session,
        ctx.viewer,
        ctx.audited_reads,
        operation_name=ctx.operation_name,
        document_hash=ctx.document_hash,
        request_id=ctx.request_id,
    )
    if ctx.attempted_mutation and not ctx.mutations:  # refused before any mutation field ran
        ctx.mutations.append(MutationRecord(ctx.operation_name or "mutation", AuditOutcome.DENIED, []))
    for record in ctx.mutations:
        session.add(
            mutation_event(
                ctx.viewer,
                record.name,
                record.outcome,
                record_ids=record.record_ids,
                fields=record.fields,
                operation_name=ctx.operation_name,
                document_hash=ctx.document_hash,
                request_id=ctx.request_id,
            )
        )
    await session.commit()


class CostRefused(RequestRefused):
    """The document would cost more than the limit: says both numbers, never the document."""

    def __init__(self, cost: int, limit: int) -> None:
        super().__init__(
            "COST_LIMIT_EXCEEDED",
            f"This document could return {cost} objects, over the limit of {limit} per request: ask for smaller "
            "pages (`first`), fewer aliases or less nesting. `queryCost` tells the cost without running it.",
        )
        self.cost, self.limit = cost, limit


def _refused(refused: RequestRefused) -> Response:
    extensions: dict[str, Any] = {"code": refused.code}
    body: dict[str, Any] = {"data": None, "errors": [{"message": refused.message, "extensions": extensions}]}
    if isinstance(refused, CostRefused):
        extensions.update(cost=refused.cost, limit=refused.limit)
        body["extensions"] = {"cost": {"requested": refused.cost, "actual": 0}}
    return JSONResponse(body, status_code=refused.status)


def _forbidden(message: str) -> Response:
    return JSONResponse({"data": None, "errors": [{"message": message, "extensions": {"code": "FORBIDDEN"}}]})


def _unauthorized(description: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": description, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def graphql_app(settings: Settings) -> SanctuaryGraphQL:
    """The ASGI app served at /graphql."""
    return SanctuaryGraphQL(settings)
