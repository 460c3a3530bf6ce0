"""Which rows a viewer may read: one function per entity, each returning a SELECT.

Every root field, connection, nested relation and ``node``/``nodes`` lookup starts from
these statements (``tests/test_access_guard.py`` fails if a schema module queries a model
any other way). Policy of this release (refined per role in the "Role-scoped access" work):

* anonymous: regions, publicly declared congregations, public announced/held advocacy
  actions and broadcast (CONFIRMED) incident alerts; nothing else;
* members: network-level (T1) records network-wide; protected people, sanctuary cases,
  shifts, accompaniment requests and incident timelines only of their own organization
  or where their organization is the routed / supporting one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from api.auth.viewer import Viewer
from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    AdvocacyAction,
    AdvocacyOrganizer,
    AuditEvent,
    CaseSupporter,
    Congregation,
    HospitalityShift,
    HouseholdLink,
    IncidentDispatch,
    IncidentTimelineEvent,
    Member,
    Organization,
    Person,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
    ShiftAssignment,
    Training,
)
from api.models.enums import AdvocacyStatus, Role, Verification, Visibility


def _congregation_ids_of(viewer: Viewer) -> Select[Any]:
    return select(Congregation.id).where(Congregation.organization_id == viewer.organization_id)


def regions(viewer: Viewer) -> Select[Any]:
    """Regions are coarse public geography."""
    return select(Region)


def organizations(viewer: Viewer) -> Select[Any]:
    """Organizations are network-level records."""
    return select(Organization).where(_member_only(viewer))


def congregations(viewer: Viewer) -> Select[Any]:
    """Anonymous viewers see only congregations that declared publicly."""
    if viewer.is_anonymous:
        return select(Congregation).where(Congregation.public_declaration)
    return select(Congregation)


def members(viewer: Viewer) -> Select[Any]:
    """Active members are visible to the network by alias; inactive ones only to their organization."""
    return select(Member).where(
        _member_only(viewer), or_(Member.active, Member.organization_id == viewer.organization_id)
    )


def trainings(viewer: Viewer) -> Select[Any]:
    """Trainings follow their member."""
    return select(Training).where(Training.member_id.in_(members(viewer).with_only_columns(Member.id)))


def persons(viewer: Viewer) -> Select[Any]:
    """Protected people: only the organization that registered them."""
    return select(Person).where(_own(viewer, Person.organization_id))


def household_links(viewer: Viewer) -> Select[Any]:
    """Household links: only the organization that registered them."""
    return select(HouseholdLink).where(_own(viewer, HouseholdLink.organization_id))


def sanctuary_cases(viewer: Viewer) -> Select[Any]:
    """The host organization's cases, and cases its congregation supports."""
    if viewer.is_anonymous:
        return select(SanctuaryCase).where(false())
    supported = select(CaseSupporter.case_id).where(CaseSupporter.congregation_id.in_(_congregation_ids_of(viewer)))
    return select(SanctuaryCase).where(
        or_(SanctuaryCase.organization_id == viewer.organization_id, SanctuaryCase.id.in_(supported))
    )


def case_supporters(viewer: Viewer) -> Select[Any]:
    """Supporter links of readable cases."""
    return select(CaseSupporter).where(CaseSupporter.case_id.in_(_ids(sanctuary_cases(viewer), SanctuaryCase)))


def hospitality_shifts(viewer: Viewer) -> Select[Any]:
    """Shifts of readable cases."""
    return select(HospitalityShift).where(HospitalityShift.case_id.in_(_ids(sanctuary_cases(viewer), SanctuaryCase)))


def shift_assignments(viewer: Viewer) -> Select[Any]:
    """Sign-ups of readable shifts, and one's own."""
    return select(ShiftAssignment).where(
        or_(
            ShiftAssignment.shift_id.in_(_ids(hospitality_shifts(viewer), HospitalityShift)),
            _self(viewer, ShiftAssignment.member_id),
        )
    )


def accompaniment_requests(viewer: Viewer) -> Select[Any]:
    """Requests the organization submitted or that are routed to its congregation."""
    if viewer.is_anonymous:
        return select(AccompanimentRequest).where(false())
    return select(AccompanimentRequest).where(
        or_(
            AccompanimentRequest.organization_id == viewer.organization_id,
            AccompanimentRequest.congregation_id.in_(_congregation_ids_of(viewer)),
        )
    )


