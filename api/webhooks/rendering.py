"""A delivery rendered by the subscriptions' own path, with the facts its batch loaded for the app.

:func:`api.schema.engine.live.render_event` loads the viewer's facts at each render; a batch loads each app's
once (:mod:`api.webhooks.apps`). Until ``live.render_in`` takes them (a keyword ``facts: Facts | None = None``, used
instead of ``load_facts`` when given), :func:`render_in` here is its copy with that one change, line for line:
``tests/webhooks/test_rendering.py`` fails as soon as ``live.render_in`` changes, so that the copy follows it or,
once it takes ``facts``, goes.
"""

from __future__ import annotations

import uuid
from inspect import isawaitable
from typing import Any

from graphql import execute
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.facts import NO_FACTS, Facts
from api.auth.viewer import ANONYMOUS, Viewer
from api.events.event import Event
from api.events.horizon import Horizon
from api.schema.engine.context import Context
from api.schema.engine.live import AppState, LiveOperation, _body, _record, concerns, prepare_operation, reading
from api.schema.engine.live import rendering as public_rendering
from api.schema.engine.live_types import LiveBase
from api.services.shared.audit import record_reads
from api.webhooks.apps import AppNow


async def render_event(state: AppState, app: AppNow, document: str, event: Event) -> dict[str, Any] | None:
    """``live.render_event`` for ``app`` (the app now, with its facts): the body, None when the event is not for it;
    :class:`api.schema.engine.live.LiveRefused` for a document invalid in its schema."""
    payload = {"query": document, "variables": None, "operationName": None}
    operation = prepare_operation(app.viewer, payload, state.settings)
    if not concerns(app.viewer, operation, event):
        return None
    async with state.sessionmaker() as session:
        await reading(session)
        return await render_in(session, state, app.viewer, operation, event, Horizon(event.id).cursor(), app.facts)


async def render_in(
    session: AsyncSession, state: AppState, viewer: Viewer, operation: LiveOperation, event: Event, cursor: str,
    facts: Facts,
) -> dict[str, Any] | None:  # fmt: skip
    """``live.render_in`` with ``facts`` (the viewer's, loaded now) instead of loading them."""
    spec = operation.spec
    if not concerns(viewer, operation, event):
        return None
    if spec.public:
        viewer, operation, facts = ANONYMOUS, public_rendering(operation), NO_FACTS
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
