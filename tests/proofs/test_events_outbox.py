"""The outbox: each change that matters writes exactly its event, in its transaction, and never a T2/T3 value.

The workflows of each activity (their own tests, run again here) drive the transitions over HTTP; the
events they leave are compared with what each step should write. A refused mutation (user error) or
one that fails after writing its event writes none. No canary (the tests' T2/T3 values) appears in
any event row.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import DomainEvent
from api.models.enums import (
    AccompanimentStatus,
    AdvocacyStatus,
    SanctuaryCaseStatus,
    ShiftStatus,
)
from api.models.enums import EventKind as K
from api.services.shared import events as outbox
from api.services.shared.lifecycles import (
    ACCOMPANIMENT_REQUEST,
    ADVOCACY_ACTION,
    HOSPITALITY_SHIFT,
    SANCTUARY_CASE,
    AdvocacyActionStep,
    RequestAction,
    SanctuaryCaseAction,
    ShiftAction,
)
from tests.accompaniment import test_workflow_accompaniment as accompaniment
from tests.accompaniment import test_workflow_accompaniment_rules as accompaniment_rules
from tests.advocacy import test_workflow_advocacy as advocacy
from tests.canaries import CANARIES
from tests.network import test_workflow_admin_members as members
from tests.rapid_response import factories as rr
from tests.rapid_response import test_workflow_rapid_response as rapid
from tests.sanctuary import test_workflow_burn as burn
from tests.sanctuary import test_workflow_hospitality as hospitality
from tests.sanctuary import test_workflow_sanctuary as sanctuary
from tests.workflow import call


async def _events(db: AsyncSession) -> list[DomainEvent]:
    return list(await db.scalars(select(DomainEvent).order_by(DomainEvent.id)))


async def _kinds(db: AsyncSession) -> list[K]:
    return [event.kind for event in await _events(db)]


async def _no_canary_in_events(db: AsyncSession) -> None:
    rows = (await db.execute(text("SELECT row_to_json(e)::text FROM domain_event e"))).scalars().all()
    assert rows
    assert CANARIES
    assert [value for value in CANARIES for row in rows if value in row] == []


async def test_rapid_response_writes_each_step_with_its_record_region_and_actor(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    await rapid.test_report_verify_dispatch_confirm_broadcast_retract_and_close(client, db, sealer)
    events = await _events(db)
    assert [event.kind for event in events] == [
        K.INCIDENT_REPORTED, K.INCIDENT_VERIFICATION_CHANGED, K.RESPONDER_DISPATCHED,
        K.INCIDENT_STATUS_CHANGED,  # the first dispatch activates the incident
        K.RESPONDER_ARRIVED, K.INCIDENT_VERIFICATION_CHANGED, K.INCIDENT_BROADCAST, K.INCIDENT_RETRACTED,
        K.INCIDENT_STATUS_CHANGED, K.INCIDENT_CLOSED,
    ]  # fmt: skip
    incident_ids = {event.record_id for event in events if event.record_type == "rapid_response_incident"}
    assert len(incident_ids) == 1
    assert {event.record_type for event in events} == {"rapid_response_incident", "incident_dispatch"}
    assert len({event.region_id for event in events}) == 1
    assert events[0].region_id is not None
    assert len({tuple(event.organization_ids) for event in events}) == 1
    assert all(event.actor_member_id is not None for event in events)
    assert [event.id for event in events] == sorted(event.id for event in events)
    await _no_canary_in_events(db)


async def test_accompaniment_writes_each_step(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer) -> None:
    await accompaniment.test_legal_advocate_request_is_matched_confirmed_and_completed_with_its_audit_trail(
        client, db, sealer
    )
    events = await _events(db)
    assert [event.kind for event in events] == [
        K.REQUEST_SUBMITTED, K.REQUEST_TRIAGED, K.REQUEST_MATCHING, K.ASSIGNMENT_OFFERED, K.ASSIGNMENT_OFFERED,
        K.ASSIGNMENT_ACCEPTED, K.ASSIGNMENT_DECLINED, K.REQUEST_CONFIRMED, K.REQUEST_COMPLETED,
    ]  # fmt: skip
    offered = [event for event in events if event.kind is K.ASSIGNMENT_OFFERED]
    assert {event.record_type for event in offered} == {"accompaniment_assignment"}
    assert len(offered[0].organization_ids) == 2  # the requesting organization and the volunteers'
    await _no_canary_in_events(db)


async def test_sanctuary_case_and_its_shifts_write_each_step(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    await sanctuary.test_an_inquiry_walked_to_closed_with_supporters_consent_and_shifts(client, db, sealer)
    assert await _kinds(db) == [
        K.CASE_OPENED, K.CASE_STATUS_CHANGED, K.CASE_STATUS_CHANGED, K.CASE_STATUS_CHANGED, K.SHIFT_CREATED,
        K.SHIFT_FILLED, K.SHIFT_COMPLETED, K.CASE_STATUS_CHANGED, K.CASE_STATUS_CHANGED,
    ]  # fmt: skip
    await _no_canary_in_events(db)


async def test_a_shift_filled_reopened_and_completed(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    await hospitality.test_a_shift_is_filled_reopened_filled_again_and_completed(client, db, sealer)
    assert await _kinds(db) == [
        K.SHIFT_CREATED, K.SHIFT_FILLED, K.SHIFT_NEEDS_VOLUNTEERS, K.SHIFT_FILLED, K.SHIFT_COMPLETED
    ]  # fmt: skip


async def test_a_burn_requested_then_confirmed(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer) -> None:
    await burn.test_two_org_admins_burn_a_case_and_the_audit_log_attests_it(client, db, sealer)
    events = await _events(db)
    assert [event.kind for event in events] == [K.BURN_REQUESTED, K.BURN_CONFIRMED]
    assert {event.record_type for event in events} == {"sanctuary_case"}
    await _no_canary_in_events(db)


async def test_advocacy_and_member_deactivation(client: httpx.AsyncClient, db: AsyncSession) -> None:
    await advocacy.test_organizer_plans_announces_and_holds_an_action_that_the_public_then_sees(client, db)
    await members.test_org_admin_adds_a_member_changes_roles_records_training_and_deactivates(client, db)
    assert await _kinds(db) == [K.ADVOCACY_ANNOUNCED, K.ADVOCACY_HELD, K.MEMBER_DEACTIVATED]


SHIFT_KINDS = {ShiftAction.COMPLETE: K.SHIFT_COMPLETED, ShiftAction.MISS: K.SHIFT_MISSED}


@pytest.mark.parametrize("status", list(ShiftStatus))
@pytest.mark.parametrize("action", [ShiftAction.COMPLETE, ShiftAction.MISS])
async def test_every_shift_move_writes_its_event_and_a_refused_one_none(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: ShiftStatus, action: ShiftAction
) -> None:
    await hospitality.test_every_shift_state_for_complete_and_miss(client, db, sealer, status, action)
    allowed = HOSPITALITY_SHIFT.allows(status, action)
    assert await _kinds(db) == ([SHIFT_KINDS[action]] if allowed else [])


ADVOCACY_KINDS = {
    AdvocacyActionStep.ANNOUNCE: K.ADVOCACY_ANNOUNCED,
    AdvocacyActionStep.HOLD: K.ADVOCACY_HELD,
    AdvocacyActionStep.CANCEL: K.ADVOCACY_CANCELLED,
}


@pytest.mark.parametrize("status", list(AdvocacyStatus))
@pytest.mark.parametrize("step", list(AdvocacyActionStep))
async def test_every_advocacy_move_writes_its_event_and_a_refused_one_none(
    client: httpx.AsyncClient, db: AsyncSession, status: AdvocacyStatus, step: AdvocacyActionStep
) -> None:
    await advocacy.test_every_state_and_step(client, db, status, step)
    assert await _kinds(db) == ([ADVOCACY_KINDS[step]] if ADVOCACY_ACTION.allows(status, step) else [])


@pytest.mark.parametrize("status", list(SanctuaryCaseStatus))
@pytest.mark.parametrize("action", list(SanctuaryCaseAction))
async def test_every_case_move_writes_its_event_and_a_refused_one_none(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sealer: Sealer,
    status: SanctuaryCaseStatus,
    action: SanctuaryCaseAction,
) -> None:
    await sanctuary.test_every_state_and_action(client, db, sealer, status, action)
    allowed = SANCTUARY_CASE.allows(status, action)
    assert await _kinds(db) == ([K.CASE_STATUS_CHANGED] if allowed else [])


REQUEST_KINDS = {
    RequestAction.TRIAGE: K.REQUEST_TRIAGED,
    RequestAction.OFFER: K.REQUEST_MATCHING,
    RequestAction.CONFIRM: K.REQUEST_CONFIRMED,
    RequestAction.COMPLETE: K.REQUEST_COMPLETED,
    RequestAction.CANCEL: K.REQUEST_CANCELLED,
}


@pytest.mark.parametrize("status", list(AccompanimentStatus))
@pytest.mark.parametrize("action", list(accompaniment_rules.BY_ACTION))
async def test_every_request_move_writes_its_event_and_a_refused_one_none(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, status: AccompanimentStatus, action: RequestAction
) -> None:
    await accompaniment_rules.test_every_request_state_and_coordinator_action(client, db, sealer, status, action)
    kinds = [kind for kind in await _kinds(db) if kind is not K.ASSIGNMENT_OFFERED]
    if action is RequestAction.COMPLETE and K.INCIDENT_REPORTED in kinds:  # a detention opens an incident
        kinds.remove(K.INCIDENT_REPORTED)
    assert kinds == ([REQUEST_KINDS[action]] if ACCOMPANIMENT_REQUEST.allows(status, action) else [])


async def test_a_move_refused_after_the_lifecycle_step_writes_none(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    await accompaniment_rules.test_confirming_needs_an_accepted_volunteer(client, db, sealer)
    assert await _kinds(db) == []


async def test_a_mutation_failing_after_its_event_was_inserted_leaves_none(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, monkeypatch: pytest.MonkeyPatch
) -> None:
    crew = await rr.team(db, name=f"County {uuid.uuid4().hex[:6]}")
    original = outbox.record

    async def then_fail(session: AsyncSession, *args: Any, **kwargs: Any) -> DomainEvent:
        event = await original(session, *args, **kwargs)
        await session.flush()  # the row is inserted and its NOTIFY queued: the rollback must take both back
        assert event.id is not None
        raise RuntimeError("unexpected")

    monkeypatch.setattr(outbox, "record", then_fail)
    body = await call(client, "incidentReport", rapid._report(crew), crew.dispatcher, "incident { id }")
    assert body["errors"][0]["message"].startswith("Internal server error")
    assert await _kinds(db) == []
