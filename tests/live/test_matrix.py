"""Who receives each subscription's event, and who does not, with withheld fields: the access matrix, live.

Each event is followed by a marker event the viewer may see on the same subscription: a subscription
delivers in order, so a viewer whose first message is the marker never received the event (no waiting
for something not to happen). A viewer whose schema lacks the field is refused at subscribe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models import AuditEvent
from api.models.enums import AuditAction, EventKind
from api.schema.engine.ids import encode_global_id
from tests.live import world as w
from tests.live.harness import Live, Served, open_live

INCIDENTS = "subscription { incidentEvents { eventId kind occurredAt incident { id coarseArea exactLocation } } }"
DISPATCHES = "subscription { myDispatches { kind dispatch { id incident { id exactLocation } } } }"
ACCOMPANIMENT = "subscription { accompanimentEvents { kind request { id place } assignment { id status } } }"
SHIFTS = "subscription { shiftEvents { kind shift { id startsAt } } }"
ALERTS = "subscription { broadcastAlerts { kind incident { id coarseArea } } }"
ALERTS_EXACT = "subscription { broadcastAlerts { incident { id exactLocation } } }"
BURNS = "subscription { burnRequests { kind case { id status } } }"


@pytest.fixture
async def world(live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer) -> w.LiveWorld:
    return await w.build(live_sessions, live_sealer)


class Watch:
    """Connections of several viewers subscribed to one document each."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[Live, str]] = {}

    async def add(self, served: Served, key: str, token: str | None, query: str) -> None:
        live = await open_live(served.url, token)
        self.open[key] = (live, await live.subscribe(query))

    async def first(self, key: str) -> dict[str, Any]:
        live, op = self.open[key]
        return await live.next_for(op)

    async def close(self) -> None:
        for live, _ in self.open.values():
            await live.close()


@pytest.fixture
async def watch() -> AsyncIterator[Watch]:
    opened = Watch()
    yield opened
    await opened.close()


def _gid(type_name: str, row: Any) -> str:
    return encode_global_id(type_name, row.id)


def _refused(message: dict[str, Any]) -> bool:
    return message["type"] == "error" and "Cannot query field" in message["payload"][0]["message"]


async def test_incident_events_reach_the_dispatchers_of_its_region_only(
    served: Served, world: w.LiveWorld, watch: Watch, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer,
) -> None:  # fmt: skip
    for key in ("dispatcher@RR", "dispatcher+responder@RR", "dispatcher@RR2", "responder@RR", "org_admin@A",
                "anonymous"):  # fmt: skip
        await watch.add(served, key, world.tokens[key], INCIDENTS)
    await watch.add(served, "app:responder@RR", await w.app_token(served.http, world), INCIDENTS)
    async with live_sessions() as db:
        main = await w.incident(db, live_sealer, world.orgs["RR"])
        await w.emit(db, EventKind.INCIDENT_REPORTED, main)
        marker = await w.incident(db, live_sealer, world.orgs["RR2"])
        await w.emit(db, EventKind.INCIDENT_REPORTED, marker)
    for key in ("dispatcher@RR", "dispatcher+responder@RR"):
        payload = (await watch.first(key))["payload"]
        assert payload["data"]["incidentEvents"]["incident"]["id"] == _gid("RapidResponseIncident", main)
        assert payload["data"]["incidentEvents"]["incident"]["exactLocation"] == "88 Canary Row"
        assert payload["data"]["incidentEvents"]["kind"] == "INCIDENT_REPORTED"
        assert "extensions" not in payload
    async with live_sessions() as db:  # the exact location delivered is audited as a read, like a query's
        audited = await db.scalars(
            select(AuditEvent).where(
                AuditEvent.actor_member_id == world.members["dispatcher@RR"].id, AuditEvent.action == AuditAction.READ
            )
        )
        assert [(e.record_ids, e.fields) for e in audited] == [([main.id], ["RapidResponseIncident.exactLocation"])]
    other = (await watch.first("dispatcher@RR2"))["payload"]["data"]["incidentEvents"]
    assert other["incident"]["id"] == _gid("RapidResponseIncident", marker)  # the marker first: never the event
    for key in ("responder@RR", "org_admin@A", "anonymous", "app:responder@RR"):
        assert _refused(await watch.first(key)), key  # absent from their schema


