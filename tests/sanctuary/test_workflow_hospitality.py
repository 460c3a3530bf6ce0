"""Hospitality workflow over HTTP: coordinators schedule shifts, volunteers sign up, shifts are completed or missed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.permissions import MUTATIONS
from api.crypto import Sealer
from api.models import HospitalityShift, ShiftAssignment
from api.models.enums import AuditOutcome, Role, SanctuaryCaseStatus, ShiftAssignmentStatus, ShiftStatus
from api.services.shared.lifecycles import ShiftAction, ShiftSignupAction
from tests.graphql import gid
from tests.proofs import lifecycle_oracle as oracle
from tests.sanctuary import factories as fs
from tests.workflow import Actor, actor, call, forbidden, mutation_audit, ok, user_error

SHIFT = "hospitalityShift { id status version neededVolunteers startsAt assignments { status member { id } } }"
SA = ShiftAssignmentStatus
HOSPITALITY_MUTATIONS = sorted(name for name in MUTATIONS if name.startswith("hospitalityShift"))


def _new(case_id: str, **overrides: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=2)
    values = {"caseId": case_id, "startsAt": starts.isoformat(), "endsAt": (starts + timedelta(hours=6)).isoformat()}
    return values | {"neededVolunteers": 2} | overrides


async def _volunteer(db: AsyncSession, where: fs.Host) -> Actor:
    return await actor(db, where.org, Role.HOSPITALITY_VOLUNTEER)


async def _started(db: AsyncSession, shift_id: str) -> None:
    """Time passes: the shift has started."""
    started = datetime.now(UTC) - timedelta(minutes=1)
    await db.execute(
        update(HospitalityShift).where(HospitalityShift.id == fs.decode(shift_id)).values(starts_at=started)
    )


async def test_a_shift_is_filled_reopened_filled_again_and_completed(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    ana, ben, cy = [await _volunteer(db, where) for _ in range(3)]
    created = await ok(client, "hospitalityShiftCreate", _new(gid(case), neededVolunteers=2), where.coordinator, SHIFT)
    shift = created["hospitalityShift"]
    assert (shift["status"], shift["version"], shift["assignments"]) == ("OPEN", 1, [])
    sid = {"id": shift["id"]}
    assert (await ok(client, "hospitalityShiftSignUp", sid, ana, SHIFT))["hospitalityShift"]["status"] == "OPEN"
    filled = (await ok(client, "hospitalityShiftSignUp", sid, ben, SHIFT))["hospitalityShift"]
    assert (filled["status"], filled["version"]) == ("FILLED", 3)
    assert (await user_error(client, "hospitalityShiftSignUp", sid, cy, SHIFT))["code"] == "ILLEGAL_TRANSITION"
    reopened = (await ok(client, "hospitalityShiftWithdraw", sid, ben, SHIFT))["hospitalityShift"]
    assert reopened["status"] == "OPEN"
    assert (await ok(client, "hospitalityShiftSignUp", sid, ben, SHIFT))["hospitalityShift"]["status"] == "FILLED"
    row = await db.get_one(HospitalityShift, fs.decode(shift["id"]))
    assert await fs.signups(db, row) == {ana.id: SA.SIGNED_UP, ben.id: SA.SIGNED_UP}  # ben's sign-up re-activated
    assert await fs.count(db, ShiftAssignment, ShiftAssignment.shift_id == row.id) == 2
    await _started(db, shift["id"])
    done = (await ok(client, "hospitalityShiftComplete", sid, where.coordinator, SHIFT))["hospitalityShift"]
    assert done["status"] == "COMPLETED"
    assert sorted(a["status"] for a in done["assignments"]) == ["ATTENDED", "ATTENDED"]
    audit = await mutation_audit(db, ben)
    assert sorted(name for name, _, _ in audit) == [
        "hospitalityShiftSignUp", "hospitalityShiftSignUp", "hospitalityShiftWithdraw"
    ]  # fmt: skip
    assert all(ids == [row.id] and outcome is AuditOutcome.ALLOWED for _, outcome, ids in audit)
    assert [(n, o) for n, o, _ in await mutation_audit(db, cy)] == [("hospitalityShiftSignUp", AuditOutcome.FAILED)]
    coordinator = sorted(name for name, _, _ in await mutation_audit(db, where.coordinator))
    assert coordinator == ["hospitalityShiftComplete", "hospitalityShiftCreate"]


@pytest.mark.parametrize("status", list(ShiftStatus))
@pytest.mark.parametrize("action", [ShiftAction.COMPLETE, ShiftAction.MISS])
async def test_every_shift_state_for_complete_and_miss(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: ShiftStatus, action: ShiftAction
) -> None:
    where = await fs.host(db)
    row = await fs.shift(db, await fs.case(db, sealer, where), status, starts_in=timedelta(hours=-1))
    volunteer = await _volunteer(db, where)
    settled = {ShiftStatus.COMPLETED: SA.ATTENDED, ShiftStatus.MISSED: SA.ABSENT}
    await fs.signup(db, row, volunteer, settled.get(status, SA.SIGNED_UP))
    name = "hospitalityShiftComplete" if action is ShiftAction.COMPLETE else "hospitalityShiftMiss"
    values = {"id": gid(row), "expectedVersion": 1}
    if oracle.allowed(oracle.HOSPITALITY_SHIFT, status, action):
        moved = (await ok(client, name, values, where.coordinator, SHIFT))["hospitalityShift"]
        assert (moved["status"], moved["version"]) == (oracle.target(oracle.HOSPITALITY_SHIFT, status, action), 2)
        expected = SA.ATTENDED if action is ShiftAction.COMPLETE else SA.ABSENT
        assert await fs.signups(db, row) == {volunteer.id: expected}
    else:
        error = await user_error(client, name, values, where.coordinator, SHIFT)
        assert (error["code"], error["field"]) == ("ILLEGAL_TRANSITION", None)
        await db.refresh(row)
        assert (row.status, row.version) == (status, 1)
        assert await fs.signups(db, row) == {volunteer.id: settled.get(status, SA.SIGNED_UP)}


@pytest.mark.parametrize("status", list(ShiftStatus))
async def test_every_shift_state_for_sign_up(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: ShiftStatus
) -> None:
    where = await fs.host(db)
    row = await fs.shift(db, await fs.case(db, sealer, where), status, needed=3)
    volunteer = await _volunteer(db, where)
    if status is ShiftStatus.OPEN:
        signed = (await ok(client, "hospitalityShiftSignUp", {"id": gid(row)}, volunteer, SHIFT))["hospitalityShift"]
        assert (signed["status"], signed["version"]) == ("OPEN", 2)
        assert await fs.signups(db, row) == {volunteer.id: SA.SIGNED_UP}
    else:
        error = await user_error(client, "hospitalityShiftSignUp", {"id": gid(row)}, volunteer, SHIFT)
        assert (error["code"], error["field"]) == ("ILLEGAL_TRANSITION", None)
        await db.refresh(row)
        assert (row.status, row.version) == (status, 1)
        assert await fs.signups(db, row) == {}


async def test_volunteers_complete_only_shifts_they_are_on_and_only_once_started(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    row = await fs.shift(db, await fs.case(db, sealer, where), ShiftStatus.FILLED, starts_in=timedelta(hours=1))
    on, off = await _volunteer(db, where), await _volunteer(db, where)
    await fs.signup(db, row, on)
    error = await user_error(client, "hospitalityShiftComplete", {"id": gid(row)}, off, SHIFT)
    assert (error["code"], error["field"]) == ("NOT_FOUND", "id")  # the write rule: only shifts you are on
    assert (await user_error(client, "hospitalityShiftComplete", {"id": gid(row)}, on, SHIFT))["code"] == (
        "SHIFT_NOT_STARTED"
    )
    await db.refresh(row)
    assert (row.status, row.version) == (ShiftStatus.FILLED, 1)
    await _started(db, gid(row))
    assert (await ok(client, "hospitalityShiftComplete", {"id": gid(row)}, on, SHIFT))["hospitalityShift"][
        "status"
    ] == "COMPLETED"


async def test_sign_up_rules_twice_started_and_withdrawing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    upcoming, begun = await fs.shift(db, case, needed=3), await fs.shift(db, case, starts_in=timedelta(minutes=-5))
    volunteer, stranger = await _volunteer(db, where), await _volunteer(db, where)
    await ok(client, "hospitalityShiftSignUp", {"id": gid(upcoming)}, volunteer, SHIFT)
    error = await user_error(client, "hospitalityShiftSignUp", {"id": gid(upcoming)}, volunteer, SHIFT)
    assert error["code"] == "ALREADY_SIGNED_UP"
    assert (await user_error(client, "hospitalityShiftSignUp", {"id": gid(begun)}, volunteer, SHIFT))["code"] == (
        "SHIFT_STARTED"
    )
    error = await user_error(client, "hospitalityShiftWithdraw", {"id": gid(upcoming)}, stranger, SHIFT)
    assert (error["code"], error["field"]) == ("NOT_FOUND", "id")  # no sign-up of theirs
    await fs.signup(db, begun, stranger)
    error = await user_error(client, "hospitalityShiftWithdraw", {"id": gid(begun)}, stranger, SHIFT)
    assert error["code"] == "SHIFT_STARTED"
    await ok(client, "hospitalityShiftWithdraw", {"id": gid(upcoming)}, volunteer, SHIFT)
    error = await user_error(client, "hospitalityShiftWithdraw", {"id": gid(upcoming)}, volunteer, SHIFT)
    assert error["code"] == "ILLEGAL_TRANSITION"  # already withdrawn
    assert await fs.signups(db, upcoming) == {volunteer.id: SA.WITHDRAWN}
    assert await fs.signups(db, begun) == {stranger.id: SA.SIGNED_UP}


@pytest.mark.parametrize("status", list(SanctuaryCaseStatus))
async def test_shifts_are_scheduled_only_for_cases_preparing_or_in_sanctuary(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: SanctuaryCaseStatus
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where, status)
    if status in (SanctuaryCaseStatus.PREPARING, SanctuaryCaseStatus.IN_SANCTUARY):
        shift = await ok(client, "hospitalityShiftCreate", _new(gid(case)), where.coordinator, SHIFT)
        assert shift["hospitalityShift"]["status"] == "OPEN"
    else:
        error = await user_error(client, "hospitalityShiftCreate", _new(gid(case)), where.coordinator, SHIFT)
        assert error["code"] == "ILLEGAL_TRANSITION"
        assert await fs.count(db, HospitalityShift, HospitalityShift.case_id == case.id) == 0


@dataclass(frozen=True)
class _AfterStart:
    """A time ``hours`` after the shift's start, computed when the test runs: a time computed at collection would
    drift as the run goes on (a shift ending 24.5 h after a start taken half an hour later is no longer too long)."""

    hours: float


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"neededVolunteers": 1}, "neededVolunteers"),
        ({"neededVolunteers": 0}, "neededVolunteers"),
        ({"neededVolunteers": 21}, "neededVolunteers"),
        ({"startsAt": "2030-01-01T10:00:00"}, "startsAt"),
        ({"startsAt": "2001-01-01T10:00:00+00:00"}, "startsAt"),
        ({"endsAt": _AfterStart(-1)}, "endsAt"),
        ({"endsAt": _AfterStart(0)}, "endsAt"),
        ({"endsAt": _AfterStart(24.5)}, "endsAt"),
        ({"idempotencyKey": ""}, "idempotencyKey"),
    ],
)
async def test_bad_shift_input_names_the_field_and_creates_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, overrides: dict[str, Any], field: str
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    starts = datetime.now(UTC) + timedelta(days=2)
    timed = {
        name: (starts + timedelta(hours=value.hours)).isoformat() if isinstance(value, _AfterStart) else value
        for name, value in overrides.items()
    }
    values = _new(gid(case), startsAt=starts.isoformat()) | timed
    error = await user_error(client, "hospitalityShiftCreate", values, where.coordinator, SHIFT)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert await fs.count(db, HospitalityShift, HospitalityShift.case_id == case.id) == 0


async def test_a_staffing_congregation_must_support_the_case_and_its_volunteers_may_then_sign_up(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where, helper, outsider = await fs.host(db), await fs.host(db), await fs.host(db)
    case = await fs.case(db, sealer, where)
    values = _new(gid(case), supportingCongregationId=gid(helper.congregation))
    error = await user_error(client, "hospitalityShiftCreate", values, where.coordinator, SHIFT)
    assert (error["code"], error["field"]) == ("NOT_A_SUPPORTER", "supportingCongregationId")
    await fs.supporter(db, case, helper.congregation)
    shift = (await ok(client, "hospitalityShiftCreate", values, where.coordinator, SHIFT))["hospitalityShift"]
    theirs, stranger = await _volunteer(db, helper), await _volunteer(db, outsider)
    error = await user_error(client, "hospitalityShiftSignUp", {"id": shift["id"]}, stranger, SHIFT)
    assert (error["code"], error["field"]) == ("NOT_FOUND", "id")
    signed = await ok(client, "hospitalityShiftSignUp", {"id": shift["id"]}, theirs, SHIFT)
    assert signed["hospitalityShift"]["startsAt"] is not None  # the staffing volunteer sees the time


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER}))
async def test_other_roles_may_not_touch_shifts(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, role: Role
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    row = await fs.shift(db, case, ShiftStatus.FILLED, starts_in=timedelta(hours=-1))
    other = await actor(db, where.org, role)  # even in the host organization
    calls = {
        "hospitalityShiftCreate": _new(gid(case)),
        "hospitalityShiftSignUp": {"id": gid(row)},
        "hospitalityShiftWithdraw": {"id": gid(row)},
        "hospitalityShiftComplete": {"id": gid(row)},
        "hospitalityShiftMiss": {"id": gid(row)},
    }
    assert sorted(calls) == HOSPITALITY_MUTATIONS
    for name, values in calls.items():
        await forbidden(client, name, values, other)
    await db.refresh(row)
    assert (row.status, row.version) == (ShiftStatus.FILLED, 1)
    assert await fs.count(db, HospitalityShift, HospitalityShift.case_id == case.id) == 1


async def test_volunteers_may_not_schedule_or_miss_and_coordinators_may_not_sign_up(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    row = await fs.shift(db, case)
    volunteer = await _volunteer(db, where)
    await forbidden(client, "hospitalityShiftCreate", _new(gid(case)), volunteer)
    await forbidden(client, "hospitalityShiftMiss", {"id": gid(row)}, volunteer)
    await forbidden(client, "hospitalityShiftSignUp", {"id": gid(row)}, where.coordinator)
    await forbidden(client, "hospitalityShiftWithdraw", {"id": gid(row)}, where.coordinator)
    await db.refresh(row)
    assert (row.status, row.version) == (ShiftStatus.OPEN, 1)
    assert await fs.signups(db, row) == {}


async def test_another_organizations_cases_and_shifts_are_not_found(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    owner, stranger = await fs.host(db), await fs.host(db)
    case = await fs.case(db, sealer, owner)
    started = await fs.shift(db, case, ShiftStatus.FILLED, starts_in=timedelta(hours=-1))
    error = await user_error(client, "hospitalityShiftCreate", _new(gid(case)), stranger.coordinator, SHIFT)
    assert (error["code"], error["field"]) == ("NOT_FOUND", "caseId")
    for name in ("hospitalityShiftComplete", "hospitalityShiftMiss"):
        error = await user_error(client, name, {"id": gid(started)}, stranger.coordinator, SHIFT)
        assert (error["code"], error["field"]) == ("NOT_FOUND", "id")
    await db.refresh(started)
    assert (started.status, started.version) == (ShiftStatus.FILLED, 1)
    assert await fs.count(db, HospitalityShift, HospitalityShift.case_id == case.id) == 1


async def test_replayed_create_returns_the_first_shift_and_creates_nothing_new(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    case = await fs.case(db, sealer, where)
    values = _new(gid(case), idempotencyKey="shift-7")
    first = await ok(client, "hospitalityShiftCreate", values, where.coordinator, SHIFT)
    assert await ok(client, "hospitalityShiftCreate", values, where.coordinator, SHIFT) == first
    error = await user_error(client, "hospitalityShiftCreate", values | {"neededVolunteers": 3}, where.coordinator)
    assert (error["code"], error["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    assert await fs.count(db, HospitalityShift, HospitalityShift.case_id == case.id) == 1


async def _live_shift(
    live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer, volunteers: int, **shift: Any
) -> tuple[fs.Host, HospitalityShift, list[Actor]]:
    async with live_sessions() as session:
        where = await fs.host(session)
        row = await fs.shift(session, await fs.case(session, sealer, where), **shift)
        people = [await _volunteer(session, where) for _ in range(volunteers)]
        await session.commit()
    return where, row, people


async def test_volunteers_racing_for_the_last_places_never_overfill_a_shift(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    _, row, people = await _live_shift(live_sessions, sealer, 5, needed=2)
    bodies = await asyncio.gather(
        *(call(live_client, "hospitalityShiftSignUp", {"id": gid(row)}, who, SHIFT) for who in people)
    )
    results = [body["data"]["hospitalityShiftSignUp"] for body in bodies]
    codes = sorted(tuple(error["code"] for error in result["userErrors"]) for result in results)
    assert codes == [(), (), ("ILLEGAL_TRANSITION",), ("ILLEGAL_TRANSITION",), ("ILLEGAL_TRANSITION",)]
    async with live_sessions() as session:
        stored = await session.get_one(HospitalityShift, row.id)
        assert stored.status is ShiftStatus.FILLED
        assert list((await fs.signups(session, row)).values()) == [SA.SIGNED_UP, SA.SIGNED_UP]


async def test_two_volunteers_for_the_last_slot_one_gets_it(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    _, row, (first, second, third) = await _live_shift(live_sessions, sealer, 3, needed=2)
    async with live_sessions() as session:
        await fs.signup(session, row, first)
        await session.commit()
    bodies = await asyncio.gather(
        *(call(live_client, "hospitalityShiftSignUp", {"id": gid(row)}, who, SHIFT) for who in (second, third))
    )
    winners = [body["data"]["hospitalityShiftSignUp"]["hospitalityShift"] for body in bodies]
    assert sorted(str(w and w["status"]) for w in winners) == ["FILLED", "None"]
    async with live_sessions() as session:
        assert await fs.count(session, ShiftAssignment, ShiftAssignment.shift_id == row.id) == 2


async def test_concurrent_complete_and_miss_one_wins_one_conflicts(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    where, row, (volunteer,) = await _live_shift(
        live_sessions, sealer, 1, status=ShiftStatus.FILLED, starts_in=timedelta(hours=-1)
    )
    async with live_sessions() as session:
        await fs.signup(session, row, volunteer)
        await session.commit()
    values = {"id": gid(row), "expectedVersion": 1}
    bodies = await asyncio.gather(
        call(live_client, "hospitalityShiftComplete", values, where.coordinator, SHIFT),
        call(live_client, "hospitalityShiftMiss", values, where.coordinator, SHIFT),
    )
    results = [
        body["data"][name]
        for body, name in zip(bodies, ("hospitalityShiftComplete", "hospitalityShiftMiss"), strict=True)
    ]
    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [(), ("CONFLICT",)]
    winner = next(r for r in results if not r["userErrors"])["hospitalityShift"]
    async with live_sessions() as session:
        stored = await session.get_one(HospitalityShift, row.id)
        signups = await fs.signups(session, row)
    assert (stored.status.value, stored.version) == (winner["status"], 2)
    assert signups == {volunteer.id: SA.ATTENDED if winner["status"] == "COMPLETED" else SA.ABSENT}


@pytest.mark.parametrize(
    "status", [SanctuaryCaseStatus.EXITED, SanctuaryCaseStatus.CLOSED, SanctuaryCaseStatus.DECLINED]
)
async def test_no_sign_ups_once_the_guest_has_left_sanctuary(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: SanctuaryCaseStatus
) -> None:
    where = await fs.host(db)
    volunteer = await actor(db, where.org, Role.HOSPITALITY_VOLUNTEER)
    case = await fs.case(db, sealer, where, status)
    shift = await fs.shift(db, case)
    error = await user_error(client, "hospitalityShiftSignUp", {"id": gid(shift)}, volunteer, SHIFT)
    assert error["code"] == "ILLEGAL_TRANSITION"
    assert await fs.signups(db, shift) == {}


@pytest.mark.parametrize("start", list(SA))
@pytest.mark.parametrize("action", [ShiftSignupAction.SIGN_UP_AGAIN, ShiftSignupAction.WITHDRAW])
async def test_every_sign_up_state_for_signing_up_again_and_withdrawing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, start: ShiftAssignmentStatus, action: str
) -> None:
    """The volunteer's own place on an open shift, from each state, per the written table."""
    where = await fs.host(db)
    row = await fs.shift(db, await fs.case(db, sealer, where), ShiftStatus.OPEN, needed=3)
    volunteer = await _volunteer(db, where)
    await fs.signup(db, row, volunteer, start)
    name = "hospitalityShiftSignUp" if action is ShiftSignupAction.SIGN_UP_AGAIN else "hospitalityShiftWithdraw"
    if oracle.allowed(oracle.SHIFT_SIGNUP, start, action):
        await ok(client, name, {"id": gid(row)}, volunteer, SHIFT)
        assert await fs.signups(db, row) == {volunteer.id: SA(oracle.target(oracle.SHIFT_SIGNUP, start, action))}
    else:
        body = await call(client, name, {"id": gid(row)}, volunteer, SHIFT)
        assert "errors" not in body, body
        assert body["data"][name]["userErrors"], body  # refused as a user error
        assert await fs.signups(db, row) == {volunteer.id: start}


@pytest.mark.parametrize("start", list(SA))
@pytest.mark.parametrize("action", [ShiftAction.COMPLETE, ShiftAction.MISS])
async def test_settling_a_shift_moves_each_sign_up_per_the_written_table(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, start: ShiftAssignmentStatus, action: ShiftAction
) -> None:
    """Completing a shift makes its signed-up volunteers ATTENDED, missing it ABSENT; other places stay."""
    where = await fs.host(db)
    row = await fs.shift(db, await fs.case(db, sealer, where), ShiftStatus.FILLED, starts_in=timedelta(hours=-1))
    volunteer = await _volunteer(db, where)
    await fs.signup(db, row, volunteer, start)
    name = "hospitalityShiftComplete" if action is ShiftAction.COMPLETE else "hospitalityShiftMiss"
    await ok(client, name, {"id": gid(row)}, where.coordinator, SHIFT)
    step = ShiftSignupAction.ATTEND if action is ShiftAction.COMPLETE else ShiftSignupAction.MISS
    moved = oracle.outcome(oracle.SHIFT_SIGNUP, start, step)
    assert await fs.signups(db, row) == {volunteer.id: SA(moved) if moved else start}
