"""Accompaniment, live: requests and assignments as accompaniers and coordinators may see them."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from api.models import AccompanimentAssignment as AssignmentRow
from api.models import AccompanimentRequest as RequestRow
from api.models.enums import EventKind
from api.schema.accompaniment.types import AccompanimentAssignment, AccompanimentRequest
from api.schema.engine.context import Context, Info
from api.schema.engine.live_types import AfterEventArg, LiveBase, LiveEvent, LiveSpec, live, over_websocket_only

REQUEST_KINDS = frozenset(
    {
        EventKind.REQUEST_SUBMITTED, EventKind.REQUEST_TRIAGED, EventKind.REQUEST_MATCHING,
        EventKind.REQUEST_CONFIRMED, EventKind.REQUEST_COMPLETED, EventKind.REQUEST_CANCELLED,
    }
)  # fmt: skip
ASSIGNMENT_KINDS = frozenset(
    {EventKind.ASSIGNMENT_OFFERED, EventKind.ASSIGNMENT_ACCEPTED, EventKind.ASSIGNMENT_DECLINED}
)


@strawberry.type(description="Something happened to an accompaniment request or one of its assignments.")
class AccompanimentEvent(LiveEvent):
    request: AccompanimentRequest = strawberry.field(description="The request as you may read it now.")
    assignment: AccompanimentAssignment | None = strawberry.field(
        description="The assignment the event is about (offered, accepted, declined); null for the request's own moves."
    )


async def _payload(ctx: Context, base: LiveBase, row: Any) -> AccompanimentEvent | None:
    assignment = row if base.record_type == AssignmentRow.__tablename__ else None
    request = await ctx.loaders.by_id(RequestRow).load(row.request_id) if assignment is not None else row
    if request is None:  # an assignment whose request the viewer may not read: not for it
        return None
    return AccompanimentEvent(
        event_id=base.event_id, kind=base.kind, occurred_at=base.occurred_at, request=request, assignment=assignment
    )


EVENTS = LiveSpec(
    REQUEST_KINDS | ASSIGNMENT_KINDS,
    {RequestRow.__tablename__: RequestRow, AssignmentRow.__tablename__: AssignmentRow},
    _payload,
)


@strawberry.type
class AccompanimentSubscriptions:
    @strawberry.subscription(
        description="Accompaniment requests you may read (routed to you, or that you are on) as they are submitted, "
        "triaged, matched, confirmed, completed or cancelled, and their assignments as they are offered, accepted or "
        "declined. Accompaniers and accompaniment coordinators.",
        metadata=live(EVENTS),
    )
    async def accompaniment_events(
        self, info: Info, after: AfterEventArg = None
    ) -> AsyncGenerator[AccompanimentEvent, None]:
        async for item in over_websocket_only():
            yield item
