"""The demo network's protected people and the four activities: sanctuary, accompaniment, rapid response, advocacy."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    AdvocacyAction,
    AdvocacyOrganizer,
    CaseSupporter,
    HospitalityShift,
    HouseholdLink,
    IncidentDispatch,
    IncidentTimelineEvent,
    Member,
    Person,
    RapidResponseIncident,
    SanctuaryCase,
    ShiftAssignment,
)
from api.models.base import storage_name
from api.models.enums import (
    AccompanimentOutcome,
    AccompanimentStatus,
    AssignmentRole,
    AssignmentStatus,
    DispatchRole,
    IncidentStatus,
    Role,
    TimelineKind,
    TrainingKind,
    Verification,
)
from api.seed.builder import DemoBuilder
from api.seed.fiction import HOUSEHOLD, PERSONS, ROLE_MEMBERS, VOLUNTEERS
from api.seed.fiction_events import ACTIONS, CASES, COARSE_AREAS, GUEST_SHIFTS, INCIDENTS, REQUESTS, IncidentSpec

SHIFT_HOURS = 8
_UNTRIAGED = (Verification.UNVERIFIED, Verification.VERIFYING)
_AR, _AS = AssignmentRole, AssignmentStatus
# the volunteers on a request, by its status: (role, assignment status); the lead comes first
TEAMS: dict[AccompanimentStatus, tuple[tuple[AssignmentRole, AssignmentStatus], ...]] = {
    AccompanimentStatus.MATCHING: (
        (_AR.LEAD, _AS.INVITED),
        (_AR.SUPPORT, _AS.INVITED),
        (_AR.INTERPRETER, _AS.DECLINED),
    ),
    AccompanimentStatus.CONFIRMED: ((_AR.LEAD, _AS.ACCEPTED), (_AR.DRIVER, _AS.ACCEPTED)),
    AccompanimentStatus.COMPLETED: ((_AR.LEAD, _AS.COMPLETED), (_AR.SUPPORT, _AS.COMPLETED)),
    AccompanimentStatus.CANCELLED: ((_AR.LEAD, _AS.DECLINED),),
    AccompanimentStatus.UNFILLED: ((_AR.LEAD, _AS.DECLINED),),
}


async def seed_activities(b: DemoBuilder) -> None:
    """Persons and households, then cases, shifts, incidents, requests and advocacy actions."""
    await _persons(b)
    await _cases(b)
    await _shifts(b)
    await _incidents(b)
    await _requests(b)
    await _advocacy(b)


async def _persons(b: DemoBuilder) -> None:
    for spec in PERSONS:
        org_id = b.orgs[spec.org].id
        row = Person(id=uuid.uuid4(), organization_id=org_id, preferred_name=spec.preferred_name)
        row.country_of_origin, row.languages = spec.country, list(spec.languages)
        row.legal_name = await b.seal(org_id, row.id, storage_name(Person.legal_name), spec.legal_name)
        row.a_number = await b.seal(org_id, row.id, storage_name(Person.a_number), spec.a_number)
        row.a_number_index = None if spec.a_number is None else await b.sealer.blind_index(b.session, spec.a_number)
        b.persons[spec.key] = row
    b.add(*b.persons.values())
    await b.flush()
    for link in HOUSEHOLD:
        person = b.persons[link.person]
        org_id = person.organization_id
        related_id = b.persons[link.related].id
        household = HouseholdLink(
            id=uuid.uuid4(), organization_id=org_id, person_id=person.id, related_person_id=related_id
        )
        household.relation = await b.seal(org_id, household.id, storage_name(HouseholdLink.relation), link.relation)
        b.add(household)
    await b.flush()


async def _cases(b: DemoBuilder) -> None:
    for spec in CASES:
        host = b.congregations[spec.host]
        org_id = host.organization_id
        entered, exited = (None if d is None else b.day(-d, 15) for d in spec.days)
        row = SanctuaryCase(id=uuid.uuid4(), organization_id=org_id, person_id=b.persons[spec.person].id)
        row.host_congregation_id, row.status, row.exit_outcome = host.id, spec.status, spec.exit_outcome
        row.public_story_consent, row.entered_at, row.exited_at = spec.consent, entered, exited
        row.created_at = row.updated_at = (entered or b.now) - timedelta(days=30)
        row.legal_status_summary = await b.seal(
            org_id, row.id, storage_name(SanctuaryCase.legal_status_summary), spec.legal_status
        )
        row.location_detail = await b.seal(org_id, row.id, storage_name(SanctuaryCase.location_detail), spec.location)
        b.cases[spec.key] = row
        b.add(row)
    await b.flush()
    for spec in CASES:
        for congregation, roles in spec.supporters:
            case_id, congregation_id = b.cases[spec.key].id, b.congregations[congregation].id
            b.add(CaseSupporter(id=uuid.uuid4(), case_id=case_id, congregation_id=congregation_id, roles=list(roles)))
    await b.flush()


async def _shifts(b: DemoBuilder) -> None:
    case = b.cases["guest_case"]
    assignments = []
    for spec in GUEST_SHIFTS:
        start = b.day(spec.day, spec.hour)
        shift = HospitalityShift(id=uuid.uuid4(), organization_id=case.organization_id, case_id=case.id)
        shift.supporting_congregation_id = b.congregation_id(spec.supporter)
        shift.starts_at, shift.ends_at = start, start + timedelta(hours=SHIFT_HOURS)
        shift.needed_volunteers, shift.status = spec.needed, spec.status
        b.add(shift)
        for key, status in spec.volunteers:
            assignments.append(
                ShiftAssignment(id=uuid.uuid4(), shift_id=shift.id, member_id=b.members[key].id, status=status)
            )
    await b.flush()
    b.add(*assignments)
    await b.flush()


async def _incidents(b: DemoBuilder) -> None:
    rr_id = b.orgs["rapid"].id
    for spec in INCIDENTS:
        label, latitude, longitude = COARSE_AREAS[spec.region][spec.area]
        reported = b.minutes_ago(spec.minutes_ago)
        size, actions, uniform, equipment = spec.salute
        row = RapidResponseIncident(id=uuid.uuid4(), organization_id=rr_id, region_id=b.regions[spec.region].id)
        row.kind, row.intake_channel, row.verification, row.status = (
            spec.kind,
            spec.channel,
            spec.verification,
            spec.status,
        )
        row.reported_at, row.observed_at, row.created_at, row.updated_at = (
            reported,
            reported - timedelta(minutes=10),
            reported,
            reported,
        )
        row.size, row.actions, row.uniform, row.equipment = size, actions, uniform, equipment
        row.coarse_area, row.coarse_latitude, row.coarse_longitude = label, _coarse(latitude), _coarse(longitude)
        row.broadcast_at = _broadcast_at(spec, reported)
        row.closed_at = _closed_at(spec, reported)
        row.exact_location = await b.seal(
            rr_id, row.id, storage_name(RapidResponseIncident.exact_location), spec.exact_location
        )
        contact = None if spec.verification not in _UNTRIAGED else spec.reporter_contact  # purged after triage
        row.reporter_contact = await b.seal(
            rr_id, row.id, storage_name(RapidResponseIncident.reporter_contact), contact
        )
        b.incidents[spec.key] = row
        b.add(row)
    await b.flush()
    for spec in INCIDENTS:
        _dispatches(b, spec)
        await _timeline(b, spec)
    await b.flush()


def _coarse(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _broadcast_at(spec: IncidentSpec, reported: datetime) -> datetime | None:
    if spec.verification is not Verification.CONFIRMED:
        return None
    minutes = next((m for kind, m, _note in spec.timeline if kind is TimelineKind.BROADCAST), 45)
    return reported + timedelta(minutes=minutes)


def _closed_at(spec: IncidentSpec, reported: datetime) -> datetime | None:
    if spec.status is not IncidentStatus.CLOSED:
        return None
    return reported + timedelta(minutes=max((m for _kind, m, _note in spec.timeline), default=0) + 60)


def _dispatches(b: DemoBuilder, spec: IncidentSpec) -> None:
    incident = b.incidents[spec.key]
    done = spec.status in (IncidentStatus.STABLE, IncidentStatus.CLOSED)
    for number, (key, role, arrived) in enumerate(spec.dispatches, start=1):
        sent = incident.reported_at + timedelta(minutes=3 * number)
        arrival = sent + timedelta(minutes=20) if arrived else None
        released = arrival + timedelta(hours=2) if arrival is not None and done else None
        b.add(IncidentDispatch(id=uuid.uuid4(), organization_id=incident.organization_id, incident_id=incident.id,
                               region_id=incident.region_id, member_id=b.members[key].id, role=role, dispatched_at=sent, arrived_at=arrival,
                               released_at=released))  # fmt: skip


async def _timeline(b: DemoBuilder, spec: IncidentSpec) -> None:
    incident = b.incidents[spec.key]
    verifier = next((key for key, role, _arrived in spec.dispatches if role is DispatchRole.VERIFIER), "dispatcher")
    for kind, minutes, note in spec.timeline:
        author = verifier if kind is TimelineKind.VERIFICATION else "dispatcher"
        row = IncidentTimelineEvent(
            id=uuid.uuid4(),
            organization_id=incident.organization_id,
            incident_id=incident.id,
            region_id=incident.region_id,
        )
        row.author_id, row.kind = b.members[author].id, kind
        row.occurred_at = incident.reported_at + timedelta(minutes=minutes)
        row.note = await b.seal(incident.organization_id, row.id, storage_name(IncidentTimelineEvent.note), note)
        b.add(row)


def _trained_accompaniers(b: DemoBuilder) -> list[Member]:
    """Members holding the ACCOMPANIER role with an unexpired ACCOMPANIMENT training (the only ones assignable)."""
    eligible = []
    for spec in [*ROLE_MEMBERS.values(), *VOLUNTEERS]:
        valid = any(
            t.kind is TrainingKind.ACCOMPANIMENT and (t.valid_days is None or t.valid_days > t.completed_days_ago)
            for t in spec.trainings
        )
        if valid and Role.ACCOMPANIER in spec.roles:
            eligible.append(b.members[spec.local_part])
    return eligible


async def _requests(b: DemoBuilder) -> None:
    eligible = _trained_accompaniers(b)
    detained_incident = b.incidents["checkin_arrest"].id
    teams: list[AccompanimentAssignment] = []
    for spec in REQUESTS:
        org = b.orgs[spec.org]
        appointment = b.day(spec.day, spec.hour)
        row = AccompanimentRequest(id=uuid.uuid4(), organization_id=org.id, person_id=b.persons[spec.person].id)
        row.region_id, row.congregation_id = org.region_id, b.congregation_id(spec.congregation)
        row.kind, row.urgency, row.status, row.outcome = spec.kind, spec.urgency, spec.status, spec.outcome
        row.appointment_at, row.place, row.languages_needed = appointment, spec.place, list(spec.languages)
        row.created_at = min(appointment, b.now) - timedelta(days=b.rng.randint(3, 12), hours=b.rng.randint(0, 8))
        row.updated_at = min(appointment + timedelta(hours=3), b.now)
        row.incident_id = detained_incident if spec.outcome is AccompanimentOutcome.DETAINED else None
        row.notes = await b.seal(org.id, row.id, storage_name(AccompanimentRequest.notes), spec.note)
        b.add(row)
        teams += _team(b, row, b.members[spec.lead] if spec.lead else None, eligible)
    await b.flush()
    b.add(*teams)
    await b.flush()


def _team(
    b: DemoBuilder, request: AccompanimentRequest, lead: Member | None, eligible: list[Member]
) -> list[AccompanimentAssignment]:
    slots = TEAMS.get(request.status, ())
    others = b.rng.sample([m for m in eligible if m is not lead], k=len(slots))
    people = [lead, *others] if lead is not None else others
    return [
        AccompanimentAssignment(id=uuid.uuid4(), request_id=request.id, member_id=member.id, role=role, status=status)
        for (role, status), member in zip(slots, people, strict=False)
    ]


async def _advocacy(b: DemoBuilder) -> None:
    organizers: list[AdvocacyOrganizer] = []
    for spec in ACTIONS:
        org = b.orgs[spec.org]
        case = None if spec.case is None else b.cases[spec.case]
        if case is not None and not case.public_story_consent:
            raise ValueError("an advocacy action may link a sanctuary case only with public-story consent")
        row = AdvocacyAction(id=uuid.uuid4(), organization_id=org.id, title=spec.title, kind=spec.kind)
        row.level, row.visibility, row.status = spec.level, spec.visibility, spec.status
        row.target, row.place, row.starts_at = spec.target, spec.place, b.day(spec.day, 18)
        row.sanctuary_case_id = None if case is None else case.id
        b.add(row)
        organizers += [AdvocacyOrganizer(id=uuid.uuid4(), action_id=row.id, organization_id=b.orgs[key].id)
                       for key in (spec.org, *spec.co_organizers)]  # fmt: skip
    await b.flush()
    b.add(*organizers)
    await b.flush()
