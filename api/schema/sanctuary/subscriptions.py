"""Sanctuary, live: hospitality shifts for a congregation's members, burn requests for its admins."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from api.auth.live import own_organization
from api.models import HospitalityShift as ShiftRow
from api.models import SanctuaryCase as CaseRow
from api.models.enums import EventKind
from api.schema.engine.context import Context, Info
from api.schema.engine.live_types import AfterEventArg, LiveBase, LiveEvent, LiveSpec, live, over_websocket_only
from api.schema.sanctuary.types import HospitalityShift, SanctuaryCase

SHIFT_KINDS = frozenset(
    {
        EventKind.SHIFT_CREATED, EventKind.SHIFT_FILLED, EventKind.SHIFT_NEEDS_VOLUNTEERS, EventKind.SHIFT_COMPLETED,
        EventKind.SHIFT_MISSED,
    }
)  # fmt: skip


@strawberry.type(description="Something happened to a hospitality shift.")
class ShiftEvent(LiveEvent):
    shift: HospitalityShift = strawberry.field(description="The shift as you may read it now.")


@strawberry.type(description="A burn of a sanctuary case was requested (waiting for a second admin) or confirmed.")
class BurnEvent(LiveEvent):
    case: SanctuaryCase = strawberry.field(description="The case as you may read it now.")


async def _shift(ctx: Context, base: LiveBase, row: Any) -> ShiftEvent:
    return ShiftEvent(event_id=base.event_id, kind=base.kind, occurred_at=base.occurred_at, shift=row)


async def _burn(ctx: Context, base: LiveBase, row: Any) -> BurnEvent:
    return BurnEvent(event_id=base.event_id, kind=base.kind, occurred_at=base.occurred_at, case=row)


SHIFTS = LiveSpec(SHIFT_KINDS, {ShiftRow.__tablename__: ShiftRow}, _shift)
BURNS = LiveSpec(
    frozenset({EventKind.BURN_REQUESTED, EventKind.BURN_CONFIRMED}), {CaseRow.__tablename__: CaseRow}, _burn,
    keeps=own_organization,
)  # fmt: skip


@strawberry.type
class SanctuarySubscriptions:
    @strawberry.subscription(
        description="Hospitality shifts you may read (your congregation's, the ones it staffs, your own) as they are "
        "created, filled, short of volunteers, completed or missed. Congregations' admins, sanctuary coordinators and "
        "hospitality volunteers.",
        metadata=live(SHIFTS),
    )
    async def shift_events(self, info: Info, after: AfterEventArg = None) -> AsyncGenerator[ShiftEvent, None]:
        async for item in over_websocket_only():
            yield item

    @strawberry.subscription(
        description="Burns of your organization's sanctuary cases as they are requested (a second admin must confirm) "
        "and confirmed. Org admins only.",
        metadata=live(BURNS),
    )
    async def burn_requests(self, info: Info, after: AfterEventArg = None) -> AsyncGenerator[BurnEvent, None]:
        async for item in over_websocket_only():
            yield item