def accompaniment_assignments(viewer: Viewer) -> Select[Any]:
    """Assignments of readable requests, and one's own."""
    return select(AccompanimentAssignment).where(
        or_(
            AccompanimentAssignment.request_id.in_(_ids(accompaniment_requests(viewer), AccompanimentRequest)),
            _self(viewer, AccompanimentAssignment.member_id),
        )
    )


def incidents(viewer: Viewer) -> Select[Any]:
    """Members see the network's incidents (coarse); anonymous viewers only broadcast alerts."""
    if viewer.is_anonymous:
        return select(RapidResponseIncident).where(
            RapidResponseIncident.broadcast_at.is_not(None),
            RapidResponseIncident.verification == Verification.CONFIRMED,
        )
    return select(RapidResponseIncident)


def incident_dispatches(viewer: Viewer) -> Select[Any]:
    """Dispatches of the holding organization, and one's own."""
    return select(IncidentDispatch).where(
        or_(_own(viewer, IncidentDispatch.organization_id), _self(viewer, IncidentDispatch.member_id))
    )


def incident_timeline_events(viewer: Viewer) -> Select[Any]:
    """Timelines: only the organization holding the incident."""
    return select(IncidentTimelineEvent).where(_own(viewer, IncidentTimelineEvent.organization_id))


def advocacy_actions(viewer: Viewer) -> Select[Any]:
    """Public announced actions for everyone; network actions for members; org actions for organizers."""
    public = (AdvocacyAction.visibility == Visibility.PUBLIC) & AdvocacyAction.status.in_(
        [AdvocacyStatus.ANNOUNCED, AdvocacyStatus.HELD]
    )
    if viewer.is_anonymous:
        return select(AdvocacyAction).where(public)
    organizing = select(AdvocacyOrganizer.action_id).where(AdvocacyOrganizer.organization_id == viewer.organization_id)
    return select(AdvocacyAction).where(
        or_(
            AdvocacyAction.visibility.in_([Visibility.PUBLIC, Visibility.NETWORK]),
            AdvocacyAction.organization_id == viewer.organization_id,
            AdvocacyAction.id.in_(organizing),
        )
    )


def advocacy_organizers(viewer: Viewer) -> Select[Any]:
    """Organizer links of readable actions."""
    return select(AdvocacyOrganizer).where(
        AdvocacyOrganizer.action_id.in_(_ids(advocacy_actions(viewer), AdvocacyAction))
    )


def audit_events(viewer: Viewer) -> Select[Any]:
    """Auditors and org admins read their organization's audit log; the hub's auditor the network's."""
    if not viewer.has_role(Role.AUDITOR, Role.ORG_ADMIN):
        return select(AuditEvent).where(false())
    return select(AuditEvent).where(AuditEvent.organization_id == viewer.organization_id)


READABLE: dict[type[Any], Callable[[Viewer], Select[Any]]] = {
    Region: regions,
    Organization: organizations,
    Congregation: congregations,
    Member: members,
    Training: trainings,
    Person: persons,
    HouseholdLink: household_links,
    SanctuaryCase: sanctuary_cases,
    CaseSupporter: case_supporters,
    HospitalityShift: hospitality_shifts,
    ShiftAssignment: shift_assignments,
    AccompanimentRequest: accompaniment_requests,
    AccompanimentAssignment: accompaniment_assignments,
    RapidResponseIncident: incidents,
    IncidentDispatch: incident_dispatches,
    IncidentTimelineEvent: incident_timeline_events,
    AdvocacyAction: advocacy_actions,
    AdvocacyOrganizer: advocacy_organizers,
    AuditEvent: audit_events,
}


def readable(viewer: Viewer, model: type[Any]) -> Select[Any]:
    """The rows of ``model`` the viewer may read, as a SELECT to refine (never widen)."""
    return READABLE[model](viewer)


def _member_only(viewer: Viewer) -> ColumnElement[bool]:
    return false() if viewer.is_anonymous else true()


def _own(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    return false() if viewer.is_anonymous else column == viewer.organization_id


def _self(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    return false() if viewer.member_id is None else column == viewer.member_id


def _ids(statement: Select[Any], model: type[Any]) -> Select[Any]:
    return statement.with_only_columns(model.id)
