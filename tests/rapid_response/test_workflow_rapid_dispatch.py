"""Responders over HTTP: who may be sent, arrival and release once, notes and debriefs, and who may do what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import MUTATIONS
from api.crypto import Sealer
from api.models import IncidentDispatch, IncidentTimelineEvent, RapidResponseIncident
from api.models.enums import IncidentStatus, Role, TimelineKind, Verification
from api.schema.engine.ids import decode_global_id
from api.services.rapid_response.incidents import TIMELINE_NOTE
from tests import factories
from tests.canaries import canary
from tests.graphql import gid
from tests.rapid_response import factories as rr
from tests.workflow import actor, call, forbidden, ok, user_error

DISPATCH = "incidentDispatch { id role version arrivedAt releasedAt incident { status version } }"
ENTRY = "timelineEvent { id kind occurredAt note }"
INCIDENT = "incident { id version }"
RAPID = sorted(name for name in MUTATIONS if name.startswith("incident"))


def _send(row: RapidResponseIncident, who: Any, role: str = "VERIFIER", **extra: Any) -> dict[str, Any]:
    return {"incidentId": gid(row), "memberId": gid(who), "role": role} | extra


async def _dispatches(db: AsyncSession, row: RapidResponseIncident) -> list[IncidentDispatch]:
    return list(await db.scalars(select(IncidentDispatch).where(IncidentDispatch.incident_id == row.id)))


async def test_dispatching_activates_once_and_a_member_is_on_an_incident_once(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew)
    second = await actor(db, crew.org, Role.RR_DISPATCHER)
    first = await ok(client, "incidentDispatch", _send(row, crew.responder.member), crew.dispatcher, DISPATCH)
    assert first["incidentDispatch"]["incident"] == {"status": "ACTIVE", "version": 2}
    again = await user_error(client, "incidentDispatch", _send(row, crew.responder.member, "LEGAL_LIAISON"),
                             crew.dispatcher, DISPATCH)  # fmt: skip
    assert (again["code"], again["field"]) == ("ALREADY_DISPATCHED", "memberId")
    other = await ok(client, "incidentDispatch", _send(row, second.member, "DISPATCHER"), crew.dispatcher, DISPATCH)
    assert other["incidentDispatch"]["incident"] == {"status": "ACTIVE", "version": 2}  # already active: unchanged
    await ok(client, "incidentDispatchRelease", {"id": first["incidentDispatch"]["id"]}, crew.responder, DISPATCH)
    back = await ok(client, "incidentDispatch", _send(row, crew.responder.member), crew.dispatcher, DISPATCH)
    assert back["incidentDispatch"]["id"] != first["incidentDispatch"]["id"]  # released: may be sent again
    assert len(await _dispatches(db, row)) == 3


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("other_org", "MEMBER_NOT_FOUND"),
        ("inactive", "MEMBER_NOT_ELIGIBLE"),
        ("not_responder", "MEMBER_NOT_ELIGIBLE"),
        ("untrained_observer", "TRAINING_REQUIRED"),
        ("expired_observer", "TRAINING_REQUIRED"),
        ("closed", "ILLEGAL_TRANSITION"),
    ],
)
async def test_who_may_be_sent_and_where(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, setup: str, code: str
) -> None:
    crew = await rr.team(db)
    status = IncidentStatus.CLOSED if setup == "closed" else IncidentStatus.OPEN
    row = await rr.incident(db, sealer, crew, status=status)
    who, role = crew.responder.member, "VERIFIER"
    if setup == "other_org":
        who = (await rr.team(db)).responder.member
    elif setup == "inactive":
        who = await factories.member(db, crew.org, Role.RR_RESPONDER, active=False)
    elif setup == "not_responder":
        who = await factories.member(db, crew.org, Role.ORGANIZER)
    elif setup.endswith("observer"):
        role = "LEGAL_OBSERVER"
        if setup == "expired_observer":
            await rr.observer_training(db, who, expires_in=-timedelta(days=1))
    error = await user_error(client, "incidentDispatch", _send(row, who, role), crew.dispatcher, DISPATCH)
    assert error["code"] == code
    assert await _dispatches(db, row) == []
    await db.refresh(row)
    assert (row.status, row.version) == (status, 1)


@pytest.mark.parametrize("expires_in", [None, timedelta(days=30)])
async def test_a_trained_legal_observer_is_sent(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, expires_in: timedelta | None
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew)
    await rr.observer_training(db, crew.responder.member, expires_in=expires_in)
    sent = await ok(
        client, "incidentDispatch", _send(row, crew.responder.member, "LEGAL_OBSERVER"), crew.dispatcher, DISPATCH
    )
    assert sent["incidentDispatch"]["role"] == "LEGAL_OBSERVER"


async def test_arrival_and_release_happen_once_in_order(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew, status=IncidentStatus.ACTIVE)
    sent = await rr.dispatched(db, row, crew.responder.member)
    arrived = await ok(client, "incidentDispatchArrive", {"id": gid(sent), "expectedVersion": 1},
                       crew.responder, DISPATCH)  # fmt: skip
    assert arrived["incidentDispatch"]["version"] == 2
    twice = await user_error(client, "incidentDispatchArrive", {"id": gid(sent)}, crew.responder, DISPATCH)
    assert twice["code"] == "ALREADY_ARRIVED"
    stale = await user_error(client, "incidentDispatchRelease", {"id": gid(sent), "expectedVersion": 1},
                             crew.dispatcher, DISPATCH)  # fmt: skip
    assert (stale["code"], stale["field"]) == ("CONFLICT", "expectedVersion")
    await ok(client, "incidentDispatchRelease", {"id": gid(sent), "expectedVersion": 2}, crew.dispatcher, DISPATCH)
    again = await user_error(client, "incidentDispatchRelease", {"id": gid(sent)}, crew.responder, DISPATCH)
    assert again["code"] == "ALREADY_RELEASED"
    # released instead of arriving: it can no longer arrive
    other = await rr.dispatched(db, row, (await actor(db, crew.org, Role.RR_RESPONDER)).member)
    await ok(client, "incidentDispatchRelease", {"id": gid(other)}, crew.dispatcher, DISPATCH)
    late = await user_error(client, "incidentDispatchArrive", {"id": gid(other)}, crew.dispatcher, DISPATCH)
    assert late["code"] == "ILLEGAL_TRANSITION"
    await db.refresh(other)
    assert (other.arrived_at, other.version) == (None, 2)


async def test_notes_and_debriefs_are_sealed_and_read_back_by_those_tied_to_the_incident(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew, status=IncidentStatus.ACTIVE)
    await rr.dispatched(db, row, crew.responder.member, arrived=True)
    debrief = canary("Debrief: agents left with two workers in van 3")
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    values = {"incidentId": gid(row), "kind": "DEBRIEF", "note": debrief, "occurredAt": when}
    added = (await ok(client, "incidentTimelineAdd", values, crew.responder, ENTRY))["timelineEvent"]
    assert (added["kind"], added["note"]) == ("DEBRIEF", debrief)
    note = {"incidentId": gid(row), "kind": "NOTE", "note": "Lawyer on the way"}
    assert (await ok(client, "incidentTimelineAdd", note, crew.dispatcher, ENTRY))["timelineEvent"]["note"]
    stored = (await db.execute(select(IncidentTimelineEvent.id, IncidentTimelineEvent.note)
                               .where(IncidentTimelineEvent.kind == TimelineKind.DEBRIEF,
                                      IncidentTimelineEvent.incident_id == row.id))).one()  # fmt: skip
    assert stored[1] is not None
    assert debrief.encode() not in stored[1]
    assert await sealer.open(db, crew.org.id, stored[0], TIMELINE_NOTE, stored[1]) == debrief
    await db.refresh(row)
    assert row.version == 1  # entries do not change the incident


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"note": "x" * 4001}, "note"),
        ({"note": "   "}, "note"),
        ({"kind": "BROADCAST"}, "kind"),
        ({"kind": "STATUS_CHANGE"}, "kind"),
        ({"occurredAt": "2026-01-01T10:00:00"}, "occurredAt"),
        ({"occurredAt": (datetime.now(UTC) + timedelta(hours=3)).isoformat()}, "occurredAt"),
        ({"idempotencyKey": ""}, "idempotencyKey"),
    ],
)
async def test_bad_entries_name_the_field_and_add_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, overrides: dict[str, Any], field: str
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew)
    values = {"incidentId": gid(row), "kind": "NOTE", "note": "Agents left"} | overrides
    error = await user_error(client, "incidentTimelineAdd", values, crew.dispatcher, ENTRY)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert "xxxxxxxxxx" not in error["message"]
    count = select(func.count()).where(IncidentTimelineEvent.incident_id == row.id)
    assert await db.scalar(count) == 0


async def test_a_replayed_dispatch_or_entry_is_not_duplicated(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew)
    values = _send(row, crew.responder.member, idempotencyKey="send-1")
    first = await ok(client, "incidentDispatch", values, crew.dispatcher, DISPATCH)
    assert await ok(client, "incidentDispatch", values, crew.dispatcher, DISPATCH) == first  # no ALREADY_DISPATCHED
    entry = {"incidentId": gid(row), "kind": "NOTE", "note": "Called the family", "idempotencyKey": "n-1"}
    note = await ok(client, "incidentTimelineAdd", entry, crew.dispatcher, ENTRY)
    assert await ok(client, "incidentTimelineAdd", entry, crew.dispatcher, ENTRY) == note
    assert len(await _dispatches(db, row)) == 1
    notes = select(func.count()).where(
        IncidentTimelineEvent.incident_id == row.id, IncidentTimelineEvent.kind == "NOTE"
    )
    assert await db.scalar(notes) == 1


async def _everything(db: AsyncSession, sealer: Sealer, crew: rr.Team) -> dict[str, dict[str, Any]]:
    """One valid input per rapid-response mutation, on records of ``crew``."""
    row = await rr.incident(db, sealer, crew, verification=Verification.CONFIRMED, status=IncidentStatus.ACTIVE)
    sent = await rr.dispatched(db, row, crew.responder.member, arrived=False)
    iid = gid(row)
    return {
        "incidentReport": {"kind": "OTHER", "intakeChannel": "HOTLINE", "regionId": gid(crew.region)},
        "incidentVerificationStart": {"id": iid}, "incidentVerificationRecord": {"id": iid, "result": "CONFIRM"},
        "incidentDispatch": _send(row, crew.dispatcher.member, "DISPATCHER"),
        "incidentDispatchArrive": {"id": gid(sent)}, "incidentDispatchRelease": {"id": gid(sent)},
        "incidentBroadcast": {"id": iid}, "incidentBroadcastRetract": {"id": iid},
        "incidentTransition": {"id": iid, "action": "STABILIZE"},
        "incidentTimelineAdd": {"incidentId": iid, "kind": "NOTE", "note": "Someone else's note"},
    }  # fmt: skip


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.RR_DISPATCHER}))
async def test_each_role_that_may_not_call_a_mutation_is_refused(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, role: Role
) -> None:
    crew = await rr.team(db)
    inputs = await _everything(db, sealer, crew)
    other = await actor(db, crew.org, role)  # same organization and region: only the role stands in the way
    refused = [name for name in RAPID if role not in MUTATIONS[name]]
    assert refused
    for name in refused:
        await forbidden(client, name, inputs[name], other)
    assert await db.scalar(select(func.count()).where(RapidResponseIncident.region_id == crew.region.id)) == 1
    assert await db.scalar(select(func.count()).where(IncidentTimelineEvent.organization_id == crew.org.id)) == 0


async def test_a_dispatcher_of_another_region_finds_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew, stranger = await rr.team(db), await rr.team(db)
    inputs = await _everything(db, sealer, crew)
    for name in RAPID:
        if name == "incidentReport":
            continue  # reporting in another region is INVALID_INPUT on regionId (tested with the report)
        error = await user_error(client, name, inputs[name], stranger.dispatcher)
        assert error["code"] == "NOT_FOUND", name
        assert error["field"] in {"id", "incidentId"}
    row = await db.get_one(RapidResponseIncident, _incident(inputs))
    await db.refresh(row)
    assert (row.version, row.status, row.broadcast_at) == (1, IncidentStatus.ACTIVE, None)


async def test_a_responder_not_dispatched_finds_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    inputs = await _everything(db, sealer, crew)
    bystander = await actor(db, crew.org, Role.RR_RESPONDER)  # same team, not on this incident
    for name in ("incidentDispatchArrive", "incidentDispatchRelease", "incidentTimelineAdd"):
        error = await user_error(client, name, inputs[name], bystander)
        assert error["code"] == "NOT_FOUND", name
    [sent] = await _dispatches(db, await db.get_one(RapidResponseIncident, _incident(inputs)))
    await db.refresh(sent)
    assert (sent.arrived_at, sent.released_at, sent.version) == (None, None, 1)


def _incident(inputs: dict[str, dict[str, Any]]) -> uuid.UUID:
    return decode_global_id(inputs["incidentBroadcast"]["id"])[1]


async def test_anonymous_callers_change_nothing(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer) -> None:
    crew = await rr.team(db)
    inputs = await _everything(db, sealer, crew)
    for name in RAPID:
        body = await call(client, name, inputs[name], None)
        assert body.get("data") is None, name
        assert body["errors"], name
    row = await db.get_one(RapidResponseIncident, _incident(inputs))
    await db.refresh(row)
    assert (row.version, row.broadcast_at) == (1, None)


async def test_the_database_holds_one_open_dispatch_per_member_and_incident(db: AsyncSession, sealer: Sealer) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew)
    first = await rr.dispatched(db, row, crew.responder.member)
    with pytest.raises(IntegrityError) as raised:
        async with db.begin_nested():
            await rr.dispatched(db, row, crew.responder.member)  # written past the service: the index refuses it
    assert "uq_incident_dispatch_open" in str(raised.value.orig.__cause__.constraint_name)  # type: ignore[union-attr]
    first.released_at = datetime.now(UTC)
    await db.flush()
    again = await rr.dispatched(db, row, crew.responder.member)  # released, the member may be sent again
    assert len(await _dispatches(db, row)) == 2
    assert again.released_at is None
