"""Sanctuary workflow over HTTP: register a person, open an inquiry, walk it to CLOSED with supporters and consent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.permissions import MUTATIONS
from api.crypto import Sealer
from api.models import AdvocacyAction, CaseSupporter, HospitalityShift, Person, SanctuaryCase
from api.models.enums import AdvocacyStatus, AuditOutcome, Role, SanctuaryCaseStatus, ShiftStatus
from api.services.network import persons
from api.services.shared.lifecycles import SanctuaryCaseAction
from tests import factories
from tests.canaries import canary
from tests.graphql import gid
from tests.proofs import lifecycle_oracle as oracle
from tests.sanctuary import factories as fs
from tests.workflow import actor, call, forbidden, mutation_audit, ok, user_error

CASE = (
    "sanctuaryCase { id status version exitOutcome publicStoryConsent enteredAt exitedAt closedAt locationDetail "
    "legalStatusSummary supporters { roles congregation { id } } }"
)
PERSON = "person { id version languages }"
SHIFT = "hospitalityShift { id status version }"
ACTION = "advocacyAction { id sanctuaryCase { id } }"
SANCTUARY_MUTATIONS = sorted(name for name in MUTATIONS if name.startswith("sanctuaryCase") and "Burn" not in name)


def _person(**overrides: Any) -> dict[str, Any]:
    return {"preferredName": "Ana", "countryOfOrigin": "Honduras", "languages": ["es"]} | overrides


async def _open(client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, where: fs.Host) -> str:
    guest = await factories.person(db, sealer, where.org)
    values = {"personId": gid(guest), "hostCongregationId": gid(where.congregation)}
    opened = await ok(client, "sanctuaryCaseOpen", values, where.coordinator, CASE)
    return str(opened["sanctuaryCase"]["id"])


async def _move(client: httpx.AsyncClient, where: fs.Host, case_id: str, action: str, **extra: Any) -> dict[str, Any]:
    values = {"id": case_id, "action": action} | extra
    payload = await ok(client, "sanctuaryCaseTransition", values, where.coordinator, CASE)
    moved: dict[str, Any] = payload["sanctuaryCase"]
    return moved


async def test_an_inquiry_walked_to_closed_with_supporters_consent_and_shifts(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    helper = await fs.host(db, Role.HOSPITALITY_VOLUNTEER)  # a supporting congregation's volunteer
    second = await actor(db, helper.org, Role.HOSPITALITY_VOLUNTEER)
    organizer = await actor(db, await factories.organization(db), Role.ORGANIZER)
    coordinator = where.coordinator
    legal_name = canary("Ana Lucia Canary-Perez")
    person = await ok(
        client, "personCreate", _person(legalName=legal_name, aNumber="A-201-555-019"), coordinator, PERSON
    )
    values = {"personId": person["person"]["id"], "hostCongregationId": gid(where.congregation)}
    case = (await ok(client, "sanctuaryCaseOpen", values, coordinator, CASE))["sanctuaryCase"]
    assert (case["status"], case["version"], case["supporters"]) == ("INQUIRY", 1, [])
    await _move(client, where, case["id"], "BEGIN_DISCERNMENT")
    await _move(client, where, case["id"], "BEGIN_PREPARING")
    supporter = {"caseId": case["id"], "congregationId": gid(helper.congregation), "roles": ["HOSPITALITY"]}
    added = await ok(client, "sanctuaryCaseSupporterAdd", supporter, coordinator, CASE)
    assert added["sanctuaryCase"]["supporters"] == [
        {"roles": ["HOSPITALITY"], "congregation": {"id": supporter["congregationId"]}}
    ]
    changed = await ok(
        client, "sanctuaryCaseSupporterAdd", supporter | {"roles": ["PROTECTION", "HOSPITALITY"]}, coordinator, CASE
    )
    assert changed["sanctuaryCase"]["supporters"][0]["roles"] == ["HOSPITALITY", "PROTECTION"]
    assert changed["sanctuaryCase"]["version"] == added["sanctuaryCase"]["version"] + 1
    location = canary("Parsonage, upstairs room 2")
    await ok(client, "sanctuaryCaseUpdate", {"id": case["id"], "locationDetail": location}, coordinator, CASE)
    entered = await _move(client, where, case["id"], "ENTER_SANCTUARY")
    assert (entered["enteredAt"] is not None, entered["locationDetail"]) == (True, location)
    await ok(client, "sanctuaryCaseConsentRecord", {"caseId": case["id"]}, coordinator, CASE)
    planned = await _planned_action(client, organizer)
    linked = await ok(
        client, "advocacyActionLinkCase", {"id": planned, "sanctuaryCaseId": case["id"]}, organizer, ACTION
    )
    assert linked["advocacyAction"]["sanctuaryCase"] == {"id": case["id"]}
    # a shift staffed by the supporting congregation, filled by its two volunteers and completed
    starts = datetime.now(UTC) + timedelta(hours=2)
    shift_values = {
        "caseId": case["id"], "startsAt": starts.isoformat(), "endsAt": (starts + timedelta(hours=4)).isoformat(),
        "neededVolunteers": 2, "supportingCongregationId": gid(helper.congregation),
    }  # fmt: skip
    shift = (await ok(client, "hospitalityShiftCreate", shift_values, coordinator, SHIFT))["hospitalityShift"]
    await ok(client, "hospitalityShiftSignUp", {"id": shift["id"]}, helper.coordinator, SHIFT)
    filled = await ok(client, "hospitalityShiftSignUp", {"id": shift["id"]}, second, SHIFT)
    assert filled["hospitalityShift"]["status"] == "FILLED"
    started = datetime.now(UTC) - timedelta(minutes=5)  # time passes
    await db.execute(
        update(HospitalityShift).where(HospitalityShift.id == fs.decode(shift["id"])).values(starts_at=started)
    )
    done = await ok(client, "hospitalityShiftComplete", {"id": shift["id"]}, second, SHIFT)
    assert done["hospitalityShift"]["status"] == "COMPLETED"
    # consent withdrawn: the action that has not happened stops telling the story
    withdrawn = await ok(client, "sanctuaryCaseConsentWithdraw", {"caseId": case["id"]}, coordinator, CASE)
    assert withdrawn["sanctuaryCase"]["publicStoryConsent"] is False
    action_row = await db.scalar(
        select(AdvocacyAction).where(AdvocacyAction.organization_id == organizer.member.organization_id)
    )
    assert action_row is not None
    assert action_row.sanctuary_case_id is None
    exited = await _move(client, where, case["id"], "EXIT", exitOutcome="STAY_GRANTED")
    assert (exited["status"], exited["exitOutcome"], exited["exitedAt"] is not None) == ("EXITED", "STAY_GRANTED", True)
    closed = await _move(client, where, case["id"], "CLOSE")
    assert (closed["status"], closed["closedAt"] is not None) == ("CLOSED", True)
    audit = await mutation_audit(db, coordinator)
    assert sorted((name, outcome) for name, outcome, _ in audit) == sorted(
        [(name, AuditOutcome.ALLOWED) for name in (
            "personCreate", "sanctuaryCaseOpen", "sanctuaryCaseSupporterAdd", "sanctuaryCaseSupporterAdd",
            "sanctuaryCaseUpdate", "sanctuaryCaseConsentRecord", "hospitalityShiftCreate",
            "sanctuaryCaseConsentWithdraw",
        )] + [("sanctuaryCaseTransition", AuditOutcome.ALLOWED)] * 5
    )  # fmt: skip
    case_row = await db.get_one(SanctuaryCase, fs.decode(case["id"]))
    assert all(ids == [case_row.id] for name, _, ids in audit if name.startswith("sanctuaryCase"))
    volunteer_audit = sorted(name for name, _, _ in await mutation_audit(db, second))  # one transaction: unordered
    assert volunteer_audit == ["hospitalityShiftComplete", "hospitalityShiftSignUp"]


async def _planned_action(client: httpx.AsyncClient, organizer: Any) -> str:
    starts = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    values = {"title": "Vigil", "kind": "VIGIL", "level": "LOCAL", "startsAt": starts, "visibility": "NETWORK"}
    return str((await ok(client, "advocacyActionPlan", values, organizer, ACTION))["advocacyAction"]["id"])


@pytest.mark.parametrize("status", list(SanctuaryCaseStatus))
@pytest.mark.parametrize("action", list(SanctuaryCaseAction))
async def test_every_state_and_action(
    client: httpx.AsyncClient,
    db: AsyncSession,
    sealer: Sealer,
    status: SanctuaryCaseStatus,
    action: SanctuaryCaseAction,
) -> None:
    where = await fs.host(db)
    row = await fs.case(db, sealer, where, status)
    values: dict[str, Any] = {"id": gid(row), "action": action.value, "expectedVersion": 1}
    if action is SanctuaryCaseAction.EXIT:
        values["exitOutcome"] = "DETAINED"
    if oracle.allowed(oracle.SANCTUARY_CASE, status, action):
        moved = (await ok(client, "sanctuaryCaseTransition", values, where.coordinator, CASE))["sanctuaryCase"]
        assert (moved["status"], moved["version"]) == (oracle.target(oracle.SANCTUARY_CASE, status, action), 2)
    else:
        error = await user_error(client, "sanctuaryCaseTransition", values, where.coordinator, CASE)
        assert (error["code"], error["field"]) == ("ILLEGAL_TRANSITION", None)
        await db.refresh(row)
        assert (row.status, row.version, row.closed_at) == (status, 1, None)


async def test_exit_needs_an_outcome_and_only_exit_takes_one(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    row = await fs.case(db, sealer, where, SanctuaryCaseStatus.IN_SANCTUARY)
    error = await user_error(client, "sanctuaryCaseTransition", {"id": gid(row), "action": "EXIT"}, where.coordinator)
    assert (error["code"], error["field"]) == ("EXIT_OUTCOME_REQUIRED", "exitOutcome")
    values = {"id": gid(row), "action": "DECLINE", "exitOutcome": "OTHER"}
    error = await user_error(client, "sanctuaryCaseTransition", values, where.coordinator)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "exitOutcome")
    await db.refresh(row)
    assert (row.status, row.version) == (SanctuaryCaseStatus.IN_SANCTUARY, 1)


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.SANCTUARY_COORDINATOR}))
async def test_other_roles_may_not_run_sanctuary_cases(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer, role: Role
) -> None:
    where = await fs.host(db)
    row = await fs.case(db, sealer, where, SanctuaryCaseStatus.PREPARING)
    other = await actor(db, where.org, role)  # even in the host organization
    ids = {"id": gid(row), "caseId": gid(row), "congregationId": gid(where.congregation)}
    calls: dict[str, dict[str, Any]] = {
        "sanctuaryCaseOpen": {"personId": gid(row), "hostCongregationId": gid(where.congregation)},
        "sanctuaryCaseTransition": {"id": ids["id"], "action": "DECLINE"},
        "sanctuaryCaseUpdate": {"id": ids["id"], "locationDetail": "Elsewhere"},
        "sanctuaryCaseSupporterAdd": {"caseId": ids["caseId"], "congregationId": ids["congregationId"],
                                      "roles": ["LEGAL"]},
        "sanctuaryCaseSupporterRemove": {"caseId": ids["caseId"], "congregationId": ids["congregationId"]},
        "sanctuaryCaseConsentRecord": {"caseId": ids["caseId"]},
        "sanctuaryCaseConsentWithdraw": {"caseId": ids["caseId"]},
    }  # fmt: skip
    assert sorted(calls) == SANCTUARY_MUTATIONS
    for name, values in calls.items():
        await forbidden(client, name, values, other)
    if role not in MUTATIONS["personCreate"]:
        await forbidden(client, "personCreate", _person(), other)
    await db.refresh(row)
    assert (row.status, row.version, row.public_story_consent) == (SanctuaryCaseStatus.PREPARING, 1, False)
    assert await fs.count(db, SanctuaryCase, SanctuaryCase.organization_id == where.org.id) == 1


async def test_legal_advocates_register_people_of_their_own_organization(
    client: httpx.AsyncClient, db: AsyncSession
) -> None:
    advocate = await actor(db, await factories.organization(db), Role.LEGAL_ADVOCATE)
    created = await ok(client, "personCreate", _person(aNumber="12345678"), advocate, PERSON)
    row = await db.get_one(Person, fs.decode(created["person"]["id"]))
    assert (row.organization_id, created["person"]["version"]) == (advocate.member.organization_id, 1)


async def test_another_organizations_ids_are_not_found_and_nothing_changes(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    owner, stranger = await fs.host(db), await fs.host(db)
    row = await fs.case(db, sealer, owner, SanctuaryCaseStatus.PREPARING)
    other = await fs.host(db)
    await fs.supporter(db, row, other.congregation)
    calls: list[tuple[str, dict[str, Any], str]] = [
        ("sanctuaryCaseTransition", {"id": gid(row), "action": "DECLINE"}, "id"),
        ("sanctuaryCaseUpdate", {"id": gid(row), "locationDetail": "Hijacked"}, "id"),
        ("sanctuaryCaseSupporterAdd",
         {"caseId": gid(row), "congregationId": gid(stranger.congregation), "roles": ["LEGAL"]}, "caseId"),
        ("sanctuaryCaseSupporterRemove", {"caseId": gid(row), "congregationId": gid(other.congregation)}, "caseId"),
        ("sanctuaryCaseConsentRecord", {"caseId": gid(row)}, "caseId"),
        ("sanctuaryCaseConsentWithdraw", {"caseId": gid(row)}, "caseId"),
    ]  # fmt: skip
    for name, values, field in calls:
        error = await user_error(client, name, values, stranger.coordinator, CASE)
        assert (error["code"], error["field"]) == ("NOT_FOUND", field), name
    # opening: the person of another organization, or another organization's congregation as host
    guest = await factories.person(db, sealer, owner.org)
    mine = await factories.person(db, sealer, stranger.org)
    for values, field in [
        ({"personId": gid(guest), "hostCongregationId": gid(stranger.congregation)}, "personId"),
        ({"personId": gid(mine), "hostCongregationId": gid(owner.congregation)}, "hostCongregationId"),
    ]:
        error = await user_error(client, "sanctuaryCaseOpen", values, stranger.coordinator, CASE)
        assert (error["code"], error["field"]) == ("NOT_FOUND", field)
    await db.refresh(row)
    assert (row.status, row.version, row.location_detail) == (SanctuaryCaseStatus.PREPARING, 1, None)
    assert await fs.count(db, CaseSupporter, CaseSupporter.case_id == row.id) == 1
    assert await fs.count(db, SanctuaryCase, SanctuaryCase.organization_id == stranger.org.id) == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"preferredName": "  "}, "preferredName"),
        ({"preferredName": "x" * 121}, "preferredName"),
        ({"legalName": "x" * 201}, "legalName"),
        ({"aNumber": "A-12-34"}, "aNumber"),
        ({"aNumber": "A1234567890"}, "aNumber"),
        ({"aNumber": "B12345678"}, "aNumber"),
        ({"countryOfOrigin": "x" * 81}, "countryOfOrigin"),
        ({"languages": ["es", "es"]}, "languages"),
        ({"languages": ["not a language"]}, "languages"),
        ({"idempotencyKey": "k" * 201}, "idempotencyKey"),
    ],
)
async def test_bad_person_input_names_the_field_and_creates_nothing(
    client: httpx.AsyncClient, db: AsyncSession, overrides: dict[str, Any], field: str
) -> None:
    where = await fs.host(db)
    error = await user_error(client, "personCreate", _person(**overrides), where.coordinator, PERSON)
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert "x" * 20 not in error["message"]
    assert "1234567" not in error["message"]
    assert await fs.count(db, Person, Person.organization_id == where.org.id) == 0


async def test_bad_case_input_names_the_field_and_changes_nothing(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    guest = await factories.person(db, sealer, where.org)
    opening = {"personId": gid(guest), "hostCongregationId": gid(where.congregation)}
    for extra, field in [
        ({"locationDetail": "x" * 501}, "locationDetail"),
        ({"legalStatusSummary": "x" * 4001}, "legalStatusSummary"),
    ]:
        error = await user_error(client, "sanctuaryCaseOpen", opening | extra, where.coordinator, CASE)
        assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert await fs.count(db, SanctuaryCase, SanctuaryCase.organization_id == where.org.id) == 0
    row = await fs.case(db, sealer, where, SanctuaryCaseStatus.DISCERNMENT)
    bad: list[tuple[str, dict[str, Any], str]] = [
        ("sanctuaryCaseUpdate", {"id": gid(row), "locationDetail": "x" * 501}, "locationDetail"),
        (
            "sanctuaryCaseSupporterAdd",
            {"caseId": gid(row), "congregationId": gid(where.congregation), "roles": []},
            "roles",
        ),
        (
            "sanctuaryCaseSupporterAdd",
            {"caseId": gid(row), "congregationId": gid(where.congregation), "roles": ["LEGAL", "LEGAL"]},
            "roles",
        ),
        (
            "sanctuaryCaseSupporterAdd",
            {"caseId": gid(row), "congregationId": gid(where.congregation), "roles": ["LEGAL"]},
            "congregationId",
        ),
    ]  # fmt: skip  (the last: the host cannot support its own case)
    for name, values, field in bad:
        error = await user_error(client, name, values, where.coordinator, CASE)
        assert (error["code"], error["field"]) == ("INVALID_INPUT", field), name
    await db.refresh(row)
    assert (row.version, row.location_detail) == (1, None)
    assert await fs.count(db, CaseSupporter, CaseSupporter.case_id == row.id) == 0


async def test_supporters_and_consent_only_on_open_cases_but_consent_can_always_be_withdrawn(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where, helper = await fs.host(db), await fs.host(db)
    for status in (SanctuaryCaseStatus.EXITED, SanctuaryCaseStatus.CLOSED, SanctuaryCaseStatus.DECLINED):
        row = await fs.case(db, sealer, where, status)
        await fs.supporter(db, row, helper.congregation)
        closed: list[tuple[str, dict[str, Any]]] = [
            ("sanctuaryCaseUpdate", {"id": gid(row), "locationDetail": "Basement"}),
            ("sanctuaryCaseSupporterAdd",
             {"caseId": gid(row), "congregationId": gid(helper.congregation), "roles": ["LEGAL"]}),
            ("sanctuaryCaseSupporterRemove", {"caseId": gid(row), "congregationId": gid(helper.congregation)}),
            ("sanctuaryCaseConsentRecord", {"caseId": gid(row)}),
        ]  # fmt: skip
        for name, values in closed:
            assert (await user_error(client, name, values, where.coordinator, CASE))["code"] == "ILLEGAL_TRANSITION"
        row.public_story_consent = True
        await db.flush()
        withdrawn = await ok(client, "sanctuaryCaseConsentWithdraw", {"caseId": gid(row)}, where.coordinator, CASE)
        assert withdrawn["sanctuaryCase"]["publicStoryConsent"] is False


async def test_unknown_congregation_and_absent_supporter_are_reported(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where, helper = await fs.host(db), await fs.host(db)
    row = await fs.case(db, sealer, where, SanctuaryCaseStatus.PREPARING)
    unknown = fs.encode("Congregation")
    values = {"caseId": gid(row), "congregationId": unknown, "roles": ["LEGAL"]}
    error = await user_error(client, "sanctuaryCaseSupporterAdd", values, where.coordinator, CASE)
    assert (error["code"], error["field"]) == ("CONGREGATION_NOT_FOUND", "congregationId")
    values = {"caseId": gid(row), "congregationId": gid(helper.congregation)}
    error = await user_error(client, "sanctuaryCaseSupporterRemove", values, where.coordinator, CASE)
    assert (error["code"], error["field"]) == ("SUPPORTER_NOT_FOUND", "congregationId")


async def test_removing_a_supporter_detaches_it_from_unfinished_shifts(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where, helper = await fs.host(db), await fs.host(db)
    row = await fs.case(db, sealer, where)
    await fs.supporter(db, row, helper.congregation)
    upcoming = await fs.shift(db, row, staffed_by=helper.congregation)
    done = await fs.shift(db, row, ShiftStatus.COMPLETED, starts_in=timedelta(days=-1), staffed_by=helper.congregation)
    values = {"caseId": gid(row), "congregationId": gid(helper.congregation), "expectedVersion": 1}
    removed = await ok(client, "sanctuaryCaseSupporterRemove", values, where.coordinator, CASE)
    assert (removed["sanctuaryCase"]["supporters"], removed["sanctuaryCase"]["version"]) == ([], 2)
    await db.refresh(upcoming)
    await db.refresh(done)
    assert (upcoming.supporting_congregation_id, upcoming.version) == (None, 2)
    assert done.supporting_congregation_id == helper.congregation.id


async def test_a_person_has_one_open_case_at_a_time(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    row = await fs.case(db, sealer, where, SanctuaryCaseStatus.DISCERNMENT)
    values = {"personId": fs.encode("Person", row.person_id), "hostCongregationId": gid(where.congregation)}
    error = await user_error(client, "sanctuaryCaseOpen", values, where.coordinator, CASE)
    assert (error["code"], error["field"]) == ("PERSON_HAS_OPEN_CASE", "personId")
    row.status = SanctuaryCaseStatus.DECLINED
    await db.flush()
    assert (await ok(client, "sanctuaryCaseOpen", values, where.coordinator, CASE))["sanctuaryCase"][
        "status"
    ] == "INQUIRY"


async def test_critical_values_are_stored_sealed_and_a_numbers_are_blind_indexed(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    legal_name, a_number = canary("Maria Canary Sealed"), canary("a 012 345-678")
    values = _person(legalName=legal_name, aNumber=a_number, idempotencyKey="person-1")
    created = await ok(client, "personCreate", values, where.coordinator, PERSON)
    person = await db.get_one(Person, fs.decode(created["person"]["id"]))
    assert person.legal_name is not None
    assert person.a_number is not None
    assert legal_name.encode() not in person.legal_name
    assert b"345" not in person.a_number
    opened = await sealer.open(db, where.org.id, person.id, "person.a_number", person.a_number)
    assert opened == "A-012-345-678"
    assert person.a_number_index == await sealer.blind_index(db, "A012345678")
    spelled = persons.a_number_of("12345678")  # a lookup spelling it otherwise finds the same index
    assert spelled is not None
    assert person.a_number_index == await sealer.blind_index(db, spelled)
    location, summary = canary("Fellowship hall, back room"), canary("Final order of removal, stay pending")
    opening = {"personId": created["person"]["id"], "hostCongregationId": gid(where.congregation),
               "locationDetail": location, "legalStatusSummary": summary}  # fmt: skip
    case = await ok(client, "sanctuaryCaseOpen", opening, where.coordinator, CASE)
    assert (case["sanctuaryCase"]["locationDetail"], case["sanctuaryCase"]["legalStatusSummary"]) == (location, summary)
    stored = (await db.execute(select(SanctuaryCase.location_detail, SanctuaryCase.legal_status_summary).where(
        SanctuaryCase.person_id == person.id))).one()  # fmt: skip
    assert stored[0] is not None
    assert stored[1] is not None
    assert location.encode() not in stored[0]
    assert summary.encode() not in stored[1]
    update_values = {
        "id": case["sanctuaryCase"]["id"],
        "locationDetail": "",
        "legalStatusSummary": canary("Stay granted, pending"),
    }
    updated = await ok(client, "sanctuaryCaseUpdate", update_values, where.coordinator, CASE)
    assert updated["sanctuaryCase"]["locationDetail"] is None  # an empty string clears it
    raw = await db.scalar(select(SanctuaryCase.legal_status_summary).where(SanctuaryCase.person_id == person.id))
    assert raw is not None
    assert b"Stay granted" not in raw


async def test_replayed_creates_return_the_first_result_and_create_nothing_new(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    values = _person(legalName=canary("Replay Canary Name"), idempotencyKey="p-42")
    first = await ok(client, "personCreate", values, where.coordinator, PERSON)
    assert await ok(client, "personCreate", values, where.coordinator, PERSON) == first
    error = await user_error(client, "personCreate", values | {"preferredName": "Other"}, where.coordinator, PERSON)
    assert (error["code"], error["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    assert await fs.count(db, Person, Person.organization_id == where.org.id) == 1
    opening = {
        "personId": first["person"]["id"],
        "hostCongregationId": gid(where.congregation),
        "idempotencyKey": "c-42",
    }
    case = await ok(client, "sanctuaryCaseOpen", opening, where.coordinator, CASE)
    assert await ok(client, "sanctuaryCaseOpen", opening, where.coordinator, CASE) == case
    assert await fs.count(db, SanctuaryCase, SanctuaryCase.organization_id == where.org.id) == 1


async def test_consent_withdrawal_unlinks_planned_actions_but_not_held_ones(
    client: httpx.AsyncClient, db: AsyncSession, sealer: Sealer
) -> None:
    where = await fs.host(db)
    organizer = await actor(db, await factories.organization(db), Role.ORGANIZER)
    row = await fs.case(db, sealer, where)
    await ok(client, "sanctuaryCaseConsentRecord", {"caseId": gid(row), "expectedVersion": 1}, where.coordinator, CASE)
    planned, held = await _planned_action(client, organizer), await _planned_action(client, organizer)
    for action_id in (planned, held):
        await ok(client, "advocacyActionLinkCase", {"id": action_id, "sanctuaryCaseId": gid(row)}, organizer, ACTION)
    await db.execute(
        update(AdvocacyAction).where(AdvocacyAction.id == fs.decode(held)).values(status=AdvocacyStatus.HELD)
    )
    await ok(client, "sanctuaryCaseConsentWithdraw", {"caseId": gid(row)}, where.coordinator, CASE)
    linked = dict((await db.execute(select(AdvocacyAction.id, AdvocacyAction.sanctuary_case_id))).all())
    assert (linked[fs.decode(planned)], linked[fs.decode(held)]) == (None, row.id)
    error = await user_error(
        client, "advocacyActionLinkCase", {"id": planned, "sanctuaryCaseId": gid(row)}, organizer, ACTION
    )
    assert error["code"] == "CASE_NOT_FOUND"  # without consent the organizer no longer sees the case


async def test_concurrent_updates_one_wins_one_conflicts_nothing_lost(
    live_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], sealer: Sealer
) -> None:
    async with live_sessions() as session:
        where = await fs.host(session)
        row = await fs.case(session, sealer, where, SanctuaryCaseStatus.PREPARING)
        await session.commit()
    first = {"id": gid(row), "expectedVersion": 1, "locationDetail": "Chapel loft"}
    second = {"id": gid(row), "expectedVersion": 1, "legalStatusSummary": "Motion to reopen filed"}
    bodies = await asyncio.gather(
        *(call(live_client, "sanctuaryCaseUpdate", values, where.coordinator, CASE) for values in (first, second))
    )
    results = [body["data"]["sanctuaryCaseUpdate"] for body in bodies]
    assert sorted(tuple(e["code"] for e in r["userErrors"]) for r in results) == [(), ("CONFLICT",)]
    winner = next(r for r in results if not r["userErrors"])["sanctuaryCase"]
    async with live_sessions() as session:
        stored = await session.get_one(SanctuaryCase, row.id)
        location = await _open_sealed(session, sealer, stored, "location_detail")
        summary = await _open_sealed(session, sealer, stored, "legal_status_summary")
    assert stored.version == 2
    assert (location, summary) == (winner["locationDetail"], winner["legalStatusSummary"])
    assert (location is None) != (summary is None)  # exactly the winner's change, none of the loser's


async def _open_sealed(session: AsyncSession, sealer: Sealer, row: SanctuaryCase, column: str) -> str | None:
    sealed = getattr(row, column)
    return await sealer.open(session, row.organization_id, row.id, f"sanctuary_case.{column}", sealed)
