"""One event rendered for one viewer through a subscription document: the core of every live delivery.

A subscription field declares (``live(...)`` metadata, :class:`LiveSpec`) the event kinds and record
types it is about, which of those concern a given viewer (:mod:`api.auth.live`), and how the payload is
built from the record. :func:`render` then, in a fresh session of its own: loads the viewer's facts as
they are now, asks whether the event concerns it, loads the record through the access rule
(:mod:`api.auth.access`, the query's own loaders), and executes the document's selection on it with the
same field rules as a query: a withheld field resolves to null and is listed in ``extensions.withheld``;
T2/T3 fields returned are audited (one READ event). Nothing is returned when the viewer may not see the
record. The WebSocket server (:mod:`api.schema.engine.live_socket`) and webhooks use the same path.

**For webhooks** (``render_event``): ``await render_event(app.state, viewer, document, event)`` returns the
response body (``{"data": ..., "extensions": {...}}``, ``errors`` too when a field failed) of a subscription
``document`` (one subscription field, e.g. ``subscription { incidentEvents { kind incident { coarseArea } } }``)
for ``event`` (an :class:`api.events.event.Event`) as ``viewer`` may see it now, or None when the event is
not for this viewer (its record is unreadable, or the subscription is not about it). ``viewer`` is the
app's viewer as authenticated *now* (its current ceiling: build it anew for each delivery). A document
that is invalid for the viewer's schema raises :class:`LiveRefused` (its ``errors`` say why, never quoting
the document); :func:`prepare_operation` validates once for reuse (at registration).
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from inspect import isawaitable
from typing import Any, Protocol

import orjson
import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    get_argument_values,
    get_operation_ast,
    get_variable_values,
    specified_rules,
    validate,
)
from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.auth.facts import NO_FACTS, Facts, load_facts
from api.auth.fields import WithheldReason
from api.auth.live import may_subscribe
from api.auth.viewer import ANONYMOUS, Viewer
from api.crypto import Sealer
from api.events.event import Event
from api.events.horizon import Horizon, InvalidCursor
from api.schema.engine.audience import Audience, schema_for
from api.schema.engine.context import Context
from api.schema.engine.cost import requested_cost
from api.schema.engine.errors import MASKED_MESSAGE, BadRequestError
from api.schema.engine.limits import Limits
from api.schema.engine.live_types import LiveBase, LiveSpec
from api.schema.engine.request_body import Prepared, RequestRefused, prepare
from api.schema.engine.safe_errors import Sent, safe_error
from api.schema.schema import _limit_rules, should_mask
from api.services.shared.audit import record_reads
from api.settings import Settings


class AppState(Protocol):
    """What rendering needs from the application's state (``app.state``)."""

    sessionmaker: async_sessionmaker[AsyncSession]
    sealer: Sealer
    settings: Settings


class LiveRefused(Exception):
    """The subscription document cannot run for this viewer: ``errors`` are safe to send (GraphQL errors)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("subscription refused")
        self.errors = errors


@dataclass(frozen=True)
class LiveOperation:
    """A validated subscription document for one audience, with its root field's arguments."""

    schema: strawberry.Schema
    document: DocumentNode
    operation_name: str | None
    variables: dict[str, Any] | None
    root_field: str
    spec: LiveSpec
    arguments: dict[str, Any]
    start: Horizon | None
    audience: Audience  # the schema it was validated against
    document_hash: str
    key: str  # document, variables and operation name: equal keys render alike for one viewer
    sent: Sent = field(compare=False, repr=False)
    # a public subscription's document as anonymous callers would send it (see :func:`rendering`)
    rendered_as: LiveOperation | None = field(default=None, compare=False, repr=False)


def prepare_operation(viewer: Viewer, payload: dict[str, Any], settings: Settings) -> LiveOperation:
    """Validate a subscription request (``{"query", "variables", "operationName"}``) against the viewer's schema
    and the request limits; :class:`LiveRefused` otherwise. Kept per audience and request (many clients send the
    same document): validating costs milliseconds, the operation is immutable and holds nothing of the viewer."""
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    return _prepared_operation(Audience.of(viewer), body, settings.graphql_limits)


