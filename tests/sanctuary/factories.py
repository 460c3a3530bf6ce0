"""Builders for the sanctuary workflow tests: a host congregation with its coordinator, cases, shifts, sign-ups."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import (
    CaseSupporter,
    Congregation,
    HospitalityShift,
    Organization,
    SanctuaryCase,
    ShiftAssignment,
)
from api.models.enums import ExitOutcome, Role, SanctuaryCaseStatus, ShiftAssignmentStatus, ShiftStatus
from api.schema.engine.ids import decode_global_id, encode_global_id
from tests import factories
from tests.workflow import Actor, actor


def encode(type_name: str, record_id: uuid.UUID | None = None) -> str:
    """The opaque id of a ``type_name`` record (a random one: an id nothing has)."""
    return encode_global_id(type_name, record_id or uuid.uuid4())


def decode(value: str) -> uuid.UUID:
    """The record id inside an opaque id."""
    return decode_global_id(value)[1]


@dataclass
class Host:
    """A congregation organization, its congregation and its sanctuary coordinator."""

    org: Organization
    congregation: Congregation
    coordinator: Actor


async def host(db: AsyncSession, *roles: Role) -> Host:
    """A new host congregation; its member holds ``roles`` (a sanctuary coordinator by default)."""
    org = await factories.organization(db)
    congregation = await factories.congregation(db, org)
    return Host(org, congregation, await actor(db, org, *(roles or (Role.SANCTUARY_COORDINATOR,))))


async def case(
    db: AsyncSession, sealer: Sealer, where: Host, status: SanctuaryCaseStatus = SanctuaryCaseStatus.IN_SANCTUARY
) -> SanctuaryCase:
    """A case of a new person of the host's organization, in ``status`` (with an exit outcome once exited)."""
    guest = await factories.person(db, sealer, where.org)
    exited = status in (SanctuaryCaseStatus.EXITED, SanctuaryCaseStatus.CLOSED)
    row = SanctuaryCase(
        id=uuid.uuid4(), organization_id=where.org.id, person_id=guest.id,
        host_congregation_id=where.congregation.id, status=status,
        exit_outcome=ExitOutcome.LEFT_VOLUNTARILY if exited else None,
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row


async def supporter(db: AsyncSession, of: SanctuaryCase, congregation: Congregation, *roles: str) -> CaseSupporter:
    row = CaseSupporter(
        id=uuid.uuid4(), case_id=of.id, congregation_id=congregation.id, roles=list(roles or ("HOSPITALITY",))
    )
    db.add(row)
    await db.flush()
    return row


async def shift(
    db: AsyncSession,
    of: SanctuaryCase,
    status: ShiftStatus = ShiftStatus.OPEN,
    *,
    starts_in: timedelta = timedelta(days=1),
    needed: int = 2,
    staffed_by: Congregation | None = None,
) -> HospitalityShift:
    """A four-hour shift of the case starting ``starts_in`` from now (negative: it has started)."""
    start = datetime.now(UTC) + starts_in
    row = HospitalityShift(
        id=uuid.uuid4(), organization_id=of.organization_id, case_id=of.id, starts_at=start,
        ends_at=start + timedelta(hours=4), needed_volunteers=needed, status=status,
        supporting_congregation_id=None if staffed_by is None else staffed_by.id,
    )  # fmt: skip
    db.add(row)
    await db.flush()
    return row


async def signup(
    db: AsyncSession, on: HospitalityShift, who: Actor, status: ShiftAssignmentStatus = ShiftAssignmentStatus.SIGNED_UP
) -> ShiftAssignment:
    row = ShiftAssignment(id=uuid.uuid4(), shift_id=on.id, member_id=who.id, status=status)
    db.add(row)
    await db.flush()
    return row


async def signups(db: AsyncSession, on: HospitalityShift) -> dict[uuid.UUID, ShiftAssignmentStatus]:
    """Member id -> sign-up status of every sign-up on the shift."""
    rows = await db.execute(
        select(ShiftAssignment.member_id, ShiftAssignment.status).where(ShiftAssignment.shift_id == on.id)
    )
    return dict(rows.all())


async def count(db: AsyncSession, model: type[Any], *conditions: Any) -> int:
    """How many rows of ``model`` match."""
    return int(await db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)
