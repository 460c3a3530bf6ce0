"""What ties a viewer to records: loaded once per request, in one statement, only as its roles need.

Facts are small sets of ids about the viewer itself (its congregations, its assignments, its
dispatches, the cases it hosts): the relations in :mod:`api.auth.relations` test rows against them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ScalarSelect, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    CaseSupporter,
    Congregation,
    HospitalityShift,
    IncidentDispatch,
    Member,
    SanctuaryCase,
    ShiftAssignment,
)
from api.models.enums import AssignmentStatus, Role, ShiftAssignmentStatus

Ids = frozenset[uuid.UUID]


@dataclass(frozen=True)
class Facts:
    """Id sets tying the viewer to records (empty for anonymous viewers)."""

    congregation_ids: Ids = field(default_factory=frozenset)
    supported_case_ids: Ids = field(default_factory=frozenset)
    hosted_person_ids: Ids = field(default_factory=frozenset)
    assigned_shift_ids: Ids = field(default_factory=frozenset)
    volunteer_case_ids: Ids = field(default_factory=frozenset)
    assigned_request_ids: Ids = field(default_factory=frozenset)
    assigned_person_ids: Ids = field(default_factory=frozenset)
    routed_person_ids: Ids = field(default_factory=frozenset)
    matched_request_ids: Ids = field(default_factory=frozenset)
    dispatched_incident_ids: Ids = field(default_factory=frozenset)


NO_FACTS = Facts()


async def load_facts(session: AsyncSession, viewer: Viewer) -> Facts:
    """The facts the viewer's roles need, in a single round trip."""
    if viewer.is_anonymous or viewer.member_id is None:
        return NO_FACTS
    queries = {name: build(viewer) for name, (roles, build) in _FACTS.items() if viewer.has_role(*roles)}
    if not queries:
        return NO_FACTS
    row = (await session.execute(select(*(_array(q).label(n) for n, q in queries.items())))).one()
    return Facts(**{name: frozenset(getattr(row, name) or ()) for name in queries})


def _array(query: Select[Any]) -> ScalarSelect[Any]:
    return select(func.array_agg(query.subquery().c[0])).scalar_subquery()


def _congregations(viewer: Viewer) -> Select[Any]:
    return select(Congregation.id).where(Congregation.organization_id == viewer.organization_id)


def _supported_cases(viewer: Viewer) -> Select[Any]:
    return select(CaseSupporter.case_id).where(CaseSupporter.congregation_id.in_(_congregations(viewer)))


def _hosted_persons(viewer: Viewer) -> Select[Any]:
    return select(SanctuaryCase.person_id).where(SanctuaryCase.organization_id == viewer.organization_id)


def _assigned_shifts(viewer: Viewer) -> Select[Any]:
    return select(ShiftAssignment.shift_id).where(
        ShiftAssignment.member_id == viewer.member_id, ShiftAssignment.status != ShiftAssignmentStatus.WITHDRAWN
    )


def _volunteer_cases(viewer: Viewer) -> Select[Any]:
    return select(HospitalityShift.case_id).where(HospitalityShift.id.in_(_assigned_shifts(viewer)))


def _assigned_requests(viewer: Viewer) -> Select[Any]:
    return select(AccompanimentAssignment.request_id).where(
        AccompanimentAssignment.member_id == viewer.member_id,
        AccompanimentAssignment.status != AssignmentStatus.DECLINED,
    )


def _assigned_persons(viewer: Viewer) -> Select[Any]:
    requests = select(AccompanimentRequest.person_id).where(AccompanimentRequest.id.in_(_assigned_requests(viewer)))
    cases = select(SanctuaryCase.person_id).where(SanctuaryCase.id.in_(_volunteer_cases(viewer)))
    return requests.union(cases)  # type: ignore[return-value]


def _routed_persons(viewer: Viewer) -> Select[Any]:
    return select(AccompanimentRequest.person_id).where(
        AccompanimentRequest.congregation_id.in_(_congregations(viewer))
    )


def _matched_requests(viewer: Viewer) -> Select[Any]:
    org_members = select(Member.id).where(Member.organization_id == viewer.organization_id)
    return select(AccompanimentAssignment.request_id).where(AccompanimentAssignment.member_id.in_(org_members))


def _dispatched_incidents(viewer: Viewer) -> Select[Any]:
    return select(IncidentDispatch.incident_id).where(IncidentDispatch.member_id == viewer.member_id)


_FACTS = {
    # only the relations some role's grants use: ROUTED, STAFFING (api/auth/fields.py)
    "congregation_ids": (
        (Role.ACCOMPANIMENT_COORDINATOR, Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER),
        _congregations,
    ),
    "supported_case_ids": ((Role.SANCTUARY_COORDINATOR, Role.ORG_ADMIN), _supported_cases),
    "hosted_person_ids": ((Role.SANCTUARY_COORDINATOR,), _hosted_persons),
    "assigned_shift_ids": ((Role.HOSPITALITY_VOLUNTEER,), _assigned_shifts),
    "volunteer_case_ids": ((Role.HOSPITALITY_VOLUNTEER,), _volunteer_cases),
    "assigned_request_ids": ((Role.ACCOMPANIER,), _assigned_requests),
    "assigned_person_ids": ((Role.ACCOMPANIER, Role.HOSPITALITY_VOLUNTEER), _assigned_persons),
    "routed_person_ids": ((Role.ACCOMPANIMENT_COORDINATOR,), _routed_persons),
    "matched_request_ids": ((Role.ACCOMPANIMENT_COORDINATOR,), _matched_requests),
    "dispatched_incident_ids": ((Role.RR_RESPONDER,), _dispatched_incidents),
}