@lru_cache(maxsize=1024)
def _prepared_operation(audience: Audience, body: bytes, limits: Limits) -> LiveOperation:
    try:
        prepared = prepare(body, limits)
    except RequestRefused as refused:
        raise LiveRefused([{"message": refused.message, "extensions": {"code": refused.code}}]) from None
    sent = Sent.of(prepared)
    if prepared.error is not None or prepared.document is None:
        error = prepared.error or GraphQLError("A subscription needs a `query` (a GraphQL document).")
        raise LiveRefused([safe_error(dict(error.formatted), error, sent)])
    schema = schema_for(audience)
    rules = (*specified_rules, *_limit_rules(limits.depth, limits.aliases))
    errors = validate(schema._schema, prepared.document, rules)
    if errors:
        raise LiveRefused([safe_error(dict(e.formatted), e, sent) for e in errors[: limits.errors]])
    payload = prepared.payload
    cost = requested_cost(schema._schema, prepared.document, payload.get("operationName"), payload.get("variables"))
    if cost > limits.cost:  # each delivery is one such answer
        message = f"This document could return {cost} objects per event, over the limit of {limits.cost}."
        raise LiveRefused([{"message": message, "extensions": {"code": "COST_LIMIT_EXCEEDED", "cost": cost}}])
    try:
        operation = _operation(schema, audience, prepared, sent)
    except GraphQLError as error:
        raise LiveRefused([safe_error(dict(error.formatted), error, sent)]) from None
    if operation.spec.public and not audience.anonymous:
        return dataclasses.replace(operation, rendered_as=_public_twin(body, limits))
    return operation


def _public_twin(body: bytes, limits: Limits) -> LiveOperation | None:
    """The same request prepared for anonymous callers, when it is valid for them (None otherwise)."""
    try:
        return _prepared_operation(Audience.of(ANONYMOUS), body, limits)
    except LiveRefused:
        return None


def rendering(operation: LiveOperation) -> LiveOperation:
    """The operation that renders ``operation``'s payloads. A public subscription's document that anonymous callers
    could send as well is rendered as theirs (one render serves every audience); otherwise the operation itself."""
    return operation.rendered_as or operation


def _operation(schema: strawberry.Schema, audience: Audience, prepared: Prepared, sent: Sent) -> LiveOperation:
    payload = prepared.payload
    assert prepared.document is not None
    name = payload.get("operationName") if isinstance(payload.get("operationName"), str) else None
    operation = get_operation_ast(prepared.document, name)
    if not isinstance(operation, OperationDefinitionNode) or operation.operation is not OperationType.SUBSCRIPTION:
        raise BadRequestError(
            "Only subscriptions are served over the WebSocket: send queries and mutations over HTTP.",
            code="NOT_A_SUBSCRIPTION",
        )
    root = operation.selection_set.selections[0]
    if not isinstance(root, FieldNode):
        raise BadRequestError("Select the subscription field directly (not through a fragment).")
    variables = payload.get("variables") if isinstance(payload.get("variables"), dict) else None
    coerced = get_variable_values(schema._schema, operation.variable_definitions or (), variables or {})
    if isinstance(coerced, list):
        raise coerced[0]
    subscription = schema._schema.subscription_type
    assert subscription is not None
    definition = subscription.fields[root.name.value]
    strawberry_field = definition.extensions[_BACKREF]
    spec: LiveSpec = strawberry_field.metadata["live"]
    values = get_argument_values(definition, root, coerced)
    python = {a.graphql_name or a.python_name: a.python_name for a in strawberry_field.arguments}
    arguments = {python.get(k, k): v for k, v in values.items()}
    start = _start(arguments.pop("after", None))
    text = str(prepared.query)
    digest = hashlib.sha256(text.encode()).hexdigest()
    key = hashlib.sha256(orjson.dumps([text, variables, name], option=orjson.OPT_SORT_KEYS)).hexdigest()
    return LiveOperation(
        schema, prepared.document, name, variables, root.name.value, spec, spec.arguments(arguments), start,
        audience, digest, key, sent,
    )  # fmt: skip


_BACKREF = "strawberry-definition"


def _start(cursor: Any) -> Horizon | None:
    if cursor is None:
        return None
    try:
        return Horizon.parse(str(cursor))
    except InvalidCursor:
        raise BadRequestError(
            "Malformed cursor: pass an `eventId` this API delivered.", code="INVALID_CURSOR"
        ) from None


async def render_event(
    state: AppState,
    viewer: Viewer,
    document: str,
    event: Event,
    *,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
    facts: Facts | None = None,
) -> dict[str, Any] | None:
    """The body a subscription ``document`` delivers for ``event`` to ``viewer`` now, or None when the viewer may
    not see it (see the module's docstring: the contract webhooks rely on). :class:`LiveRefused` for a document
    invalid in the viewer's schema. ``facts``: the viewer's, loaded just now by the caller (a webhook batch loads
    each app's once); None: loaded here."""
    payload = {"query": document, "variables": variables, "operationName": operation_name}
    operation = prepare_operation(viewer, payload, state.settings)
    return await render(state, viewer, operation, event, Horizon(event.id).cursor(), facts=facts)


