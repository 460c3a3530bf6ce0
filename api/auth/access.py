"""Which rows a viewer may read: one function per entity, each returning a SELECT.

Every root field, connection, nested relation and ``node``/``nodes`` lookup starts from these
statements (``tests/test_access_guard.py`` fails if a schema module queries a model another
way). They follow the roles table of the domain specification: anonymous viewers get public
(T0) rows only; any member gets network-level (T1) rows network-wide; protected people,
sanctuary cases, shifts, requests and incident details only reach the roles tied to them.
Which *fields* of a readable row a viewer sees is decided in :mod:`api.auth.fields`.
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
    OAuthClient,
    Organization,
    Person,
    PersonalAccessToken,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
    ShiftAssignment,
    Training,
)
from api.models.enums import (
    AdvocacyStatus,
    AssignmentStatus,
    Role,
    ShiftAssignmentStatus,
    Verification,
    Visibility,
)

OWN_ORG_ROLES = (Role.ORG_ADMIN,)


def regions(viewer: Viewer) -> Select[Any]:
    """Regions are coarse geography, for members (anonymous viewers get alerts' coarse areas instead)."""
    return select(Region).where(_member(viewer))


def organizations(viewer: Viewer) -> Select[Any]:
    """Organizations are network-level records."""
    return select(Organization).where(_member(viewer))


def congregations(viewer: Viewer) -> Select[Any]:
    """Anonymous viewers see only congregations that declared publicly."""
    if viewer.is_anonymous:
        return select(Congregation).where(Congregation.public_declaration)
    return select(Congregation)


def members(viewer: Viewer) -> Select[Any]:
    """Active members are visible to the network by alias; inactive ones only to their organization."""
    return select(Member).where(_member(viewer), or_(Member.active, _own(viewer, Member.organization_id)))


def trainings(viewer: Viewer) -> Select[Any]:
    """Trainings follow their member."""
    return select(Training).where(Training.member_id.in_(_ids(members(viewer), Member)))


def persons(viewer: Viewer) -> Select[Any]:
    """Protected people: their organization's admins and legal advocates, and the roles tied to them."""
    return select(Person).where(
        or_(
            _role_in_own(viewer, Person.organization_id, Role.ORG_ADMIN, Role.LEGAL_ADVOCATE, Role.NETWORK_COORDINATOR),
            _if(viewer, Role.SANCTUARY_COORDINATOR, Person.id.in_(_hosted(viewer, SanctuaryCase.person_id))),
            _if(viewer, Role.HOSPITALITY_VOLUNTEER, Person.id.in_(_volunteer_cases(viewer, SanctuaryCase.person_id))),
            _if(viewer, Role.ACCOMPANIMENT_COORDINATOR, Person.id.in_(_routed(viewer, AccompanimentRequest.person_id))),
            _if(viewer, Role.ACCOMPANIER, Person.id.in_(_assigned(viewer, AccompanimentRequest.person_id))),
        )
    )


def household_links(viewer: Viewer) -> Select[Any]:
    """Household links: the registering organization's admins and legal advocates."""
    return select(HouseholdLink).where(
        _role_in_own(viewer, HouseholdLink.organization_id, Role.ORG_ADMIN, Role.LEGAL_ADVOCATE)
    )


def sanctuary_cases(viewer: Viewer) -> Select[Any]:
    """The host's coordinators and admins; supporting congregations; volunteers on its shifts; the hub."""
    return select(SanctuaryCase).where(
        or_(
            _role_in_own(viewer, SanctuaryCase.organization_id, Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR),
            _if(viewer, (Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR), SanctuaryCase.id.in_(_supported(viewer))),
            _if(viewer, Role.HOSPITALITY_VOLUNTEER, SanctuaryCase.id.in_(_volunteer_cases(viewer, SanctuaryCase.id))),
            _if(viewer, Role.NETWORK_COORDINATOR, true()),
            _if(viewer, Role.ORGANIZER, SanctuaryCase.public_story_consent.is_(True)),
        )
    )


def case_supporters(viewer: Viewer) -> Select[Any]:
    """Supporter links of readable cases."""
    return select(CaseSupporter).where(CaseSupporter.case_id.in_(_ids(sanctuary_cases(viewer), SanctuaryCase)))


def hospitality_shifts(viewer: Viewer) -> Select[Any]:
    """Shifts of cases the viewer coordinates, shifts its congregation staffs, and its own."""
    staffing = HospitalityShift.supporting_congregation_id.in_(_congregation_ids(viewer))
    return select(HospitalityShift).where(
        or_(
            _role_in_own(viewer, HospitalityShift.organization_id, Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR),
            _if(viewer, (Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER, Role.ORG_ADMIN), staffing),
            _if(viewer, Role.HOSPITALITY_VOLUNTEER, HospitalityShift.id.in_(_assigned_shifts(viewer))),
            _if(viewer, Role.NETWORK_COORDINATOR, true()),
        )
    )


def shift_assignments(viewer: Viewer) -> Select[Any]:
    """Sign-ups of readable shifts, and one's own."""
    return select(ShiftAssignment).where(
        or_(
            ShiftAssignment.shift_id.in_(_ids(hospitality_shifts(viewer), HospitalityShift)),
            _self(viewer, ShiftAssignment.member_id),
        )
    )


def accompaniment_requests(viewer: Viewer) -> Select[Any]:
    """The submitting organization; coordinators of the congregation (or network) it is routed to; assignees."""
    routed = or_(
        AccompanimentRequest.congregation_id.is_(None),
        AccompanimentRequest.congregation_id.in_(_congregation_ids(viewer)),
    )
    return select(AccompanimentRequest).where(
        or_(
            _role_in_own(viewer, AccompanimentRequest.organization_id, Role.ORG_ADMIN, Role.LEGAL_ADVOCATE),
            _if(viewer, Role.ACCOMPANIMENT_COORDINATOR, routed),
            _if(viewer, Role.ACCOMPANIER, AccompanimentRequest.id.in_(_assigned(viewer, AccompanimentRequest.id))),
            _if(viewer, Role.NETWORK_COORDINATOR, true()),
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
    """Members see the network's incidents (coarse fields); anonymous viewers only broadcast alerts."""
    if viewer.is_anonymous:
        return select(RapidResponseIncident).where(
            RapidResponseIncident.broadcast_at.is_not(None),
            RapidResponseIncident.verification == Verification.CONFIRMED,
        )
    return select(RapidResponseIncident)


def incident_dispatches(viewer: Viewer) -> Select[Any]:
    """Dispatches: the holding organization's dispatchers and admins, and the responder's own."""
    return select(IncidentDispatch).where(
        or_(
            _role_in_own(viewer, IncidentDispatch.organization_id, Role.ORG_ADMIN, Role.RR_DISPATCHER),
            _self(viewer, IncidentDispatch.member_id),
        )
    )


def incident_timeline_events(viewer: Viewer) -> Select[Any]:
    """Timelines: the holding organization's dispatchers and admins, and responders dispatched there."""
    dispatched = select(IncidentDispatch.incident_id).where(_self(viewer, IncidentDispatch.member_id))
    return select(IncidentTimelineEvent).where(
        or_(
            _role_in_own(viewer, IncidentTimelineEvent.organization_id, Role.ORG_ADMIN, Role.RR_DISPATCHER),
            _if(viewer, Role.RR_RESPONDER, IncidentTimelineEvent.incident_id.in_(dispatched)),
        )
    )


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
    """Auditors read their organization's audit log; the hub's auditors the whole network's."""
    if not viewer.has_role(Role.AUDITOR):
        return select(AuditEvent).where(false())
    if viewer.is_hub:
        return select(AuditEvent)
    return select(AuditEvent).where(AuditEvent.organization_id == viewer.organization_id)


def personal_access_tokens(viewer: Viewer) -> Select[Any]:
    """Personal tokens: one's own, and all of the organization's members' for its admins."""
    own_members = select(Member.id).where(_own(viewer, Member.organization_id))
    return select(PersonalAccessToken).where(
        or_(
            _self(viewer, PersonalAccessToken.member_id),
            _if(viewer, Role.ORG_ADMIN, PersonalAccessToken.member_id.in_(own_members)),
        )
    )


def partner_apps(viewer: Viewer) -> Select[Any]:
    """Partner apps: their organization's admins."""
    return select(OAuthClient).where(_role_in_own(viewer, OAuthClient.organization_id, Role.ORG_ADMIN))


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
    PersonalAccessToken: personal_access_tokens,
    OAuthClient: partner_apps,
}


def readable(viewer: Viewer, model: type[Any]) -> Select[Any]:
    """The rows of ``model`` the viewer may read, as a SELECT to refine (never widen)."""
    return READABLE[model](viewer)


def _member(viewer: Viewer) -> ColumnElement[bool]:
    return false() if viewer.is_anonymous else true()


def _own(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    return false() if viewer.is_anonymous else column == viewer.organization_id


def _role_in_own(viewer: Viewer, column: Any, *roles: Role) -> ColumnElement[bool]:
    return _own(viewer, column) if viewer.has_role(*roles) else false()


def _if(viewer: Viewer, roles: Role | tuple[Role, ...], condition: ColumnElement[bool]) -> ColumnElement[bool]:
    wanted = roles if isinstance(roles, tuple) else (roles,)
    return condition if viewer.has_role(*wanted) else false()


def _self(viewer: Viewer, column: Any) -> ColumnElement[bool]:
    return false() if viewer.member_id is None else column == viewer.member_id


def _ids(statement: Select[Any], model: type[Any]) -> Select[Any]:
    return statement.with_only_columns(model.id)


def _congregation_ids(viewer: Viewer) -> Select[Any]:
    return select(Congregation.id).where(_own(viewer, Congregation.organization_id))


def _supported(viewer: Viewer) -> Select[Any]:
    return select(CaseSupporter.case_id).where(CaseSupporter.congregation_id.in_(_congregation_ids(viewer)))


def _hosted(viewer: Viewer, column: Any) -> Select[Any]:
    return select(column).where(_own(viewer, SanctuaryCase.organization_id))


def _assigned_shifts(viewer: Viewer) -> Select[Any]:
    return select(ShiftAssignment.shift_id).where(
        _self(viewer, ShiftAssignment.member_id), ShiftAssignment.status != ShiftAssignmentStatus.WITHDRAWN
    )


def _volunteer_cases(viewer: Viewer, column: Any) -> Select[Any]:
    shifts = select(HospitalityShift.case_id).where(HospitalityShift.id.in_(_assigned_shifts(viewer)))
    return select(column).where(SanctuaryCase.id.in_(shifts))


def _routed(viewer: Viewer, column: Any) -> Select[Any]:
    return select(column).where(AccompanimentRequest.congregation_id.in_(_congregation_ids(viewer)))


def _assigned(viewer: Viewer, column: Any) -> Select[Any]:
    mine = select(AccompanimentAssignment.request_id).where(
        _self(viewer, AccompanimentAssignment.member_id), AccompanimentAssignment.status != AssignmentStatus.DECLINED
    )
    return select(column).where(AccompanimentRequest.id.in_(mine))


_ALL_MEMBERS = frozenset(Role)
# Which roles can ever read some row of each model (None: anonymous viewers too). This is a static
# summary of the functions above, used to build each role's schema; tests/test_audience.py checks
# that a role left out here is given no rows by the function.
AUDIENCE: dict[type[Any], frozenset[Role] | None] = {
    Region: _ALL_MEMBERS,
    Organization: _ALL_MEMBERS,
    Congregation: None,
    Member: _ALL_MEMBERS,
    Training: _ALL_MEMBERS,
    Person: frozenset(
        {
            Role.ORG_ADMIN,
            Role.LEGAL_ADVOCATE,
            Role.NETWORK_COORDINATOR,
            Role.SANCTUARY_COORDINATOR,
            Role.HOSPITALITY_VOLUNTEER,
            Role.ACCOMPANIMENT_COORDINATOR,
            Role.ACCOMPANIER,
        }
    ),
    HouseholdLink: frozenset({Role.ORG_ADMIN, Role.LEGAL_ADVOCATE}),
    SanctuaryCase: frozenset(
        {
            Role.ORG_ADMIN,
            Role.SANCTUARY_COORDINATOR,
            Role.HOSPITALITY_VOLUNTEER,
            Role.NETWORK_COORDINATOR,
            Role.ORGANIZER,
        }
    ),
    CaseSupporter: frozenset(
        {
            Role.ORG_ADMIN,
            Role.SANCTUARY_COORDINATOR,
            Role.HOSPITALITY_VOLUNTEER,
            Role.NETWORK_COORDINATOR,
            Role.ORGANIZER,
        }
    ),
    HospitalityShift: frozenset(
        {Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER, Role.NETWORK_COORDINATOR}
    ),
    ShiftAssignment: _ALL_MEMBERS,  # one's own sign-ups
    AccompanimentRequest: frozenset(
        {
            Role.ORG_ADMIN,
            Role.LEGAL_ADVOCATE,
            Role.ACCOMPANIMENT_COORDINATOR,
            Role.ACCOMPANIER,
            Role.NETWORK_COORDINATOR,
        }
    ),
    AccompanimentAssignment: _ALL_MEMBERS,  # one's own assignments
    RapidResponseIncident: None,
    IncidentDispatch: _ALL_MEMBERS,  # one's own dispatches
    IncidentTimelineEvent: frozenset({Role.ORG_ADMIN, Role.RR_DISPATCHER, Role.RR_RESPONDER}),
    AdvocacyAction: None,
    AdvocacyOrganizer: None,
    AuditEvent: frozenset({Role.AUDITOR}),
    PersonalAccessToken: _ALL_MEMBERS,  # one's own
    OAuthClient: frozenset({Role.ORG_ADMIN}),
}


def may_ever_read(model: type[Any], anonymous: bool, roles: frozenset[Role]) -> bool:
    """Whether a viewer with these roles can read some row of ``model`` (drives each role's schema)."""
    audience = AUDIENCE[model]
    if audience is None:
        return True
    return not anonymous and bool(audience & roles)
