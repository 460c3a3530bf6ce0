"""Async builders for test data: each writes real rows (flush, no commit) and returns them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import create_personal_token
from api.crypto import Sealer
from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    Congregation,
    Member,
    Organization,
    Person,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
    Training,
)
from api.models.enums import (
    AccompanimentKind,
    AssignmentRole,
    Commitment,
    IncidentKind,
    IntakeChannel,
    OrganizationKind,
    Role,
    SanctuaryCaseStatus,
    TrainingKind,
)
from tests.canaries import canary


def _suffix() -> str:
    return uuid.uuid4().hex[:8]


async def _add(session: AsyncSession, *rows: Any) -> None:
    session.add_all(rows)
    await session.flush()


async def region(session: AsyncSession, **values: Any) -> Region:
    row = Region(id=uuid.uuid4(), **{"name": "Alder County", "code": f"alder-{_suffix()}", **values})
    await _add(session, row)
    return row


async def organization(
    session: AsyncSession, kind: OrganizationKind = OrganizationKind.CONGREGATION, **values: Any
) -> Organization:
    region_id = values.pop("region_id", None) or (await region(session)).id
    row = Organization(id=uuid.uuid4(), kind=kind, region_id=region_id, **{"name": f"Org {_suffix()}", **values})
    await _add(session, row)
    return row


async def congregation(session: AsyncSession, org: Organization | None = None, **values: Any) -> Congregation:
    org = org or await organization(session)
    defaults: dict[str, Any] = {
        "public_name": f"Grace Chapel {_suffix()}",
        "faith_tradition": "Methodist",
        "city": "Riverton",
        "commitment": Commitment.HOST,
        "public_declaration": True,
        "capacity": 2,
        "contact_phone": "555-0100",
    }
    row = Congregation(id=uuid.uuid4(), organization_id=org.id, **{**defaults, **values})
    await _add(session, row)
    return row


async def member(
    session: AsyncSession, org: Organization, *roles: Role, trained_until: datetime | None = None, **values: Any
) -> Member:
    canary(values.get("legal_name"))
    row = Member(
        id=uuid.uuid4(),
        organization_id=org.id,
        roles=[r.value for r in roles],
        **{
            "email": f"m-{_suffix()}@example.test",
            "alias": f"Wren {_suffix()}",
            "legal_name": "Wren Example",
            **values,
        },
    )
    await _add(session, row)
    if trained_until is not None:
        await _add(
            session,
            Training(
                id=uuid.uuid4(),
                member_id=row.id,
                kind=TrainingKind.ACCOMPANIMENT,
                completed_at=trained_until - timedelta(days=365),
                expires_at=trained_until,
            ),
        )
    return row


async def token_for(session: AsyncSession, who: Member) -> str:
    _row, secret = await create_personal_token(session, who, name="test", lifetime=timedelta(hours=1))
    canary(secret)
    return secret


async def person(session: AsyncSession, sealer: Sealer, org: Organization, **values: Any) -> Person:
    row = Person(id=uuid.uuid4(), organization_id=org.id, preferred_name=values.pop("preferred_name", "Ana"))
    legal_name = canary(values.pop("legal_name", None))
    row.legal_name = await sealer.seal(session, org.id, row.id, "person.legal_name", legal_name)
    a_number = canary(values.pop("a_number", None))
    row.a_number = await sealer.seal(session, org.id, row.id, "person.a_number", a_number)
    row.a_number_index = await sealer.blind_index(session, a_number) if a_number else None
    for key, value in values.items():
        setattr(row, key, value)
    await _add(session, row)
    return row


async def accompaniment_request(
    session: AsyncSession, sealer: Sealer, org: Organization, who: Person, **values: Any
) -> AccompanimentRequest:
    row = AccompanimentRequest(
        id=uuid.uuid4(),
        organization_id=org.id,
        person_id=who.id,
        region_id=values.pop("region_id", org.region_id),
        kind=values.pop("kind", AccompanimentKind.COURT_HEARING),
        appointment_at=values.pop("appointment_at", datetime.now(UTC) + timedelta(days=7)),
        place=values.pop("place", "Immigration Court, Room 4"),
    )
    notes = canary(values.pop("notes", None))
    row.notes = await sealer.seal(session, org.id, row.id, "accompaniment_request.notes", notes)
    for key, value in values.items():
        setattr(row, key, value)
    await _add(session, row)
    return row


async def assignment(
    session: AsyncSession, request: AccompanimentRequest, volunteer: Member
) -> AccompanimentAssignment:
    row = AccompanimentAssignment(
        id=uuid.uuid4(), request_id=request.id, member_id=volunteer.id, role=AssignmentRole.SUPPORT
    )
    await _add(session, row)
    return row


async def sanctuary_case(
    session: AsyncSession, sealer: Sealer, host: Congregation, guest: Person, **values: Any
) -> SanctuaryCase:
    row = SanctuaryCase(
        id=uuid.uuid4(),
        organization_id=host.organization_id,
        person_id=guest.id,
        host_congregation_id=host.id,
        status=values.pop("status", SanctuaryCaseStatus.IN_SANCTUARY),
    )
    location = canary(values.pop("location_detail", None))
    row.location_detail = await sealer.seal(
        session, host.organization_id, row.id, "sanctuary_case.location_detail", location
    )
    await _add(session, row)
    return row


async def incident(session: AsyncSession, sealer: Sealer, org: Organization, **values: Any) -> RapidResponseIncident:
    row = RapidResponseIncident(
        id=uuid.uuid4(),
        organization_id=org.id,
        region_id=org.region_id,
        kind=values.pop("kind", IncidentKind.WORKPLACE_RAID),
        intake_channel=IntakeChannel.HOTLINE,
        reported_at=datetime.now(UTC),
        coarse_area=values.pop("coarse_area", "Mill district, Alder County"),
    )
    exact = canary(values.pop("exact_location", None))
    row.exact_location = await sealer.seal(session, org.id, row.id, "rapid_response_incident.exact_location", exact)
    for key, value in values.items():
        setattr(row, key, value)
    await _add(session, row)
    return row
