"""Which fields a viewer may read on a record it can see: the single field-level rule.

A field's tier is declared once, on its model column (``api/models/base.py``). T0 fields are
public, T1 fields need any authenticated member. T2 and T3 fields need a *grant*: a role of
the viewer together with a *relation* between the viewer and this record (its organization
owns it, the viewer is assigned to it, it is routed to the viewer's congregation, ...).
``GRANTS`` lists them per column; on top of it, org admins read their own organization's
records up to T3 and network coordinators their hub's records up to T2 (but members' contacts: only
their own organization's admins). A dispatcher reads incident details only in the regions it
dispatches for (``ties.dispatch_regions``), its own organization's incidents elsewhere included. A field the viewer
may not read on this record resolves to null and is listed in ``extensions.withheld``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Any

from api.auth.facts import Facts
from api.auth.viewer import Viewer
from api.models import (
    AccompanimentRequest,
    HospitalityShift,
    IncidentDispatch,
    IncidentTimelineEvent,
    Member,
    Person,
    RapidResponseIncident,
    SanctuaryCase,
)
from api.models.base import Tier
from api.models.enums import Role
from api.models.records import model_of


class WithheldReason(enum.StrEnum):
    """Why a field resolved to null."""

    AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
    ROLE_NOT_PERMITTED = "ROLE_NOT_PERMITTED"
    NO_RELATIONSHIP = "NO_RELATIONSHIP"


class Relation(enum.StrEnum):
    """How a viewer is tied to a record."""

    OWNER = "OWNER"  # the record belongs to the viewer's organization
    SELF = "SELF"  # the record is the viewer (or the viewer's own dispatch)
    SUPPORTING = "SUPPORTING"  # a sanctuary case the viewer's congregation supports
    HOSTING = "HOSTING"  # a person in a sanctuary case the viewer's organization hosts
    ASSIGNED = "ASSIGNED"  # the viewer signed up for / accepted / is invited to it
    STAFFING = "STAFFING"  # a shift the viewer's congregation staffs
    ROUTED = "ROUTED"  # a request routed to the viewer's congregation, or to the whole network
    MATCHING = "MATCHING"  # a request the viewer's organization matched volunteers to
    REGION = "REGION"  # an incident in a region the viewer dispatches for
    DISPATCHED = "DISPATCHED"  # an incident the viewer is dispatched to (until released)


R = Relation
GRANTS: dict[str, dict[Role, frozenset[Relation]]] = {
    "member.email": {Role.ORG_ADMIN: frozenset({R.OWNER, R.SELF})},
    "member.legal_name": {Role.ORG_ADMIN: frozenset({R.OWNER, R.SELF})},
    "member.phone": {Role.ORG_ADMIN: frozenset({R.OWNER, R.SELF})},
    "person.preferred_name": {
        Role.LEGAL_ADVOCATE: frozenset({R.OWNER}),
        Role.SANCTUARY_COORDINATOR: frozenset({R.HOSTING}),
        Role.HOSPITALITY_VOLUNTEER: frozenset({R.ASSIGNED}),
        Role.ACCOMPANIMENT_COORDINATOR: frozenset({R.ROUTED}),
        Role.ACCOMPANIER: frozenset({R.ASSIGNED}),
    },
    "person.country_of_origin": {
        Role.LEGAL_ADVOCATE: frozenset({R.OWNER}),
        Role.SANCTUARY_COORDINATOR: frozenset({R.HOSTING}),
    },
    "person.legal_name": {
        Role.LEGAL_ADVOCATE: frozenset({R.OWNER}),
        Role.SANCTUARY_COORDINATOR: frozenset({R.HOSTING}),
    },
    "person.a_number": {Role.LEGAL_ADVOCATE: frozenset({R.OWNER}), Role.SANCTUARY_COORDINATOR: frozenset({R.HOSTING})},
    "household_link.relation": {Role.LEGAL_ADVOCATE: frozenset({R.OWNER})},
    **{
        f"sanctuary_case.{name}": {Role.SANCTUARY_COORDINATOR: frozenset({R.OWNER, R.SUPPORTING})}
        for name in ("status", "exit_outcome", "entered_at", "exited_at", "closed_at")
    },
    "sanctuary_case.legal_status_summary": {Role.SANCTUARY_COORDINATOR: frozenset({R.OWNER})},
    "sanctuary_case.location_detail": {Role.SANCTUARY_COORDINATOR: frozenset({R.OWNER})},
    **{
        f"hospitality_shift.{name}": {
            Role.SANCTUARY_COORDINATOR: frozenset({R.OWNER, R.STAFFING}),
            Role.HOSPITALITY_VOLUNTEER: frozenset({R.ASSIGNED, R.STAFFING}),
        }
        for name in ("starts_at", "ends_at")
    },
    **{
        f"accompaniment_request.{name}": {
            Role.LEGAL_ADVOCATE: frozenset({R.OWNER}),
            Role.ACCOMPANIMENT_COORDINATOR: frozenset({R.OWNER, R.ROUTED}),
            Role.ACCOMPANIER: frozenset({R.ASSIGNED}),
        }
        for name in ("appointment_at", "place", "outcome")
    },
    "accompaniment_request.notes": {
        Role.LEGAL_ADVOCATE: frozenset({R.OWNER}),
        Role.ACCOMPANIMENT_COORDINATOR: frozenset({R.MATCHING}),
    },
    **{
        f"rapid_response_incident.{name}": {
            Role.RR_DISPATCHER: frozenset({R.REGION}),
            Role.RR_RESPONDER: frozenset({R.DISPATCHED}),
        }
        for name in ("intake_channel", "size", "actions", "uniform", "observed_at", "equipment", "exact_location")
    },
    "rapid_response_incident.reporter_contact": {Role.RR_DISPATCHER: frozenset({R.REGION})},
    **{
        f"incident_dispatch.{name}": {
            Role.RR_DISPATCHER: frozenset({R.OWNER}),
            Role.RR_RESPONDER: frozenset({R.SELF}),
        }
        for name in ("dispatched_at", "arrived_at", "released_at")
    },
    **{
        f"incident_timeline_event.{name}": {
            Role.RR_DISPATCHER: frozenset({R.OWNER}),
            Role.RR_RESPONDER: frozenset({R.DISPATCHED}),
        }
        for name in ("kind", "occurred_at", "note")
    },
}


# T2 columns the hub's network coordinators do not read even on the hub's own records
_OWN_ADMINS_ONLY = frozenset({"member.email", "member.legal_name", "member.phone"})


@cache
def grants(column: str, tier: Tier) -> Mapping[Role, frozenset[Relation]]:
    """Every (role, relations) that may read a T2/T3 column, including the organization-wide ones."""
    found = dict(GRANTS.get(column, {}))
    found[Role.ORG_ADMIN] = found.get(Role.ORG_ADMIN, frozenset()) | {R.OWNER}
    if tier is Tier.T2 and column not in _OWN_ADMINS_ONLY:
        found[Role.NETWORK_COORDINATOR] = found.get(Role.NETWORK_COORDINATOR, frozenset()) | {R.OWNER}
    return MappingProxyType(found)


@lru_cache(maxsize=4096)
def _wanted(column: str, tier: Tier, roles: frozenset[Role]) -> frozenset[Relation]:
    return frozenset(rel for role, rels in grants(column, tier).items() if role in roles for rel in rels)


def field_access(viewer: Viewer, facts: Facts, column: str, tier: Tier, row: Any) -> WithheldReason | None:
    """None when the viewer may read ``column`` (``table.column``) of ``row``, else why not."""
    if tier < Tier.T2 or viewer.is_anonymous:  # the ladder decides without the grants
        return _reason_for_audience(viewer.is_anonymous, viewer.roles, column, tier)
    wanted = _wanted(column, tier, viewer.roles)  # per field and role set, not per row; once
    if not wanted:  # as _reason_for_audience would say
        return WithheldReason.ROLE_NOT_PERMITTED
    return None if wanted & relations(viewer, facts, row) else WithheldReason.NO_RELATIONSHIP


def may_ever_read_field(anonymous: bool, roles: frozenset[Role], column: str | None, tier: Tier) -> bool:
    """Whether an audience (anonymous or not, these roles) may read ``column`` on any record: the field
    belongs in its schema. ``column`` is None for fields computed from no single column."""
    if column is None:
        return tier is Tier.T0 or not anonymous
    return _reason_for_audience(anonymous, roles, column, tier) is None


def _reason_for_audience(anonymous: bool, roles: frozenset[Role], column: str, tier: Tier) -> WithheldReason | None:
    """The tier ladder, before any record: T0 public, T1 members, T2/T3 a role holding a grant."""
    if tier is Tier.T0:
        return None
    if anonymous:
        return WithheldReason.AUTHENTICATION_REQUIRED
    if tier is Tier.T1:
        return None
    return None if _wanted(column, tier, roles) else WithheldReason.ROLE_NOT_PERMITTED


def relations(viewer: Viewer, facts: Facts, row: Any) -> set[Relation]:
    """How the viewer is tied to ``row``."""
    found = {R.OWNER} if getattr(row, "organization_id", None) == viewer.organization_id else set()
    extra = _RELATIONS.get(model_of(row))
    return found | extra(viewer, facts, row) if extra else found


def _member(viewer: Viewer, facts: Facts, row: Member) -> set[Relation]:
    return {R.SELF} if row.id == viewer.member_id else set()


def _person(viewer: Viewer, facts: Facts, row: Person) -> set[Relation]:
    return _flags(
        (R.HOSTING, row.id in facts.hosted_person_ids),
        (R.ASSIGNED, row.id in facts.assigned_person_ids),
        (R.ROUTED, row.id in facts.routed_person_ids),
    )


def _case(viewer: Viewer, facts: Facts, row: SanctuaryCase) -> set[Relation]:
    return {R.SUPPORTING} if row.id in facts.supported_case_ids else set()


def _shift(viewer: Viewer, facts: Facts, row: HospitalityShift) -> set[Relation]:
    return _flags(
        (R.ASSIGNED, row.id in facts.assigned_shift_ids),
        (R.STAFFING, row.supporting_congregation_id in facts.congregation_ids),
    )


def _request(viewer: Viewer, facts: Facts, row: AccompanimentRequest) -> set[Relation]:
    routed = row.congregation_id is None or row.congregation_id in facts.congregation_ids
    return _flags(
        (R.ROUTED, routed),
        (R.MATCHING, row.id in facts.matched_request_ids),
        (R.ASSIGNED, row.id in facts.assigned_request_ids),
    )


def _incident(viewer: Viewer, facts: Facts, row: RapidResponseIncident) -> set[Relation]:
    return _flags(
        (R.REGION, row.region_id in facts.dispatch_region_ids), (R.DISPATCHED, row.id in facts.dispatched_incident_ids)
    )


def _dispatch(viewer: Viewer, facts: Facts, row: IncidentDispatch) -> set[Relation]:
    return {R.SELF} if row.member_id == viewer.member_id else set()


def _timeline(viewer: Viewer, facts: Facts, row: IncidentTimelineEvent) -> set[Relation]:
    return {R.DISPATCHED} if row.incident_id in facts.dispatched_incident_ids else set()


def _flags(*pairs: tuple[Relation, bool]) -> set[Relation]:
    return {relation for relation, holds in pairs if holds}


_RELATIONS: dict[type[Any], Callable[[Viewer, Facts, Any], set[Relation]]] = {
    Member: _member,
    Person: _person,
    SanctuaryCase: _case,
    HospitalityShift: _shift,
    AccompanimentRequest: _request,
    RapidResponseIncident: _incident,
    IncidentDispatch: _dispatch,
    IncidentTimelineEvent: _timeline,
}
