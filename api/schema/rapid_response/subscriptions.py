"""Rapid response, live: a dispatcher's incidents, a responder's own dispatches, the public alerts."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry

from api.auth import access
from api.auth.live import in_dispatch_regions, own_dispatch
from api.models import IncidentDispatch as DispatchRow
from api.models import RapidResponseIncident as IncidentRow
from api.models.enums import EventKind
from api.schema.engine.context import Context, Info
from api.schema.engine.errors import BadRequestError
from api.schema.engine.live_types import AfterEventArg, LiveBase, LiveEvent, LiveSpec, live, over_websocket_only
from api.schema.engine.relay import parse_id
from api.schema.rapid_response.types import IncidentDispatch, RapidResponseIncident

INCIDENT_KINDS = frozenset(
    {
        EventKind.INCIDENT_REPORTED, EventKind.INCIDENT_VERIFICATION_CHANGED, EventKind.INCIDENT_STATUS_CHANGED,
        EventKind.INCIDENT_CLOSED, EventKind.INCIDENT_BROADCAST, EventKind.INCIDENT_RETRACTED,
    }
)  # fmt: skip
DISPATCH_KINDS = frozenset({EventKind.RESPONDER_DISPATCHED, EventKind.RESPONDER_ARRIVED, EventKind.RESPONDER_RELEASED})


@strawberry.type(description="Something happened to an incident.")
class IncidentEvent(LiveEvent):
    incident: RapidResponseIncident = strawberry.field(
        description="The incident as you may read it now (fields as in queries; withheld ones are null and listed)."
    )


@strawberry.type(description="Something happened to one of your dispatches.")
class DispatchEvent(LiveEvent):
    dispatch: IncidentDispatch = strawberry.field(description="Your dispatch as you may read it now.")


async def _incident(ctx: Context, base: LiveBase, row: Any) -> IncidentEvent:
    return IncidentEvent(event_id=base.event_id, kind=base.kind, occurred_at=base.occurred_at, incident=row)


async def _dispatch(ctx: Context, base: LiveBase, row: Any) -> DispatchEvent:
    return DispatchEvent(event_id=base.event_id, kind=base.kind, occurred_at=base.occurred_at, dispatch=row)


def _regions(arguments: dict[str, Any]) -> dict[str, Any]:
    ids = arguments.get("region_ids")
    if ids is None:
        return {"region_ids": None}
    if len(ids) > 50:
        raise BadRequestError("At most 50 region ids.", code="TOO_MANY_IDS")
    return {"region_ids": frozenset(parse_id(value, "Region") for value in ids)}


INCIDENTS = LiveSpec(
    INCIDENT_KINDS,
    {IncidentRow.__tablename__: IncidentRow},
    _incident,
    relevant=in_dispatch_regions,
    arguments=_regions,
)
DISPATCHES = LiveSpec(DISPATCH_KINDS, {DispatchRow.__tablename__: DispatchRow}, _dispatch, keeps=own_dispatch)
ALERTS = LiveSpec(
    frozenset({EventKind.INCIDENT_BROADCAST}), {IncidentRow.__tablename__: IncidentRow}, _incident,
    rows=access.broadcast_alerts, public=True,
)  # fmt: skip

RegionIdsArg = Annotated[
    list[strawberry.ID] | None,
    strawberry.argument(
        description="Only these regions (at most 50), among those you dispatch for. Default: all of them."
    ),
]


@strawberry.type
class RapidResponseSubscriptions:
    @strawberry.subscription(
        description="Incidents in the regions you dispatch for, as they are reported, verified, broadcast and closed "
        "(your regions are read again at each event). Dispatchers only.",
        metadata=live(INCIDENTS),
    )
    async def incident_events(
        self, info: Info, region_ids: RegionIdsArg = None, after: AfterEventArg = None
    ) -> AsyncGenerator[IncidentEvent, None]:
        async for item in over_websocket_only():
            yield item

    @strawberry.subscription(
        description="Your own dispatches: sent, arrived, released. Responders only.", metadata=live(DISPATCHES)
    )
    async def my_dispatches(self, info: Info, after: AfterEventArg = None) -> AsyncGenerator[DispatchEvent, None]:
        async for item in over_websocket_only():
            yield item

    @strawberry.subscription(
        description="Confirmed incident alerts as they are broadcast: coarse area only. Public: every subscriber "
        "receives the alert as an anonymous caller may read it (fields beyond that are null and listed as withheld, "
        "whatever your roles).",
        metadata=live(ALERTS),
    )
    async def broadcast_alerts(self, info: Info, after: AfterEventArg = None) -> AsyncGenerator[IncidentEvent, None]:
        async for item in over_websocket_only():
            yield item