async def test_my_dispatches_reach_the_responder_itself_with_withheld_fields(
    served: Served, world: w.LiveWorld, watch: Watch, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer,
) -> None:  # fmt: skip
    for key in ("responder@RR", "other_responder@RR", "dispatcher+responder@RR"):
        await watch.add(served, key, world.tokens[key], DISPATCHES)
    await watch.add(served, "dispatcher@RR", world.tokens["dispatcher@RR"], DISPATCHES)
    async with live_sessions() as db:
        row = await w.incident(db, live_sealer, world.orgs["RR"])
        main = await w.dispatch(db, row, world.members["responder@RR"], released=True)
        await w.emit(db, EventKind.RESPONDER_RELEASED, main, region_id=row.region_id)
        markers = {}
        for key in ("other_responder@RR", "dispatcher+responder@RR"):
            markers[key] = await w.dispatch(db, row, world.members[key])
            await w.emit(db, EventKind.RESPONDER_DISPATCHED, markers[key], region_id=row.region_id)
    payload = (await watch.first("responder@RR"))["payload"]
    dispatch = payload["data"]["myDispatches"]["dispatch"]
    assert dispatch["id"] == _gid("IncidentDispatch", main)
    assert dispatch["incident"]["exactLocation"] is None  # released: off the job, the exact place is withheld
    assert [entry["path"] for entry in payload["extensions"]["withheld"]] == [
        ["myDispatches", "dispatch", "incident", "exactLocation"]
    ]
    for key, marker in markers.items():
        first = (await watch.first(key))["payload"]["data"]["myDispatches"]["dispatch"]
        assert first["id"] == _gid("IncidentDispatch", marker), key  # a colleague's dispatch never arrives
    assert _refused(await watch.first("dispatcher@RR"))


async def test_accompaniment_events_reach_the_assigned_accompanier_and_the_routed_coordinator(
    served: Served, world: w.LiveWorld, watch: Watch, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer,
) -> None:  # fmt: skip
    for key in ("accompanier@A", "other_accompanier@A", "accompaniment_coordinator@A", "org_admin@A"):
        await watch.add(served, key, world.tokens[key], ACCOMPANIMENT)
    async with live_sessions() as db:
        elsewhere = await w.request(db, live_sealer, world, "B")  # routed to B: not A's coordinator's
        offered = await _assignment(db, elsewhere, world.members["accompanier@A"])
        await w.emit(db, EventKind.ASSIGNMENT_OFFERED, offered)
        marker = await _assignment(
            db, await w.request(db, live_sealer, world, "B"), world.members["other_accompanier@A"]
        )
        await w.emit(db, EventKind.ASSIGNMENT_OFFERED, marker)
        here = await w.request(db, live_sealer, world, "A")
        await w.emit(db, EventKind.REQUEST_TRIAGED, here)
    mine = (await watch.first("accompanier@A"))["payload"]["data"]["accompanimentEvents"]
    assert mine["assignment"]["id"] == _gid("AccompanimentAssignment", offered)
    assert mine["request"]["id"] == _gid("AccompanimentRequest", elsewhere)
    assert mine["request"]["place"] == "Immigration Court, Room 4"
    other = (await watch.first("other_accompanier@A"))["payload"]["data"]["accompanimentEvents"]
    assert other["assignment"]["id"] == _gid("AccompanimentAssignment", marker)  # not offered: nothing before
    coordinator = (await watch.first("accompaniment_coordinator@A"))["payload"]["data"]["accompanimentEvents"]
    assert coordinator["request"]["id"] == _gid("AccompanimentRequest", here)  # routed to B: never seen
    assert _refused(await watch.first("org_admin@A"))


