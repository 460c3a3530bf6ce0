"""Rapid response over HTTP: report, verify, dispatch a verifier, confirm, broadcast the coarse area, close."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import IncidentTimelineEvent, RapidResponseIncident
from api.models.enums import AuditOutcome, DispatchRole, IncidentStatus, TimelineKind, Verification
from api.schema.engine.ids import encode_global_id
from api.services.rapid_response.incidents import EXACT_LOCATION, REPORTER_CONTACT
from api.services.shared.lifecycles import IncidentAction, VerificationAction
from tests.canaries import canary
from tests.graphql import gid, gql
from tests.proofs import lifecycle_oracle as oracle
from tests.rapid_response import factories as rr
from tests.workflow import mutation_audit, ok, user_error

SELECT = (
    "incident { id status verification version broadcastAt closedAt coarseArea coarseLatitude coarseLongitude "
    "exactLocation reporterContact }"
)
DISPATCH = "incidentDispatch { id role version arrivedAt releasedAt incident { status version } }"
ALERTS = (
    "query Alerts($region: ID) { broadcastAlerts(first: 50, region: $region) { edges { node "
    "{ id kind coarseArea coarseLatitude coarseLongitude broadcastAt } } } }"
)


def _report(crew: rr.Team, **overrides: Any) -> dict[str, Any]:
    observed = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    return {
        "kind": "WORKPLACE_RAID", "intakeChannel": "HOTLINE", "regionId": gid(crew.region),
        "exactLocation": canary(f"Loading dock, 41 Tannery Rd {uuid.uuid4().hex[:6]}"),
        "reporterContact": canary(f"caller +1-555-01{uuid.uuid4().int % 100:02d}-x"),
        "latitude": 40.712776, "longitude": -74.005974, "size": "3 vans, about 12 agents",
        "actions": "Detaining workers at the loading dock", "uniform": "Vests marked POLICE ICE",
        "observedAt": observed, "equipment": "Unmarked vans",
    } | overrides  # fmt: skip


async def _alerts(client: httpx.AsyncClient, crew: rr.Team, token: str | None = None) -> dict[str, Any]:
    return await gql(client, ALERTS, {"region": gid(crew.region)}, token=token)


async def _timeline_kinds(db: AsyncSession, incident_id: uuid.UUID) -> list[TimelineKind]:
    rows = await db.scalars(select(IncidentTimelineEvent.kind).where(IncidentTimelineEvent.incident_id == incident_id))
    return sorted(rows)


async def test_report_verify_dispatch_confirm_broadcast_retract_and_close(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db, name="Kings County")
    d, values = crew.dispatcher, _report(crew)
    reported = (await ok(client, "incidentReport", values, d, SELECT))["incident"]
    assert (reported["status"], reported["verification"], reported["version"]) == ("OPEN", "UNVERIFIED", 1)
    assert reported["coarseArea"] == "Kings County, cell 40.71,-74.01"
    assert (reported["coarseLatitude"], reported["coarseLongitude"]) == ("40.715", "-74.005")
    assert (reported["exactLocation"], reported["reporterContact"]) == (
        values["exactLocation"], values["reporterContact"]
    )  # fmt: skip
    iid = reported["id"]
    started = await ok(client, "incidentVerificationStart", {"id": iid, "expectedVersion": 1}, d, SELECT)
    assert (started["incident"]["verification"], started["incident"]["version"]) == ("VERIFYING", 2)
    sent = await ok(
        client, "incidentDispatch", {"incidentId": iid, "memberId": gid(crew.responder.member), "role": "VERIFIER"},
        d, DISPATCH,
    )  # fmt: skip
    assert sent["incidentDispatch"]["incident"] == {"status": "ACTIVE", "version": 3}  # the first dispatch activates
    arrived = await ok(
        client, "incidentDispatchArrive", {"id": sent["incidentDispatch"]["id"], "expectedVersion": 1},
        crew.responder, DISPATCH,
    )  # fmt: skip
    assert arrived["incidentDispatch"]["arrivedAt"] is not None
    confirmed = await ok(client, "incidentVerificationRecord", {"id": iid, "result": "CONFIRM"}, d, SELECT)
    assert confirmed["incident"]["verification"] == "CONFIRMED"
    assert (await _alerts(client, crew))["data"]["broadcastAlerts"]["edges"] == []
    broadcast = await ok(client, "incidentBroadcast", {"id": iid, "expectedVersion": 4}, d, SELECT)
    assert broadcast["incident"]["broadcastAt"] is not None
    public = (await _alerts(client, crew))["data"]["broadcastAlerts"]["edges"]
    assert [edge["node"]["coarseArea"] for edge in public] == ["Kings County, cell 40.71,-74.01"]
    await ok(client, "incidentBroadcastRetract", {"id": iid, "expectedVersion": 5}, d, SELECT)
    assert (await _alerts(client, crew))["data"]["broadcastAlerts"]["edges"] == []  # the public alert is gone
    await ok(client, "incidentTransition", {"id": iid, "action": "STABILIZE"}, d, SELECT)
    closed = (await ok(client, "incidentTransition", {"id": iid, "action": "CLOSE"}, d, SELECT))["incident"]
    assert (closed["status"], closed["version"]) == ("CLOSED", 8)
    assert closed["closedAt"] is not None
    assert closed["broadcastAt"] is None
    row = await db.scalar(select(RapidResponseIncident).where(RapidResponseIncident.region_id == crew.region.id))
    assert row is not None
    assert row.triaged_at is not None
    assert row.organization_id == crew.org.id
    kinds = {TimelineKind.VERIFICATION: 2, TimelineKind.DISPATCH: 2, TimelineKind.BROADCAST: 2}
    assert Counter(await _timeline_kinds(db, row.id)) == kinds | {TimelineKind.STATUS_CHANGE: 3}
    audit = await mutation_audit(db, d)
    assert sorted((name, outcome) for name, outcome, _ in audit) == sorted(
        (name, AuditOutcome.ALLOWED)
        for name in ("incidentReport", "incidentVerificationStart", "incidentDispatch", "incidentVerificationRecord",
                     "incidentBroadcast", "incidentBroadcastRetract", "incidentTransition", "incidentTransition")
    )  # fmt: skip
    assert all(row.id in ids for _, _, ids in audit)
    assert [(n, o) for n, o, _ in await mutation_audit(db, crew.responder)] == [
        ("incidentDispatchArrive", AuditOutcome.ALLOWED)
    ]


async def test_the_public_alert_carries_the_coarse_area_and_nothing_restricted(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db, name="Queens County")
    values = _report(crew, latitude=-33.8688, longitude=151.2093)
    iid = (await ok(client, "incidentReport", values, crew.dispatcher, SELECT))["incident"]["id"]
    row = await db.scalar(select(RapidResponseIncident).where(RapidResponseIncident.region_id == crew.region.id))
    assert row is not None
    row.verification = Verification.CONFIRMED
    await rr.dispatched(db, row, crew.responder.member, DispatchRole.VERIFIER, arrived=True)
    await ok(client, "incidentBroadcast", {"id": iid}, crew.dispatcher, SELECT)
    body = await _alerts(client, crew)
    [node] = [edge["node"] for edge in body["data"]["broadcastAlerts"]["edges"]]
    assert node["id"] == iid
    assert node["kind"] == "WORKPLACE_RAID"
    assert (node["coarseArea"], node["coarseLatitude"], node["coarseLongitude"]) == (
        "Queens County, cell -33.87,151.20", "-33.865", "151.205"
    )  # fmt: skip
    for secret in (values["exactLocation"], values["reporterContact"], "Tannery", "-33.8688", "151.2093"):
        assert secret not in str(body)
    # the anonymous schema has no field beyond the public (T0) ones on an incident
    fields = await gql(client, '{ __type(name: "RapidResponseIncident") { fields { name } } }')
    names = {f["name"] for f in fields["data"]["__type"]["fields"]}
    assert names == {"id", "kind", "coarseArea", "coarseLatitude", "coarseLongitude", "broadcastAt"}
    asked = await gql(client, "{ broadcastAlerts(first: 5) { edges { node { exactLocation reporterContact } } } }")
    assert asked.get("data") is None
    assert values["exactLocation"] not in str(asked)
    # a dispatcher of another region sees the alert too, without the exact location, the caller or S.A.L.U.T.E.
    other = await rr.team(db)
    member_view = await gql(
        client, "{ broadcastAlerts(first: 50) { edges { node { id coarseArea exactLocation reporterContact size } } } }",
        token=other.dispatcher.token,
    )  # fmt: skip
    mine = [e["node"] for e in member_view["data"]["broadcastAlerts"]["edges"] if e["node"]["id"] == iid]
    assert mine == [{"id": iid, "coarseArea": "Queens County, cell -33.87,151.20", "exactLocation": None,
                     "reporterContact": None, "size": None}]  # fmt: skip
    assert values["exactLocation"] not in str(member_view)


async def test_exact_location_and_reporter_contact_are_stored_sealed(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    crew = await rr.team(db)
    values = _report(crew)
    await ok(client, "incidentReport", values, crew.dispatcher, SELECT)
    stored = (
        await db.execute(
            select(RapidResponseIncident.id, RapidResponseIncident.exact_location, RapidResponseIncident.reporter_contact)
            .where(RapidResponseIncident.region_id == crew.region.id)
        )
    ).one()  # fmt: skip
    for raw, column, plain in [(stored[1], EXACT_LOCATION, values["exactLocation"]),
                               (stored[2], REPORTER_CONTACT, values["reporterContact"])]:  # fmt: skip
        assert isinstance(raw, bytes)
        assert plain.encode() not in raw
        assert b"Tannery" not in raw
        assert await sealer.open(db, crew.org.id, stored[0], column, raw) == plain
    row = await db.get_one(RapidResponseIncident, stored[0])
    assert (row.coarse_latitude, row.coarse_longitude) == (Decimal("40.715"), Decimal("-74.005"))  # not 40.712776


@pytest.mark.parametrize("state", list(Verification))
@pytest.mark.parametrize("action", list(VerificationAction))
async def test_every_verification_state_and_action(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, state: Verification, action: VerificationAction
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew, verification=state)
    if action is VerificationAction.START:
        name, values = "incidentVerificationStart", {"id": gid(row), "expectedVersion": 1}
    else:
        name, values = "incidentVerificationRecord", {"id": gid(row), "result": action.value, "expectedVersion": 1}
    if oracle.allowed(oracle.INCIDENT_VERIFICATION, state, action):
        payload = await ok(client, name, values, crew.dispatcher, SELECT)
        assert payload["incident"]["verification"] == oracle.target(oracle.INCIDENT_VERIFICATION, state, action)
        assert payload["incident"]["version"] == 2
        assert await _timeline_kinds(db, row.id) == [TimelineKind.VERIFICATION]
    else:
        error = await user_error(client, name, values, crew.dispatcher, SELECT)
        assert error["code"] == "ILLEGAL_TRANSITION"
        await db.refresh(row)
        assert (row.verification, row.version, row.triaged_at) == (state, 1, None)
        assert await _timeline_kinds(db, row.id) == []


@pytest.mark.parametrize("state", list(IncidentStatus))
@pytest.mark.parametrize("action", list(IncidentAction))
async def test_every_incident_state_and_action(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, state: IncidentStatus, action: IncidentAction
) -> None:
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew, status=state)
    values = {"id": gid(row), "action": action.value, "expectedVersion": 1}
    if oracle.allowed(oracle.INCIDENT, state, action):
        payload = await ok(client, "incidentTransition", values, crew.dispatcher, SELECT)
        target = IncidentStatus(oracle.target(oracle.INCIDENT, state, action))
        assert (payload["incident"]["status"], payload["incident"]["version"]) == (target.value, 2)
        assert (payload["incident"]["closedAt"] is not None) == (target is IncidentStatus.CLOSED)
        assert await _timeline_kinds(db, row.id) == [TimelineKind.STATUS_CHANGE]
    else:
        error = await user_error(client, "incidentTransition", values, crew.dispatcher, SELECT)
        assert error["code"] == "ILLEGAL_TRANSITION"
        await db.refresh(row)
        assert (row.status, row.version, row.closed_at) == (state, 1, None)
        assert await _timeline_kinds(db, row.id) == []


@pytest.mark.parametrize(
    ("verification", "verifier", "code"),
    [
        (Verification.VERIFYING, "arrived", "NOT_CONFIRMED"),
        (Verification.FALSE_ALARM, "arrived", "NOT_CONFIRMED"),
        (Verification.UNVERIFIED, None, "NOT_CONFIRMED"),
        (Verification.CONFIRMED, None, "NO_VERIFIER_ARRIVED"),
        (Verification.CONFIRMED, "dispatched", "NO_VERIFIER_ARRIVED"),  # sent, not there yet
        (Verification.CONFIRMED, "observer", "NO_VERIFIER_ARRIVED"),  # someone arrived, but not a verifier
    ],
)
async def test_broadcast_needs_a_confirmed_report_and_an_arrived_verifier(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, verification: Verification, verifier: str | None,
    code: str,
) -> None:  # fmt: skip
    crew = await rr.team(db)
    row = await rr.incident(db, sealer, crew, verification=verification, status=IncidentStatus.ACTIVE)
    if verifier == "observer":
        await rr.dispatched(db, row, crew.responder.member, DispatchRole.LEGAL_OBSERVER, arrived=True)
    elif verifier is not None:
        await rr.dispatched(db, row, crew.responder.member, DispatchRole.VERIFIER, arrived=verifier == "arrived")
    error = await user_error(client, "incidentBroadcast", {"id": gid(row)}, crew.dispatcher, SELECT)
    assert error["code"] == code
    await db.refresh(row)
    assert (row.broadcast_at, row.version) == (None, 1)
    assert (await _alerts(client, crew))["data"]["broadcastAlerts"]["edges"] == []


@pytest.mark.parametrize(
    ("status", "broadcast", "name"),
    [
        (IncidentStatus.CLOSED, False, "incidentBroadcast"),  # a closed incident is no longer alerted
        (IncidentStatus.ACTIVE, True, "incidentBroadcast"),  # already broadcast
        (IncidentStatus.ACTIVE, False, "incidentBroadcastRetract"),  # nothing to retract
    ],
)
async def test_broadcast_and_retract_out_of_turn_are_illegal(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: IncidentStatus, broadcast: bool, name: str
) -> None:
    crew = await rr.team(db)
    at = datetime.now(UTC) - timedelta(minutes=5) if broadcast else None
    row = await rr.incident(db, sealer, crew, verification=Verification.CONFIRMED, status=status, broadcast_at=at)
    await rr.dispatched(db, row, crew.responder.member, DispatchRole.VERIFIER, arrived=True)
    error = await user_error(client, name, {"id": gid(row)}, crew.dispatcher, SELECT)
    assert error["code"] == "ILLEGAL_TRANSITION"
    await db.refresh(row)
    assert (row.broadcast_at, row.version) == (at, 1)


async def test_a_replayed_report_returns_the_first_incident(client: httpx.AsyncClient, db: AsyncSession) -> None:
    crew = await rr.team(db)
    values = _report(crew, idempotencyKey="hotline-call-7")
    first = await ok(client, "incidentReport", values, crew.dispatcher, SELECT)
    again = await ok(client, "incidentReport", values, crew.dispatcher, SELECT)
    assert first == again
    other = await user_error(client, "incidentReport", values | {"size": "1 car"}, crew.dispatcher, SELECT)
    assert (other["code"], other["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    count = select(func.count()).where(RapidResponseIncident.region_id == crew.region.id)
    assert await db.scalar(count) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": 91}, "latitude"),
        ({"longitude": -180.5}, "longitude"),
        ({"longitude": None}, "longitude"),
        ({"exactLocation": "x" * 501}, "exactLocation"),
        ({"reporterContact": "x" * 301}, "reporterContact"),
        ({"size": "x" * 201}, "size"),
        ({"actions": "x" * 2001}, "actions"),
        ({"uniform": "x" * 201}, "uniform"),
        ({"equipment": "x" * 301}, "equipment"),
        ({"observedAt": "2026-01-01T10:00:00"}, "observedAt"),
        ({"observedAt": (datetime.now(UTC) - timedelta(days=60)).isoformat()}, "observedAt"),
        ({"observedAt": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "observedAt"),
        ({"idempotencyKey": "k" * 201}, "idempotencyKey"),
    ],
)
async def test_bad_report_input_names_the_field_and_creates_nothing(
    client: httpx.AsyncClient, db: AsyncSession, overrides: dict[str, Any], field: str
) -> None:
    crew = await rr.team(db)
    error = await user_error(client, "incidentReport", _report(crew, **overrides), crew.dispatcher, SELECT)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert "xxxxxxxxxx" not in error["message"]
    assert "Tannery" not in error["message"]
    assert await db.scalar(select(func.count()).where(RapidResponseIncident.region_id == crew.region.id)) == 0


async def test_a_report_only_in_a_region_the_dispatcher_serves(client: httpx.AsyncClient, db: AsyncSession) -> None:
    crew, elsewhere = await rr.team(db), await rr.team(db)
    for region_id in (gid(elsewhere.region), encode_global_id("Region", uuid.uuid4())):
        error = await user_error(
            client, "incidentReport", _report(crew, regionId=region_id), crew.dispatcher, SELECT
        )  # fmt: skip
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "regionId")
    assert await db.scalar(select(func.count()).where(RapidResponseIncident.region_id == elsewhere.region.id)) == 0
