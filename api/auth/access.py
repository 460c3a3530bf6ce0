"""Which rows a viewer may read: one function per entity, each returning a SELECT.

Every root field, connection, nested relation and ``node``/``nodes`` lookup starts from these
statements (``tests/proofs/test_access_guard.py`` fails if a schema module queries a model another
way). They follow the roles table of the domain specification: anonymous viewers get public
(T0) rows only; any member gets network-level (T1) rows network-wide; protected people,
sanctuary cases, shifts, requests and incident details only reach the roles tied to them.
Which *fields* of a readable row a viewer sees is decided in :mod:`api.auth.fields`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Select, false, func, or_, select, true

from api.auth import ties
from api.auth.viewer import Viewer
from api.auth.webhooks import webhook_deliveries, webhook_endpoints
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
    OAuthSession,
    Organization,
    Person,
    PersonalAccessToken,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
    ShiftAssignment,
    SigninSession,
    Training,
    WebhookDelivery,
    WebhookEndpoint,
)
from api.models.enums import (
    AdvocacyStatus,
    Role,
    Verification,
    Visibility,
)


def regions(viewer: Viewer) -> Select[Any]:
    """Regions are coarse geography, for members (anonymous viewers get alerts' coarse areas instead)."""
    return select(Region).where(ties.member(viewer))


def organizations(viewer: Viewer) -> Select[Any]:
    """Organizations are network-level records."""
    return select(Organization).where(ties.member(viewer))


def congregations(viewer: Viewer) -> Select[Any]:
    """Anonymous viewers see only congregations that declared publicly."""
    if viewer.is_anonymous:
        return select(Congregation).where(Congregation.public_declaration)
    return select(Congregation).where(ties.member(viewer))


def members(viewer: Viewer) -> Select[Any]:
    """Active members are visible to the network by alias; inactive ones only to their organization."""
    return select(Member).where(ties.member(viewer), or_(Member.active, ties.own(viewer, Member.organization_id)))


def trainings(viewer: Viewer) -> Select[Any]:
    """Trainings follow their member."""
    return select(Training).where(Training.member_id.in_(_ids(members(viewer), Member)))


def persons(viewer: Viewer) -> Select[Any]:
    """Protected people: their organization's admins and legal advocates, and the roles tied to them."""
    return select(Person).where(
        or_(
            ties.role_in_own(
                viewer, Person.organization_id, Role.ORG_ADMIN, Role.LEGAL_ADVOCATE, Role.NETWORK_COORDINATOR
            ),
            ties.when(viewer, Role.SANCTUARY_COORDINATOR, Person.id.in_(ties.hosted(viewer, SanctuaryCase.person_id))),
            ties.when(
                viewer, Role.HOSPITALITY_VOLUNTEER, Person.id.in_(ties.volunteer_cases(viewer, SanctuaryCase.person_id))
            ),
            ties.when(
                viewer,
                Role.ACCOMPANIMENT_COORDINATOR,
                Person.id.in_(ties.routed(viewer, AccompanimentRequest.person_id)),
            ),
            ties.when(
                viewer, Role.ACCOMPANIER, Person.id.in_(ties.accompanying(viewer, AccompanimentRequest.person_id))
            ),
        )
    )


def household_links(viewer: Viewer) -> Select[Any]:
    """Household links: the registering organization's admins and legal advocates."""
    return select(HouseholdLink).where(
        ties.role_in_own(viewer, HouseholdLink.organization_id, Role.ORG_ADMIN, Role.LEGAL_ADVOCATE)
    )


def sanctuary_cases(viewer: Viewer) -> Select[Any]:
    """The host's coordinators and admins; supporting congregations; volunteers on its shifts; the hub."""
    return select(SanctuaryCase).where(
        or_(
            ties.role_in_own(viewer, SanctuaryCase.organization_id, Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR),
            ties.when(
                viewer, (Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR), SanctuaryCase.id.in_(ties.supported_cases(viewer))
            ),
            ties.when(
                viewer, Role.HOSPITALITY_VOLUNTEER, SanctuaryCase.id.in_(ties.volunteer_cases(viewer, SanctuaryCase.id))
            ),
            ties.when(viewer, Role.NETWORK_COORDINATOR, true()),
            ties.when(viewer, Role.ORGANIZER, SanctuaryCase.public_story_consent.is_(True)),
        )
    )


def case_supporters(viewer: Viewer) -> Select[Any]:
    """Supporter links of readable cases."""
    return select(CaseSupporter).where(CaseSupporter.case_id.in_(_ids(sanctuary_cases(viewer), SanctuaryCase)))


def hospitality_shifts(viewer: Viewer) -> Select[Any]:
    """Shifts of cases the viewer coordinates, shifts its congregation staffs, and its own."""
    staffing = HospitalityShift.supporting_congregation_id.in_(ties.congregations(viewer))
    return select(HospitalityShift).where(
        or_(
            ties.role_in_own(viewer, HospitalityShift.organization_id, Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR),
            ties.when(viewer, (Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER, Role.ORG_ADMIN), staffing),
            ties.when(viewer, Role.HOSPITALITY_VOLUNTEER, HospitalityShift.id.in_(ties.assigned_shifts(viewer))),
            ties.when(viewer, Role.NETWORK_COORDINATOR, true()),
        )
    )


def shift_assignments(viewer: Viewer) -> Select[Any]:
    """Sign-ups of readable shifts, and one's own."""
    return select(ShiftAssignment).where(
        or_(
            ShiftAssignment.shift_id.in_(_ids(hospitality_shifts(viewer), HospitalityShift)),
            ties.itself(viewer, ShiftAssignment.member_id),
        )
    )


def accompaniment_requests(viewer: Viewer) -> Select[Any]:
    """The submitting organization; coordinators of the congregation (or network) it is routed to; assignees."""
    return select(AccompanimentRequest).where(
        or_(
            ties.role_in_own(viewer, AccompanimentRequest.organization_id, Role.ORG_ADMIN, Role.LEGAL_ADVOCATE),
            ties.when(viewer, Role.ACCOMPANIMENT_COORDINATOR, ties.routed_here(viewer)),
            ties.when(
                viewer,
                Role.ACCOMPANIER,
                AccompanimentRequest.id.in_(ties.assigned_requests(viewer, AccompanimentRequest.id)),
            ),
            ties.when(viewer, Role.NETWORK_COORDINATOR, true()),
        )
    )


def accompaniment_assignments(viewer: Viewer) -> Select[Any]:
    """Assignments of readable requests, and one's own."""
    return select(AccompanimentAssignment).where(
        or_(
            AccompanimentAssignment.request_id.in_(_ids(accompaniment_requests(viewer), AccompanimentRequest)),
            ties.itself(viewer, AccompanimentAssignment.member_id),
        )
    )


_BROADCAST = RapidResponseIncident.broadcast_at.is_not(None) & (
    RapidResponseIncident.verification == Verification.CONFIRMED
)


def incidents(viewer: Viewer) -> Select[Any]:
    """Members see the network's incidents (coarse fields); anonymous viewers only broadcast alerts."""
    return select(RapidResponseIncident).where(ties.member(viewer) | ties.public(viewer, _BROADCAST))


def broadcast_alerts(viewer: Viewer) -> Select[Any]:
    """Confirmed incidents that were broadcast: the public alerts (a subset of ``incidents``)."""
    return incidents(viewer).where(_BROADCAST)


def incident_dispatches(viewer: Viewer) -> Select[Any]:
    """Dispatches: the holding organization's admins, the dispatchers of the incident's region (like its details:
    never their organization's incidents elsewhere), and the responder's own."""
    return select(IncidentDispatch).where(
        or_(
            ties.role_in_own(viewer, IncidentDispatch.organization_id, Role.ORG_ADMIN),
            ties.when(viewer, Role.RR_DISPATCHER, ties.in_dispatch_regions(viewer, IncidentDispatch.region_id)),
            ties.itself(viewer, IncidentDispatch.member_id),
        )
    )


def incident_timeline_events(viewer: Viewer) -> Select[Any]:
    """Timelines: the holding organization's admins, the dispatchers of the incident's region, and responders
    dispatched there."""
    return select(IncidentTimelineEvent).where(
        or_(
            ties.role_in_own(viewer, IncidentTimelineEvent.organization_id, Role.ORG_ADMIN),
            ties.when(viewer, Role.RR_DISPATCHER, ties.in_dispatch_regions(viewer, IncidentTimelineEvent.region_id)),
            ties.when(
                viewer, Role.RR_RESPONDER, IncidentTimelineEvent.incident_id.in_(ties.dispatched_incidents(viewer))
            ),
        )
    )


def advocacy_actions(viewer: Viewer) -> Select[Any]:
    """Public announced actions for everyone; network actions for members; org actions for organizers."""
    public = (AdvocacyAction.visibility == Visibility.PUBLIC) & AdvocacyAction.status.in_(
        [AdvocacyStatus.ANNOUNCED, AdvocacyStatus.HELD]
    )
    if viewer.is_anonymous or viewer.audits_only:
        return select(AdvocacyAction).where(ties.public(viewer, public))
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
    return select(PersonalAccessToken).where(
        or_(
            ties.itself(viewer, PersonalAccessToken.member_id),
            ties.when(viewer, Role.ORG_ADMIN, PersonalAccessToken.member_id.in_(ties.org_members(viewer))),
        )
    )


def partner_apps(viewer: Viewer) -> Select[Any]:
    """Partner apps: their organization's admins."""
    return select(OAuthClient).where(ties.role_in_own(viewer, OAuthClient.organization_id, Role.ORG_ADMIN))


def own_browser_sessions(viewer: Viewer) -> Select[Any]:
    """A member's live sign-in sessions on the API's pages: their own only (an admin ends them, never lists them)."""
    return select(SigninSession).where(
        ties.itself(viewer, SigninSession.member_id),
        SigninSession.revoked_at.is_(None),
        SigninSession.expires_at > func.now(),
    )


def own_app_sessions(viewer: Viewer) -> Select[Any]:
    """A member's live app sessions (GraphiQL, partner apps, scripts): their own only."""
    return select(OAuthSession).where(ties.itself(viewer, OAuthSession.member_id), OAuthSession.revoked_at.is_(None))


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
    WebhookEndpoint: webhook_endpoints,  # api/auth/webhooks.py
    WebhookDelivery: webhook_deliveries,
}


def readable(viewer: Viewer, model: type[Any]) -> Select[Any]:
    """The rows of ``model`` the viewer may read, as a SELECT to refine (never widen)."""
    return _readable(viewer, cast(Hashable, model))


@lru_cache(maxsize=4096)
def _readable(viewer: Viewer, model: Any) -> Select[Any]:
    """Kept per (viewer, model): a viewer (frozen: its member, organization, roles and regions) always gets
    the same rule, statements are immutable, and building the predicates anew on every request cost about
    5 % of a list request. The rules read nothing but the viewer (no clock, no database)."""
    return READABLE[model](viewer)


def _ids(statement: Select[Any], model: type[Any]) -> Select[Any]:
    return statement.with_only_columns(model.id)
