"""``render_event``: one event, one viewer, one subscription document, outside any WebSocket (webhooks use it),
and the resume cursor's arithmetic."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.authenticate import authenticate
from api.auth.viewer import ANONYMOUS, Viewer
from api.crypto import Sealer
from api.events.event import Event, from_row
from api.events.horizon import WINDOW, Horizon, InvalidCursor
from api.models.enums import EventKind, OrganizationKind, Role
from api.schema.engine.limits import Limits
from api.schema.engine.live import LiveRefused, prepare_operation, render_event
from api.services.shared import events
from tests import factories as f

DOCUMENT = "subscription { incidentEvents { kind incident { coarseArea exactLocation } } }"


async def _viewer(db: AsyncSession, app: Any, token: str) -> Viewer:
    state = app.state
    return await authenticate(db, f"Bearer {token}", keys=state.signing_keys, settings=state.settings)


async def _event(db: AsyncSession, kind: EventKind, row: Any) -> Event:
    written = await events.record(db, None, kind, row)
    await db.flush()
    return from_row({c.key: getattr(written, c.key) for c in written.__table__.columns})


async def test_render_event_delivers_to_whoever_may_see_it_and_to_no_one_else(
    app: Any, db: AsyncSession, sealer: Sealer
) -> None:
    team = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
    elsewhere = await f.organization(db, OrganizationKind.RAPID_RESPONSE)
    mine = await f.token_for(db, await f.member(db, team, Role.RR_DISPATCHER))
    theirs = await f.token_for(db, await f.member(db, elsewhere, Role.RR_DISPATCHER))
    incident = await f.incident(db, sealer, team, exact_location="4 Canary Court")
    event = await _event(db, EventKind.INCIDENT_REPORTED, incident)
    body = await render_event(app.state, await _viewer(db, app, mine), DOCUMENT, event)
    assert body == {"data": {"incidentEvents": {"kind": "INCIDENT_REPORTED", "incident": {
        "coarseArea": incident.coarse_area, "exactLocation": "4 Canary Court"}}}}  # fmt: skip
    assert await render_event(app.state, await _viewer(db, app, theirs), DOCUMENT, event) is None
    with pytest.raises(LiveRefused) as refused:  # not in the anonymous schema
        await render_event(app.state, ANONYMOUS, DOCUMENT, event)
    assert "Cannot query field" in refused.value.errors[0]["message"]


def test_a_horizon_remembers_what_it_has_not_seen_below_its_last_id() -> None:
    horizon = Horizon(10).past(14)  # 11, 12, 13 not seen yet
    assert horizon.gaps == (11, 12, 13)
    assert not horizon.seen(12)
    assert horizon.seen(10)
    later = horizon.past(12)
    assert later.seen(12)
    assert later.gaps == (11, 13)
    assert Horizon.parse(later.cursor()) == later
    far = later.past(13 + WINDOW + 5)
    assert all(g > far.last - WINDOW for g in far.gaps)


@pytest.mark.parametrize("cursor", ["", "bm90IGEgY3Vyc29y", "aDE6NTp4", "aDE6NToyMDAw", "aDE6LTE6"])
def test_a_cursor_not_issued_here_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        Horizon.parse(cursor)


def test_a_subscription_over_the_cost_limit_is_refused_before_it_runs(settings: Any) -> None:
    dispatcher = Viewer(member_id=uuid.uuid4(), organization_id=uuid.uuid4(), roles=frozenset({Role.RR_DISPATCHER}))
    narrow = settings.model_copy(update={"graphql_limits": Limits(cost=50)})
    document = "subscription { incidentEvents { incident { dispatches(first: 100) { role } } } }"
    with pytest.raises(LiveRefused) as refused:
        prepare_operation(dispatcher, {"query": document}, narrow)
    assert refused.value.errors[0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
