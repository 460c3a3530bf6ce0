"""How a viewer is tied to records, as SQL: the one definition shared by the row rules and the facts.

``api.auth.access`` uses these to decide which rows a viewer may read; ``api.auth.facts`` loads
the same sets of ids once per request to decide which fields it may read on them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from api.auth.viewer import Viewer
from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    CaseSupporter,
    Congregation,
    HospitalityShift,
    IncidentDispatch,
    Member,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
    ShiftAssignment,
)
from api.models.enums import AccompanimentStatus, AssignmentStatus, IncidentStatus, Role, ShiftAssignmentStatus

# requests whose accompaniment will not happen: their assignees no longer read where and when it was
CALLED_OFF = (AccompanimentStatus.CANCELLED, AccompanimentStatus.UNFILLED)


def member(viewer: Viewer) -> ColumnElement[bool]:
    """True for any authenticated viewer that reads records (a viewer holding only AUDITOR reads none)."""
    return false() if viewer.is_anonymous or viewer.audits_only else true()


def public(viewer: Viewer, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` (a public row) for every viewer but one holding only AUDITOR (it reads the audit log only)."""
    return false() if viewer.audits_only else condition


def own(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    """The row belongs to the viewer's organization."""
    return false() if viewer.is_anonymous else column == viewer.organization_id


def role_in_own(viewer: Viewer, column: Any, *roles: Role) -> ColumnElement[bool]:
    """The row belongs to the viewer's organization and the viewer holds one of ``roles``."""
    return own(viewer, column) if viewer.has_role(*roles) else false()


def when(viewer: Viewer, roles: Role | tuple[Role, ...], condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """``condition`` for viewers holding one of ``roles``, nothing for others."""
    wanted = roles if isinstance(roles, tuple) else (roles,)
    return condition if viewer.has_role(*wanted) else false()


def itself(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    """The row is the viewer's own (its member id)."""
    return false() if viewer.member_id is None else column == viewer.member_id


def congregations(viewer: Viewer) -> Select[Any]:
    """Ids of the viewer's organization's congregations."""
    return select(Congregation.id).where(own(viewer, Congregation.organization_id))


def supported_cases(viewer: Viewer) -> Select[Any]:
    """Ids of the sanctuary cases the viewer's congregations support."""
    return select(CaseSupporter.case_id).where(CaseSupporter.congregation_id.in_(congregations(viewer)))


def hosted(viewer: Viewer, column: Any = SanctuaryCase.id) -> Select[Any]:
    """``column`` of the sanctuary cases the viewer's organization hosts."""
    return select(column).where(own(viewer, SanctuaryCase.organization_id))


def assigned_shifts(viewer: Viewer) -> Select[Any]:
    """Ids of the shifts the viewer signed up for (and did not withdraw from)."""
    return select(ShiftAssignment.shift_id).where(
        itself(viewer, ShiftAssignment.member_id), ShiftAssignment.status != ShiftAssignmentStatus.WITHDRAWN
    )


def volunteer_cases(viewer: Viewer, column: Any = SanctuaryCase.id) -> Select[Any]:
    """``column`` of the sanctuary cases with a shift the viewer signed up for."""
    shifts = select(HospitalityShift.case_id).where(HospitalityShift.id.in_(assigned_shifts(viewer)))
    return select(column).where(SanctuaryCase.id.in_(shifts))


def routed(viewer: Viewer, column: Any = AccompanimentRequest.id) -> Select[Any]:
    """``column`` of the accompaniment requests routed to the viewer's congregations."""
    return select(column).where(AccompanimentRequest.congregation_id.in_(congregations(viewer)))


def assigned_requests(viewer: Viewer, column: Any = AccompanimentRequest.id) -> Select[Any]:
    """``column`` of the accompaniment requests the viewer is on (invited or accepted, not declined)."""
    mine = select(AccompanimentAssignment.request_id).where(
        itself(viewer, AccompanimentAssignment.member_id), AccompanimentAssignment.status != AssignmentStatus.DECLINED
    )
    return select(column).where(AccompanimentRequest.id.in_(mine))


def accompanying(viewer: Viewer, column: Any = AccompanimentRequest.id) -> Select[Any]:
    """``column`` of the requests the viewer is on whose accompaniment goes (or went) ahead: not CANCELLED, not
    UNFILLED. The person, the appointment and the place are for those; a called-off request's assignee keeps
    only its row (its status says it was called off) and its own assignment."""
    return assigned_requests(viewer, column).where(AccompanimentRequest.status.not_in(CALLED_OFF))


def org_members(viewer: Viewer) -> Select[Any]:
    """Ids of the members of the viewer's organization."""
    return select(Member.id).where(own(viewer, Member.organization_id))


def routed_here(viewer: Viewer) -> ColumnElement[bool]:
    """Accompaniment requests routed to the viewer's congregations, or to the whole network (not routed yet)."""
    return or_(
        AccompanimentRequest.congregation_id.is_(None),
        AccompanimentRequest.congregation_id.in_(congregations(viewer)),
    )


def matched_requests(viewer: Viewer) -> Select[Any]:
    """Ids of the requests with a volunteer of the viewer's organization on them (invited or accepted, not declined)."""
    return select(AccompanimentAssignment.request_id).where(
        AccompanimentAssignment.member_id.in_(org_members(viewer)),
        AccompanimentAssignment.status != AssignmentStatus.DECLINED,
    )


def dispatch_regions(viewer: Viewer) -> Select[Any]:
    """Ids of the regions the viewer dispatches for: its organization's and its own (``region_ids``), and
    those the hub made its organization responsible for (``region.rapid_response_organization_id``)."""
    return select(Region.id).where(
        or_(Region.id.in_(viewer.region_ids), own(viewer, Region.rapid_response_organization_id))
    )


def in_dispatch_regions(viewer: Viewer, column: InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """The row's region (``column``) is one the viewer dispatches for."""
    return column.in_(dispatch_regions(viewer))


def dispatched_incidents(viewer: Viewer) -> Select[Any]:
    """Ids of the incidents the viewer was dispatched to."""
    return select(IncidentDispatch.incident_id).where(itself(viewer, IncidentDispatch.member_id))


def active_dispatches(viewer: Viewer) -> Select[Any]:
    """Ids of the incidents the viewer is dispatched to, not yet released from and not closed (exact locations
    and timeline notes are for responders on the job; after release they may still add a debrief)."""
    not_closed = select(RapidResponseIncident.id).where(RapidResponseIncident.status != IncidentStatus.CLOSED)
    return select(IncidentDispatch.incident_id).where(
        itself(viewer, IncidentDispatch.member_id),
        IncidentDispatch.released_at.is_(None),
        IncidentDispatch.incident_id.in_(not_closed),
    )