async def test_shift_events_reach_the_congregations_that_may_see_the_shift(
    served: Served, world: w.LiveWorld, watch: Watch, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer,
) -> None:  # fmt: skip
    for key in ("sanctuary_coordinator@A", "hospitality_volunteer@A", "org_admin@B", "dispatcher@RR"):
        await watch.add(served, key, world.tokens[key], SHIFTS)
    async with live_sessions() as db:
        main = await w.shift(db, live_sealer, world, "A", staffed_by="A")
        await w.emit(db, EventKind.SHIFT_CREATED, main)
        marker = await w.shift(db, live_sealer, world, "B")
        await w.emit(db, EventKind.SHIFT_NEEDS_VOLUNTEERS, marker)
    for key in ("sanctuary_coordinator@A", "hospitality_volunteer@A"):
        shift = (await watch.first(key))["payload"]["data"]["shiftEvents"]["shift"]
        assert shift["id"] == _gid("HospitalityShift", main), key
        assert shift["startsAt"] is not None
    other = (await watch.first("org_admin@B"))["payload"]["data"]["shiftEvents"]
    assert other["shift"]["id"] == _gid("HospitalityShift", marker)  # another congregation's shift never arrives
    assert _refused(await watch.first("dispatcher@RR"))


async def test_broadcast_alerts_are_public_at_coarse_precision(
    served: Served, world: w.LiveWorld, watch: Watch, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer,
) -> None:  # fmt: skip
    await watch.add(served, "anonymous", None, ALERTS)
    await watch.add(served, "anonymous exact", None, ALERTS_EXACT)
    await watch.add(served, "org_admin@B", world.tokens["org_admin@B"], ALERTS_EXACT)
    # the region's dispatcher reads the exact location in queries and on incidentEvents, never on the public feed
    await watch.add(served, "dispatcher@RR", world.tokens["dispatcher@RR"], ALERTS_EXACT)
    await watch.add(served, "dispatcher@RR incidents", world.tokens["dispatcher@RR"], INCIDENTS)
    async with live_sessions() as db:
        unconfirmed = await w.incident(db, live_sealer, world.orgs["RR"])  # never a public alert
        await w.emit(db, EventKind.INCIDENT_BROADCAST, unconfirmed)
        alert = await w.broadcast(db, live_sealer, world.orgs["RR"])
        await w.emit(db, EventKind.INCIDENT_BROADCAST, alert)
    public = (await watch.first("anonymous"))["payload"]["data"]["broadcastAlerts"]
    assert public["incident"]["id"] == _gid("RapidResponseIncident", alert)
    assert public["incident"]["coarseArea"]
    assert _refused(await watch.first("anonymous exact"))  # the exact location is not in the public schema
    for key in ("org_admin@B", "dispatcher@RR"):
        member = (await watch.first(key))["payload"]
        assert member["data"]["broadcastAlerts"]["incident"] == {"id": _gid("RapidResponseIncident", alert),
                                                                 "exactLocation": None}  # fmt: skip
        assert member["extensions"]["withheld"] == [
            {"path": ["broadcastAlerts", "incident", "exactLocation"], "reason": "PUBLIC_ONLY"}
        ]
    # the same dispatcher's own subscription: the first event is the unconfirmed one, with its exact location
    incidents = (await watch.first("dispatcher@RR incidents"))["payload"]["data"]["incidentEvents"]
    assert incidents["incident"]["exactLocation"] == "88 Canary Row"


async def test_burn_requests_reach_the_owning_organizations_admins_only(
    served: Served, world: w.LiveWorld, watch: Watch, live_sessions: async_sessionmaker[AsyncSession],
    live_sealer: Sealer,
) -> None:  # fmt: skip
    for key in ("org_admin@A", "org_admin@B", "sanctuary_coordinator@A"):
        await watch.add(served, key, world.tokens[key], BURNS)
    async with live_sessions() as db:
        main = await w.case(db, live_sealer, world, "A", supported_by="B")  # B reads the case, but it is not B's
        await w.emit(db, EventKind.BURN_REQUESTED, main)
        marker = await w.case(db, live_sealer, world, "B")
        await w.emit(db, EventKind.BURN_REQUESTED, marker)
    own = (await watch.first("org_admin@A"))["payload"]["data"]["burnRequests"]
    assert own["case"]["id"] == _gid("SanctuaryCase", main)
    assert own["kind"] == "BURN_REQUESTED"
    other = (await watch.first("org_admin@B"))["payload"]["data"]["burnRequests"]
    assert other["case"]["id"] == _gid("SanctuaryCase", marker)
    assert _refused(await watch.first("sanctuary_coordinator@A"))


async def _assignment(db: AsyncSession, request: Any, who: Any) -> Any:
    from tests import factories as f

    return await f.assignment(db, request, who)
