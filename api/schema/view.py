"""The /graphql endpoint: authentication, one transaction per request, audit, withheld fields."""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from api.auth.authenticate import AuthenticationError, authenticate
from api.auth.facts import load_facts
from api.logs import request_id as request_id_var
from api.schema.context import Context
from api.schema.schema import schema
from api.services.audit import record_reads
from api.settings import Settings

_INVALID_VARIABLE = re.compile(r"^Variable '(\$\w+)' (?:got|has) invalid value.*", re.DOTALL)


class SanctuaryGraphQL(GraphQL[Context, None]):
    """strawberry's ASGI view with a per-request session, viewer and audit trail."""

    async def run(  # type: ignore[override]
        self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET
    ) -> Response | WebSocket:
        if isinstance(request, WebSocket):
            return await super().run(request, context, root_value)
        state = request.app.state
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        request_id_var.set(request_id)
        async with state.sessionmaker() as session:
            try:
                viewer = await authenticate(session, request.headers.get("authorization"))
            except AuthenticationError as error:
                return _unauthorized(error.description)
            facts = await load_facts(session, viewer)
            ctx = Context(viewer=viewer, session=session, sealer=state.sealer, request_id=request_id, facts=facts)
            request.state.graphql_context = ctx
            response = await super().run(request, context=ctx)
            await record_reads(
                session,
                viewer,
                ctx.audited_reads,
                operation_name=ctx.operation_name,
                document_hash=ctx.document_hash,
                request_id=request_id,
            )
            await session.commit()
        response.headers["x-request-id"] = request_id
        return response

    async def process_result(self, request: Request | WebSocket, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = [_safe_error(dict(error.formatted)) for error in result.errors]
        context: Context | None = getattr(request.state, "graphql_context", None)
        extensions: dict[str, Any] = dict(result.extensions or {})
        if context is not None and context.withheld:
            extensions["withheld"] = context.withheld
        if extensions:
            data["extensions"] = extensions
        return data

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def _safe_error(formatted: dict[str, Any]) -> Any:
    """Never echo input values back: graphql-core's variable coercion messages include them."""
    match = _INVALID_VARIABLE.match(formatted.get("message", ""))
    if match:
        formatted = {**formatted, "message": f"Variable '{match.group(1)}' got an invalid value."}
    return formatted


def _unauthorized(description: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": description, "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def graphql_app(settings: Settings) -> SanctuaryGraphQL:
    """The ASGI app served at /graphql."""
    return SanctuaryGraphQL(schema, graphql_ide="graphiql" if settings.graphiql else None, allow_queries_via_get=False)
