"""What an ended tie no longer lets one do, through the mutations over HTTP (the world of
``tests/proofs/world_history.py``; expectations by hand from the roles table of /work/shared/domain.md).

Each refusal has a control: the same mutation through a live tie reaches the record (it succeeds, or
fails on the lifecycle rather than as NOT_FOUND), so a rule that is too strict fails as well.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import IncidentDispatch
from tests.graphql import gql
from tests.proofs.world_history import build_history
from tests.workflow import call

EXACT = "query($id: ID!) { node(id: $id) { ... on RapidResponseIncident { exactLocation } } }"


def _volunteer(key: str) -> Any:
    return lambda w: {"id": w.gid("R1"), "volunteers": [{"memberId": w.gid(key), "role": "SUPPORT"}]}


def _entry(kind: str) -> Any:
    return lambda w: {"incidentId": w.gid("I1"), "kind": kind, "note": "History entry, written after the fact"}


def _by_id(name: str) -> Any:
    return lambda w: {"id": w.gid(name)}


# (viewer, mutation, input from the world, expected: OK or the user error code). NOT_FOUND: the row is
# outside what the viewer may change (reported like a missing id).
OPERATIONS: list[tuple[str, str, Any, str]] = [
    # a responder releases and arrives on its own dispatch only; release ends its dispatch once
    ("rr_responder@RR", "incidentDispatchRelease", _by_id("D_live"), "NOT_FOUND"),
    ("rr_responder2@RR", "incidentDispatchRelease", _by_id("D_live"), "OK"),  # control: its own
    ("rr_dispatcher@RR", "incidentDispatchRelease", _by_id("D_live"), "OK"),  # control: the region's dispatcher
    ("rr_responder@RR", "incidentDispatchRelease", _by_id("D_released"), "ALREADY_RELEASED"),
    ("rr_responder@RR", "incidentDispatchArrive", _by_id("D_released"), "ILLEGAL_TRANSITION"),
    ("rr_responder@RR", "incidentDispatchArrive", _by_id("D_live"), "NOT_FOUND"),
    ("rr_responder@RR", "incidentTimelineAdd", _entry("DEBRIEF"), "OK"),  # a released responder still debriefs
    ("rr_responder2@RR", "incidentTimelineAdd", _entry("NOTE"), "OK"),
    # a declined invitation is answered; a colleague's is not one's own
    ("accompanier@A", "accompanimentAssignmentAccept", _by_id("AA_declined"), "ILLEGAL_TRANSITION"),
    ("accompanier@A", "accompanimentAssignmentDecline", _by_id("AA_live"), "NOT_FOUND"),
    ("accompanier2@A", "accompanimentAssignmentDecline", _by_id("AA_live"), "OK"),  # control
    # completing needs an accepted assignment: the decliner has none (the assignee reaches the lifecycle)
    ("accompanier@A", "accompanimentRequestComplete", lambda w: {"id": w.gid("R1"), "outcome": "ATTENDED"},
     "NOT_FOUND"),
    ("accompanier2@A", "accompanimentRequestComplete", lambda w: {"id": w.gid("R1"), "outcome": "ATTENDED"},
     "ILLEGAL_TRANSITION"),
    # only active volunteers with an unexpired accompaniment training can be offered
    ("accompaniment_coordinator@A", "accompanimentRequestOffer", _volunteer("accompanier3@A"), "TRAINING_REQUIRED"),
    ("accompaniment_coordinator@A", "accompanimentRequestOffer", _volunteer("accompanier5@A"), "TRAINING_REQUIRED"),
    ("accompaniment_coordinator@A", "accompanimentRequestOffer", _volunteer("inactive@A"), "VOLUNTEER_NOT_FOUND"),
    ("accompaniment_coordinator@A", "accompanimentRequestOffer", _volunteer("accompanier4@A"), "OK"),  # control
    # a withdrawn volunteer completes nothing and withdraws once; it may sign up again
    ("hospitality_volunteer@A", "hospitalityShiftComplete", _by_id("S1"), "NOT_FOUND"),
    ("hospitality_volunteer2@A", "hospitalityShiftComplete", _by_id("S1"), "ILLEGAL_TRANSITION"),  # reopened: OPEN
    ("hospitality_volunteer@A", "hospitalityShiftWithdraw", _by_id("S1"), "ILLEGAL_TRANSITION"),
    ("hospitality_volunteer@A", "hospitalityShiftSignUp", _by_id("S1"), "OK"),
    # a cancelled request takes no more answers or completions
    ("accompanier2@A", "accompanimentAssignmentDecline", _by_id("AA_cancelled"), "ILLEGAL_TRANSITION"),
    ("accompanier2@A", "accompanimentRequestComplete", lambda w: {"id": w.gid("R3"), "outcome": "ATTENDED"},
     "ILLEGAL_TRANSITION"),
    ("legal_advocate@L1", "accompanimentRequestCancel", _by_id("R3"), "ILLEGAL_TRANSITION"),
]  # fmt: skip


@pytest.mark.parametrize(("viewer", "mutation", "values", "expected"), OPERATIONS, ids=[
    f"{v}-{m}-{e}" for v, m, _i, e in OPERATIONS])  # fmt: skip
async def test_what_an_ended_tie_no_longer_lets_one_do(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sealer: Sealer,
    viewer: str,
    mutation: str,
    values: Any,
    expected: str,
) -> None:
    world = await build_history(db, sealer, client)
    body = await call(client, mutation, values(world), world.actors[viewer])
    assert "errors" not in body, body["errors"]
    errors = body["data"][mutation]["userErrors"]
    assert [e["code"] for e in errors] == ([] if expected == "OK" else [expected])


async def test_a_responder_cannot_release_a_co_dispatched_colleague(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    world = await build_history(db, sealer, client)
    body = await call(client, "incidentDispatchRelease", {"id": world.gid("D_live")}, world.actors["rr_responder@RR"])
    assert body["data"]["incidentDispatchRelease"]["userErrors"][0]["code"] == "NOT_FOUND"
    live = await db.get_one(IncidentDispatch, world.records["D_live"].id, populate_existing=True)
    assert live.released_at is None  # the colleague is still on the job, and still reads the address
    seen = await gql(client, EXACT, {"id": world.gid("I1")}, token=world.actors["rr_responder2@RR"].token)
    assert seen["data"]["node"] == {"exactLocation": "12 History Lane"}