async def render(
    state: AppState, viewer: Viewer, operation: LiveOperation, event: Event, cursor: str, *, facts: Facts | None = None
) -> dict[str, Any] | None:
    """Authorize ``event`` for ``viewer`` as it is now and execute ``operation`` on its record (None: not for it),
    in a session of its own."""
    if not concerns(viewer, operation, event):
        return None
    async with state.sessionmaker() as session:
        await reading(session)
        return await render_in(session, state, viewer, operation, event, cursor, facts=facts)


async def reading(session: AsyncSession) -> None:
    """No transaction around a delivery's statements, like a query over HTTP (under READ COMMITTED each statement
    has its own snapshot anyway): BEGIN and COMMIT are two round trips saved per render; the audit row a render
    may write is one statement, committed by itself."""
    if isinstance(session.bind, AsyncEngine):  # (tests bind sessions to a transaction)
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def concerns(viewer: Viewer, operation: LiveOperation, event: Event) -> bool:
    """Whether the event could concern this subscription at all (kind, record type, the viewer's right to it)."""
    spec = operation.spec
    return event.kind in spec.kinds and event.record_type in spec.models and may_subscribe(viewer, operation.root_field)


async def render_in(
    session: AsyncSession,
    state: AppState,
    viewer: Viewer,
    operation: LiveOperation,
    event: Event,
    cursor: str,
    *,
    facts: Facts | None = None,
) -> dict[str, Any] | None:
    """:func:`render` in ``session`` (a fresh one, committed here: the audit of the T2/T3 fields it returned).
    A public subscription (``spec.public``) renders what an anonymous caller may read, for any viewer allowed it.
    ``facts``: the viewer's, loaded just now (None: loaded here, as they are now)."""
    spec = operation.spec
    if not concerns(viewer, operation, event):
        return None
    if spec.public:
        viewer, operation, facts = ANONYMOUS, rendering(operation), NO_FACTS
    if facts is None:
        facts = await load_facts(session, viewer)
    if not spec.relevant(event, viewer, facts, operation.arguments):
        return None
    ctx = Context(
        viewer=viewer, session=session, sealer=state.sealer, request_id=uuid.uuid4().hex,
        settings=state.settings, facts=facts,
    )  # fmt: skip
    ctx.operation_name, ctx.document_hash = operation.operation_name or operation.root_field, operation.document_hash
    row = await _record(ctx, spec, event)
    if row is None or not spec.keeps(row, viewer):
        return None
    root = await spec.payload(ctx, LiveBase(cursor, event.kind, event.occurred_at, event.record_type), row)
    if root is None:
        return None
    result = execute(
        operation.schema._schema, operation.document, root_value=root, context_value=ctx,
        variable_values=operation.variables, operation_name=operation.operation_name,
    )  # fmt: skip
    if isawaitable(result):  # synchronous when every field resolved from loaded rows
        result = await result
    body = _body(result, ctx, operation)
    if ctx.audited_reads:
        await record_reads(
            session, viewer, ctx.audited_reads, operation_name=ctx.operation_name,
            document_hash=ctx.document_hash, request_id=ctx.request_id,
        )  # fmt: skip
        await session.commit()
    return body


async def _record(ctx: Context, spec: LiveSpec, event: Event) -> Any:
    """The event's record as the viewer may read it now (None when it may not)."""
    model = spec.models[event.record_type]
    if spec.rows is None:
        return await ctx.loaders.by_id(model).load(event.record_id)
    statement = spec.rows(ctx.viewer).where(model.id == bindparam("record_id"))
    rows = await ctx.records(model, statement, None, {"record_id": event.record_id})
    return rows[0] if rows else None


def _body(result: Any, ctx: Context, operation: LiveOperation) -> dict[str, Any]:
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [
            {**e.formatted, "message": MASKED_MESSAGE}
            if should_mask(e)
            else safe_error(dict(e.formatted), e, operation.sent)
            for e in result.errors
        ]
    if ctx.withheld:
        withheld = ctx.withheld
        if operation.spec.public:  # rendered as for anyone: that is why, whatever the anonymous rule said
            withheld = [{**entry, "reason": WithheldReason.PUBLIC_ONLY.value} for entry in withheld]
        body["extensions"] = {"withheld": withheld}
    return body
