"""Accompaniment rules over HTTP: every lifecycle pair, who may call what, whose rows, and bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AccompanimentAssignment, AccompanimentRequest
from api.models.enums import AccompanimentStatus, AssignmentStatus, Role
from api.schema.engine.ids import encode_global_id
from api.services.accompaniment.requests import expire_unfilled
from api.services.shared.lifecycles import AssignmentAction, RequestAction
from tests.accompaniment.factories import REQUEST, Network, assignment, fresh, network, request, submission
from tests.graphql import gid
from tests.proofs import lifecycle_oracle as oracle
from tests.workflow import actor, forbidden, ok, user_error

ANSWER = REQUEST + " accompanimentAssignment { id status version }"
BY_ACTION = {
    RequestAction.TRIAGE: "accompanimentRequestTriage",
    RequestAction.OFFER: "accompanimentRequestOffer",
    RequestAction.CONFIRM: "accompanimentRequestConfirm",
    RequestAction.COMPLETE: "accompanimentRequestComplete",
    RequestAction.CANCEL: "accompanimentRequestCancel",
}


async def _assignments(db: AsyncSession, row: AccompanimentRequest) -> dict[uuid.UUID, AssignmentStatus]:
    rows = await db.execute(
        select(AccompanimentAssignment.member_id, AccompanimentAssignment.status).where(
            AccompanimentAssignment.request_id == row.id
        )
    )
    return {row.member_id: row.status for row in rows}


def _values(net: Network, row: AccompanimentRequest, action: RequestAction) -> dict[str, Any]:
    extra: dict[RequestAction, dict[str, Any]] = {
        RequestAction.OFFER: {"volunteers": [{"memberId": gid(net.colleague.member), "role": "DRIVER"}]},
        RequestAction.COMPLETE: {"outcome": "ATTENDED"},
    }
    return {"id": gid(row), "expectedVersion": 1} | extra.get(action, {})


@pytest.mark.parametrize("status", list(AccompanimentStatus))
@pytest.mark.parametrize("action", list(BY_ACTION))
async def test_every_request_state_and_coordinator_action(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: AccompanimentStatus, action: RequestAction
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, status)
    await assignment(db, row, net.volunteer, AssignmentStatus.ACCEPTED)
    name = BY_ACTION[action]
    if oracle.allowed(oracle.ACCOMPANIMENT_REQUEST, status, action):
        payload = await ok(client, name, _values(net, row, action), net.coordinator, REQUEST)
        target = AccompanimentStatus(oracle.target(oracle.ACCOMPANIMENT_REQUEST, status, action))
        assert (payload["accompanimentRequest"]["status"], payload["accompanimentRequest"]["version"]) == (
            target.value,
            2,
        )
        closes = target in {AccompanimentStatus.COMPLETED, AccompanimentStatus.CANCELLED}
        assert ((await fresh(db, row)).closed_at is not None) is closes
    else:
        error = await user_error(client, name, _values(net, row, action), net.coordinator, REQUEST)
        assert (error["code"], error["field"]) == ("ILLEGAL_TRANSITION", None)
        stored = await fresh(db, row)
        assert (stored.status, stored.version, stored.closed_at) == (status, 1, None)
        assert await _assignments(db, row) == {net.volunteer.id: AssignmentStatus.ACCEPTED}


@pytest.mark.parametrize("status", list(AccompanimentStatus))
async def test_every_request_state_and_expiry(db: AsyncSession, sealer: Sealer, status: AccompanimentStatus) -> None:
    net = await network(db, sealer)
    now = datetime.now(UTC)
    passed = await request(db, sealer, net, status, appointment_at=now - timedelta(hours=1))
    upcoming = await request(db, sealer, net, status, appointment_at=now + timedelta(hours=1))
    expired = await expire_unfilled(db, now)
    passed, upcoming = await fresh(db, passed), await fresh(db, upcoming)
    assert (upcoming.status, upcoming.version) == (status, 1)
    if oracle.allowed(oracle.ACCOMPANIMENT_REQUEST, status, RequestAction.EXPIRE):
        assert expired >= 1
        assert (passed.status, passed.closed_at, passed.version) == (AccompanimentStatus.UNFILLED, now, 2)
    else:
        assert (passed.status, passed.closed_at, passed.version) == (status, None, 1)


@pytest.mark.parametrize("status", list(AccompanimentStatus))
@pytest.mark.parametrize("answer", [AssignmentAction.ACCEPT, AssignmentAction.DECLINE])
async def test_volunteers_answer_only_while_the_request_is_matching_or_confirmed(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: AccompanimentStatus, answer: AssignmentAction
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, status)
    start = AssignmentStatus.INVITED if answer is AssignmentAction.ACCEPT else AssignmentStatus.ACCEPTED
    mine = await assignment(db, row, net.volunteer, start)
    name = f"accompanimentAssignment{answer.value.title()}"
    if status in {AccompanimentStatus.MATCHING, AccompanimentStatus.CONFIRMED}:
        payload = await ok(client, name, {"id": gid(mine), "expectedVersion": 1}, net.volunteer, ANSWER)
        assert payload["accompanimentAssignment"]["status"] == oracle.target(
            oracle.ACCOMPANIMENT_ASSIGNMENT, start, answer
        )
        # the only accepted volunteer of a confirmed request declined: it is matched again (REOPEN)
        reopens = status is AccompanimentStatus.CONFIRMED and answer is AssignmentAction.DECLINE
        expected = (
            AccompanimentStatus(oracle.target(oracle.ACCOMPANIMENT_REQUEST, status, RequestAction.REOPEN))
            if reopens
            else status
        )
        assert (await fresh(db, row)).status is expected
        assert payload["accompanimentRequest"]["version"] == (2 if reopens else 1)
    else:
        error = await user_error(client, name, {"id": gid(mine)}, net.volunteer, ANSWER)
        assert error["code"] == "ILLEGAL_TRANSITION"
        assert ((await fresh(db, mine)).status, (await fresh(db, row)).version) == (start, 1)


async def test_a_confirmed_request_stays_confirmed_while_another_volunteer_has_accepted(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.CONFIRMED)
    mine = await assignment(db, row, net.volunteer, AssignmentStatus.ACCEPTED)
    await assignment(db, row, net.colleague, AssignmentStatus.ACCEPTED)
    await ok(client, "accompanimentAssignmentDecline", {"id": gid(mine)}, net.volunteer)
    stored = await fresh(db, row)
    assert (stored.status, stored.version) == (AccompanimentStatus.CONFIRMED, 1)


@pytest.mark.parametrize("start", list(AssignmentStatus))
@pytest.mark.parametrize("answer", [AssignmentAction.ACCEPT, AssignmentAction.DECLINE])
async def test_every_assignment_state_and_answer(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, start: AssignmentStatus, answer: AssignmentAction
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.MATCHING)
    mine = await assignment(db, row, net.volunteer, start)
    name = f"accompanimentAssignment{answer.value.title()}"
    values = {"id": gid(mine), "expectedVersion": 1}
    if oracle.allowed(oracle.ACCOMPANIMENT_ASSIGNMENT, start, answer):
        payload = await ok(client, name, values, net.volunteer, ANSWER)
        answered = payload["accompanimentAssignment"]
        assert (answered["status"], answered["version"]) == (
            oracle.target(oracle.ACCOMPANIMENT_ASSIGNMENT, start, answer),
            2,
        )
    else:
        assert (await user_error(client, name, values, net.volunteer, ANSWER))["code"] == "ILLEGAL_TRANSITION"
        stored = await fresh(db, mine)
        assert (stored.status, stored.version) == (start, 1)


@pytest.mark.parametrize("start", list(AssignmentStatus))
async def test_every_assignment_state_at_completion(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, start: AssignmentStatus
) -> None:
    """COMPLETE applies to accepted volunteers; NO_SHOW to those reported missing, only if they had accepted."""
    net = await network(db, sealer)
    completed, reported = await request(db, sealer, net, AccompanimentStatus.CONFIRMED), None
    mine = await assignment(db, completed, net.volunteer, start)
    await ok(client, "accompanimentRequestComplete", {"id": gid(completed), "outcome": "ATTENDED"}, net.coordinator)
    allowed = oracle.allowed(oracle.ACCOMPANIMENT_ASSIGNMENT, start, AssignmentAction.COMPLETE)
    expected = (
        AssignmentStatus(oracle.target(oracle.ACCOMPANIMENT_ASSIGNMENT, start, AssignmentAction.COMPLETE))
        if allowed
        else start
    )
    assert (await fresh(db, mine)).status is expected

    reported = await request(db, sealer, net, AccompanimentStatus.CONFIRMED)
    missing = await assignment(db, reported, net.colleague, start)
    values = {"id": gid(reported), "outcome": "ATTENDED", "noShowAssignmentIds": [gid(missing)]}
    if oracle.allowed(oracle.ACCOMPANIMENT_ASSIGNMENT, start, AssignmentAction.NO_SHOW):
        await ok(client, "accompanimentRequestComplete", values, net.coordinator)
        assert (await fresh(db, missing)).status is AssignmentStatus.NO_SHOW
    else:
        error = await user_error(client, "accompanimentRequestComplete", values, net.coordinator, REQUEST)
        assert error["code"] == "ILLEGAL_TRANSITION"
        assert ((await fresh(db, missing)).status, (await fresh(db, reported)).status) == (
            start,
            AccompanimentStatus.CONFIRMED,
        )


ALLOWED = {
    "accompanimentRequestSubmit": {Role.LEGAL_ADVOCATE, Role.ACCOMPANIMENT_COORDINATOR},
    "accompanimentRequestTriage": {Role.ACCOMPANIMENT_COORDINATOR},
    "accompanimentRequestOffer": {Role.ACCOMPANIMENT_COORDINATOR},
    "accompanimentRequestConfirm": {Role.ACCOMPANIMENT_COORDINATOR},
    "accompanimentRequestComplete": {Role.ACCOMPANIMENT_COORDINATOR, Role.ACCOMPANIER},
    "accompanimentRequestCancel": {Role.ACCOMPANIMENT_COORDINATOR, Role.LEGAL_ADVOCATE},
    "accompanimentAssignmentAccept": {Role.ACCOMPANIER},
    "accompanimentAssignmentDecline": {Role.ACCOMPANIER},
}


@pytest.mark.parametrize("role", list(Role))
async def test_roles_that_may_not_call_a_mutation_are_refused_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, role: Role
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.MATCHING, congregation_id=None)
    mine = await assignment(db, row, net.volunteer, AssignmentStatus.INVITED)
    # the caller is in the requesting organization, so only the role table stands in the way
    caller = await actor(db, net.legal_aid, role, trained_until=datetime.now(UTC) + timedelta(days=300))
    inputs = {
        "accompanimentRequestSubmit": submission(net),
        "accompanimentRequestTriage": {"id": gid(row)},
        "accompanimentRequestOffer": {"id": gid(row), "volunteers": [{"memberId": gid(caller.member), "role": "LEAD"}]},
        "accompanimentRequestConfirm": {"id": gid(row)},
        "accompanimentRequestComplete": {"id": gid(row), "outcome": "DETAINED"},
        "accompanimentRequestCancel": {"id": gid(row)},
        "accompanimentAssignmentAccept": {"id": gid(mine)},
        "accompanimentAssignmentDecline": {"id": gid(mine)},
    }
    refused = [name for name, roles in ALLOWED.items() if role not in roles]
    for name in refused:
        await forbidden(client, name, inputs[name], caller)
    stored = await fresh(db, row)
    assert (stored.status, stored.version) == (AccompanimentStatus.MATCHING, 1)
    assert (await fresh(db, mine)).status is AssignmentStatus.INVITED
    count = select(func.count()).where(AccompanimentRequest.organization_id == net.legal_aid.id)
    assert await db.scalar(count) == 1
    assert len(refused) == len(ALLOWED) - sum(role in roles for roles in ALLOWED.values())


async def test_rows_of_other_organizations_are_not_found_and_stay_unchanged(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net, other = await network(db, sealer), await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.CONFIRMED)  # routed to net's congregation
    mine = await assignment(db, row, net.volunteer, AssignmentStatus.ACCEPTED)
    invited = await assignment(db, row, net.colleague, AssignmentStatus.INVITED)
    attempts: list[tuple[str, dict[str, Any], Any]] = [
        *((name, _values(net, row, action), other.coordinator) for action, name in BY_ACTION.items()),
        ("accompanimentRequestCancel", {"id": gid(row)}, other.advocate),
        ("accompanimentAssignmentAccept", {"id": gid(invited)}, other.volunteer),
        ("accompanimentAssignmentDecline", {"id": gid(mine)}, other.volunteer),
        ("accompanimentAssignmentDecline", {"id": gid(mine)}, net.colleague),  # someone else's assignment
        ("accompanimentRequestComplete", {"id": gid(row), "outcome": "DETAINED"}, net.colleague),  # only invited
        ("accompanimentRequestComplete", {"id": gid(row), "outcome": "DETAINED"}, other.volunteer),
        ("accompanimentRequestTriage", {"id": encode_global_id("AccompanimentRequest", uuid.uuid4())}, net.coordinator),
    ]
    for name, values, who in attempts:
        error = await user_error(client, name, values, who, REQUEST)
        assert (error["code"], error["field"]) == ("NOT_FOUND", "id"), name
    stored = await fresh(db, row)
    assert (stored.status, stored.version, stored.incident_id) == (AccompanimentStatus.CONFIRMED, 1, None)
    assert await _assignments(db, row) == {
        net.volunteer.id: AssignmentStatus.ACCEPTED,
        net.colleague.id: AssignmentStatus.INVITED,
    }


async def test_a_legal_advocate_cancels_its_request_and_answers_stay_on_record(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.MATCHING)
    await assignment(db, row, net.volunteer, AssignmentStatus.ACCEPTED)
    await assignment(db, row, net.colleague, AssignmentStatus.INVITED)
    payload = await ok(
        client, "accompanimentRequestCancel", {"id": gid(row), "expectedVersion": 1}, net.advocate, REQUEST
    )
    assert payload["accompanimentRequest"]["status"] == "CANCELLED"
    assert (await fresh(db, row)).closed_at is not None
    assert await _assignments(db, row) == {
        net.volunteer.id: AssignmentStatus.ACCEPTED,
        net.colleague.id: AssignmentStatus.INVITED,
    }


async def test_confirming_needs_an_accepted_volunteer(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.MATCHING)
    await assignment(db, row, net.volunteer, AssignmentStatus.INVITED)
    await assignment(db, row, net.colleague, AssignmentStatus.DECLINED)
    error = await user_error(client, "accompanimentRequestConfirm", {"id": gid(row)}, net.coordinator, REQUEST)
    assert (error["code"], error["field"]) == ("NO_ACCEPTED_VOLUNTEER", None)
    stored = await fresh(db, row)
    assert (stored.status, stored.version) == (AccompanimentStatus.MATCHING, 1)


async def test_a_legal_advocate_who_also_coordinates_triages_only_as_a_coordinator(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net)  # submitted by the legal aid group, routed to the team's congregation
    both = await actor(db, net.legal_aid, Role.LEGAL_ADVOCATE, Role.ACCOMPANIMENT_COORDINATOR)

    error = await user_error(client, "accompanimentRequestTriage", {"id": gid(row)}, both, REQUEST)

    assert (error["code"], error["field"]) == ("NOT_FOUND", "id")  # its organization submitted it: no tie to triage
    stored = await fresh(db, row)
    assert (stored.status, stored.version) == (AccompanimentStatus.SUBMITTED, 1)
