"""Who can be offered an accompaniment (training, language, organization); the references and limits of inputs."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import AccompanimentAssignment, AccompanimentRequest
from api.models.enums import AccompanimentStatus, AssignmentStatus, Role, TrainingKind
from api.schema.engine.ids import encode_global_id
from tests import factories
from tests.accompaniment.factories import (
    REQUEST,
    Network,
    assignment,
    fresh,
    network,
    request,
    submission,
    train,
    volunteer,
)
from tests.graphql import gid
from tests.workflow import Actor, actor, ok, user_error

NOW = datetime.now(UTC)
APPOINTMENT = NOW + timedelta(days=7)

Candidate = Callable[[AsyncSession, Network, AccompanimentRequest], Awaitable[Actor]]


async def _untrained(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    return await volunteer(db, net.team, trained_until=None)


async def _expired(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    return await volunteer(db, net.team, trained_until=NOW - timedelta(days=1))


async def _expires_before_the_appointment(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    return await volunteer(db, net.team, trained_until=APPOINTMENT - timedelta(days=1))


async def _other_training(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    who = await volunteer(db, net.team, trained_until=None)
    await train(db, who, TrainingKind.LEGAL_OBSERVER, NOW + timedelta(days=300))
    return who


async def _no_shared_language(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    return await volunteer(db, net.team, languages=["fr", "en"])


async def _inactive(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    return await volunteer(db, net.team, active=False)


async def _not_an_accompanier(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    return await actor(db, net.team, Role.HOSPITALITY_VOLUNTEER, trained_until=NOW + timedelta(days=300))


async def _of_another_organization(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    return await volunteer(db, await factories.organization(db, region_id=net.region.id))


async def _already_declined(db: AsyncSession, net: Network, row: AccompanimentRequest) -> Actor:
    who = await volunteer(db, net.team)
    await assignment(db, row, who, AssignmentStatus.DECLINED)
    return who


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (_untrained, "TRAINING_REQUIRED"),
        (_expired, "TRAINING_REQUIRED"),
        (_expires_before_the_appointment, "TRAINING_REQUIRED"),
        (_other_training, "TRAINING_REQUIRED"),
        (_no_shared_language, "LANGUAGE_MISMATCH"),
        (_inactive, "VOLUNTEER_NOT_FOUND"),
        (_not_an_accompanier, "VOLUNTEER_NOT_FOUND"),
        (_of_another_organization, "VOLUNTEER_NOT_FOUND"),
        (_already_declined, "ALREADY_OFFERED"),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
async def test_an_ineligible_volunteer_is_refused_and_nobody_is_offered(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, make: Candidate, code: str
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.TRIAGED, appointment_at=APPOINTMENT)
    candidate = await make(db, net, row)
    before = await _offered(db, row)
    volunteers = [
        {"memberId": gid(net.volunteer.member), "role": "LEAD"},  # eligible: all or nothing
        {"memberId": gid(candidate.member), "role": "SUPPORT"},
    ]
    values = {"id": gid(row), "expectedVersion": 1, "volunteers": volunteers}
    error = await user_error(client, "accompanimentRequestOffer", values, net.coordinator, REQUEST)
    assert (error["code"], error["field"]) == (code, "volunteers")
    stored = await db.get_one(AccompanimentRequest, row.id, populate_existing=True)
    assert (stored.status, stored.version) == (AccompanimentStatus.TRIAGED, 1)
    assert await _offered(db, row) == before


async def _offered(db: AsyncSession, row: AccompanimentRequest) -> int:
    count = select(func.count()).where(AccompanimentAssignment.request_id == row.id)
    return int(await db.scalar(count) or 0)


@pytest.mark.parametrize(
    ("spoken", "needed", "trained_until"),
    [
        (["pt-BR"], ["pt"], APPOINTMENT + timedelta(days=1)),  # the same language, by its primary subtag
        (["fr"], [], APPOINTMENT + timedelta(days=1)),  # no language needed
        (["ES"], ["es", "mam"], None),  # a training without expiry
    ],
)
async def test_eligible_volunteers_are_offered(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sealer: Sealer,
    spoken: list[str],
    needed: list[str],
    trained_until: datetime | None,
) -> None:
    net = await network(db, sealer)
    row = await request(db, sealer, net, AccompanimentStatus.MATCHING, languages_needed=needed)
    who = await volunteer(db, net.team, languages=spoken, trained_until=trained_until)
    if trained_until is None:
        await train(db, who, TrainingKind.ACCOMPANIMENT, None)
    values = {"id": gid(row), "volunteers": [{"memberId": gid(who.member), "role": "INTERPRETER"}]}
    payload = await ok(client, "accompanimentRequestOffer", values, net.coordinator, REQUEST)
    offered = payload["accompanimentRequest"]
    assert (offered["status"], offered["version"]) == ("MATCHING", 2)
    assert [(a["member"]["id"], a["role"], a["status"]) for a in offered["assignments"]] == [
        (gid(who.member), "INTERPRETER", "INVITED")
    ]


def _volunteers(count: int) -> list[dict[str, Any]]:
    return [{"memberId": encode_global_id("Member", _uuid(i)), "role": "SUPPORT"} for i in range(count)]


def _uuid(i: int) -> uuid.UUID:
    return uuid.UUID(int=i + 1)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"appointmentAt": (NOW - timedelta(hours=1)).isoformat()}, "appointmentAt"),
        ({"appointmentAt": "2027-03-01T10:00:00"}, "appointmentAt"),
        ({"appointmentAt": (NOW + timedelta(days=4000)).isoformat()}, "appointmentAt"),
        ({"place": "p" * 301}, "place"),
        ({"languagesNeeded": ["not a tag!"]}, "languagesNeeded"),
        ({"languagesNeeded": ["es"] * 2}, "languagesNeeded"),
        ({"languagesNeeded": [f"l{i:02d}" for i in range(21)]}, "languagesNeeded"),
        ({"notes": "n" * 4001}, "notes"),
        ({"idempotencyKey": "k" * 201}, "idempotencyKey"),
    ],
)
async def test_bad_submissions_name_the_field_and_create_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, overrides: dict[str, Any], field: str
) -> None:
    net = await network(db, sealer)
    error = await user_error(client, "accompanimentRequestSubmit", submission(net, **overrides), net.advocate, REQUEST)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert "ppppp" not in error["message"]
    assert "nnnnn" not in error["message"]
    count = select(func.count()).where(AccompanimentRequest.organization_id == net.legal_aid.id)
    assert await db.scalar(count) == 0


@pytest.mark.parametrize(
    ("name", "values", "field"),
    [
        ("accompanimentRequestOffer", {"volunteers": []}, "volunteers"),
        ("accompanimentRequestOffer", {"volunteers": _volunteers(11)}, "volunteers"),
        ("accompanimentRequestOffer", {"volunteers": _volunteers(1) * 2}, "volunteers"),
        ("accompanimentRequestComplete", {"outcome": "ATTENDED", "debriefNotes": "d" * 4001}, "debriefNotes"),
        ("accompanimentRequestComplete", {"outcome": "ATTENDED", "debriefNotes": "   "}, None),
        (
            "accompanimentRequestComplete",
            {
                "outcome": "ATTENDED",
                "noShowAssignmentIds": [encode_global_id("AccompanimentAssignment", _uuid(i)) for i in range(11)],
            },
            "noShowAssignmentIds",
        ),
    ],
)
async def test_bad_changes_name_the_field_and_change_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, name: str, values: dict[str, Any], field: str | None
) -> None:
    net = await network(db, sealer)
    status = AccompanimentStatus.TRIAGED if name == "accompanimentRequestOffer" else AccompanimentStatus.CONFIRMED
    row = await request(db, sealer, net, status)
    if field is None:  # blank debrief: nothing to append, the completion itself goes through
        await ok(client, name, {"id": gid(row)} | values, net.coordinator)
        assert (await db.get_one(AccompanimentRequest, row.id, populate_existing=True)).notes is None
        return
    error = await user_error(client, name, {"id": gid(row)} | values, net.coordinator, REQUEST)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    stored = await db.get_one(AccompanimentRequest, row.id, populate_existing=True)
    assert (stored.status, stored.version) == (status, 1)


async def test_references_to_other_organizations_records_are_refused(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net, other = await network(db, sealer), await network(db, sealer)
    theirs = submission(net, personId=gid(other.person))
    error = await user_error(client, "accompanimentRequestSubmit", theirs, net.advocate, REQUEST)
    assert (error["code"], error["field"]) == ("PERSON_NOT_FOUND", "personId")
    legal_aids = submission(net, personId=gid(net.person))  # a coordinator submits for its own people only
    error = await user_error(client, "accompanimentRequestSubmit", legal_aids, net.coordinator, REQUEST)
    assert (error["code"], error["field"]) == ("PERSON_NOT_FOUND", "personId")
    nowhere = submission(net, regionId=encode_global_id("Region", uuid.uuid4()))
    error = await user_error(client, "accompanimentRequestSubmit", nowhere, net.advocate, REQUEST)
    assert (error["code"], error["field"]) == ("REGION_NOT_FOUND", "regionId")
    row = await request(db, sealer, net, congregation_id=None)
    route = {"id": gid(row), "congregationId": encode_global_id("Congregation", uuid.uuid4())}
    error = await user_error(client, "accompanimentRequestTriage", route, net.coordinator, REQUEST)
    assert (error["code"], error["field"]) == ("CONGREGATION_NOT_FOUND", "congregationId")
    confirmed = await request(db, sealer, net, AccompanimentStatus.CONFIRMED)
    elsewhere = await assignment(db, await request(db, sealer, net, AccompanimentStatus.CONFIRMED), net.volunteer)
    values = {"id": gid(confirmed), "outcome": "ATTENDED", "noShowAssignmentIds": [gid(elsewhere)]}
    error = await user_error(client, "accompanimentRequestComplete", values, net.coordinator, REQUEST)
    assert (error["code"], error["field"]) == ("ASSIGNMENT_NOT_FOUND", "noShowAssignmentIds")
    assert ((await fresh(db, row)).version, (await fresh(db, confirmed)).status) == (
        1,
        AccompanimentStatus.CONFIRMED,
    )
    count = select(func.count()).where(AccompanimentRequest.organization_id == net.legal_aid.id)
    assert await db.scalar(count) == 3


async def test_a_coordinator_may_submit_for_its_own_people_in_another_region(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    net = await network(db, sealer)
    own_person = await factories.person(db, sealer, net.team)
    region = await factories.region(db)
    values = submission(net, personId=gid(own_person), regionId=gid(region))
    del values["languagesNeeded"], values["urgency"]
    payload = await ok(client, "accompanimentRequestSubmit", values, net.coordinator, REQUEST)
    row = (
        await db.scalars(select(AccompanimentRequest).where(AccompanimentRequest.organization_id == net.team.id))
    ).one()
    assert (row.region_id, row.urgency.value, row.languages_needed) == (region.id, "ROUTINE", [])
    assert payload["accompanimentRequest"]["status"] == "SUBMITTED"
