"""Which fields a viewer may read on a record it can see: the single field-level rule.

A field's tier is declared once, on its model column (``api/models/base.py``). T0 fields are
public, T1 fields need any authenticated member. T2 and T3 fields need a *grant*: a role of
the viewer together with a *relation* between the viewer and this record (its organization
owns it, the viewer is assigned to it, it is routed to the viewer's congregation, ...).
``GRANTS`` lists them per column; on top of it, org admins read their own organization's
records up to T3 and network coordinators their hub's records up to T2 (but members' contacts: only
their own organization's admins). A dispatcher reads incident details, dispatches and timelines only in the regions it
dispatches for (``ties.dispatch_regions``), never its own organization's incidents elsewhere. A field the viewer
may not read on this record resolves to null and is listed in ``extensions.withheld``.
:func:`readable_where` is the same rule as a SQL condition: a filter on a field matches only rows on
which the viewer may read it (each relation is tested, from one table, on loaded rows against the
request's facts and in SQL against the statements those facts are loaded from).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_
from sqlalchemy.sql.selectable import SelectBase

from api.auth.facts import Facts, facts_sql
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
from api.models.base import Tier, column_tier, storage_name
from api.models.enums import Role
from api.models.records import model_of


class WithheldReason(enum.StrEnum):
    """Why a field resolved to null."""

    AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
    ROLE_NOT_PERMITTED = "ROLE_NOT_PERMITTED"
    NO_RELATIONSHIP = "NO_RELATIONSHIP"
    PUBLIC_ONLY = "PUBLIC_ONLY"  # a public subscription carries what anyone may read, whoever receives it


class Relation(enum.StrEnum):
    """How a viewer is tied to a record."""

    OWNER = "OWNER"  # the record belongs to the viewer's organization
    SELF = "SELF"  # the record is the viewer (or the viewer's own dispatch)
    SUPPORTING = "SUPPORTING"  # a sanctuary case the viewer's congregation supports
    HOSTING = "HOSTING"  # a person in a sanctuary case the viewer's organization hosts
    ASSIGNED = "ASSIGNED"  # the viewer signed up for / accepted / is invited to it (a request: not called off)
    STAFFING = "STAFFING"  # a shift the viewer's congregation staffs
    ROUTED = "ROUTED"  # a request routed to the viewer's congregation, or to the whole network
    MATCHING = "MATCHING"  # a request the viewer's organization matched volunteers to
    REGION = "REGION"  # an incident (or its dispatch or timeline entry) in a region the viewer dispatches for
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
            Role.RR_DISPATCHER: frozenset({R.REGION}),
            Role.RR_RESPONDER: frozenset({R.SELF}),
        }
        for name in ("dispatched_at", "arrived_at", "released_at")
    },
    **{
        f"incident_timeline_event.{name}": {
            Role.RR_DISPATCHER: frozenset({R.REGION}),
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
    ties = _TIES.get(model_of(row), _OWNER_ONLY)
    held = any(relation in ties and ties[relation].holds(viewer, facts, row) for relation in wanted)
    return None if held else WithheldReason.NO_RELATIONSHIP


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
    ties = _TIES.get(model_of(row), _OWNER_ONLY)
    return {relation for relation, tie in ties.items() if tie.holds(viewer, facts, row)}


def readable_where(viewer: Viewer, column: Any) -> ColumnElement[bool] | None:
    """The rows on which the viewer may read ``column`` (a model attribute), as a SQL condition (None: every
    row it may read): the field rule above, from the same grants and ties, for a statement to filter, order
    or page on the column among those rows only."""
    tier, storage, model = column_tier(column), storage_name(column), column.class_
    if tier < Tier.T2 or viewer.is_anonymous:
        return None if _reason_for_audience(viewer.is_anonymous, viewer.roles, storage, tier) is None else false()
    ties = _TIES.get(model, _OWNER_ONLY)
    held = [ties[relation].where(viewer, model) for relation in sorted(_wanted(storage, tier, viewer.roles))
            if relation in ties]  # fmt: skip
    return or_(false(), *held)


@dataclass(frozen=True)
class _Tie:
    """A relation: the row's ``column`` is among the viewer's ``ids`` (or null, when ``or_null``), tested on a
    loaded row against the request's facts and, in SQL, against the statements the facts are loaded from."""

    column: str
    ids: Callable[[Viewer, Facts], Collection[uuid.UUID | None]]
    sql: Callable[[Viewer], Select[Any] | Collection[uuid.UUID | None] | None]
    or_null: bool = False

    def holds(self, viewer: Viewer, facts: Facts, row: Any) -> bool:
        value = getattr(row, self.column, None)
        return self.or_null if value is None else value in self.ids(viewer, facts)

    def where(self, viewer: Viewer, model: type[Any]) -> ColumnElement[bool]:
        column = getattr(model, self.column, None)
        ids = self.sql(viewer)
        if column is None or ids is None:
            return false()
        matches = column.in_(ids if isinstance(ids, SelectBase) else [i for i in ids if i is not None])
        return or_(column.is_(None), matches) if self.or_null else matches


def _fact(name: str, column: str = "id", *, or_null: bool = False) -> _Tie:
    """Tied through one of the viewer's facts (:mod:`api.auth.facts`)."""
    return _Tie(column, lambda viewer, facts: getattr(facts, name), partial(facts_sql, name), or_null)


def _viewers(column: str, ids: Callable[[Viewer], Collection[uuid.UUID | None]]) -> _Tie:
    """Tied through the viewer itself (its organization, member id, regions)."""
    return _Tie(column, lambda viewer, facts: ids(viewer), ids)


_OWNER = _viewers("organization_id", lambda viewer: (viewer.organization_id,))
_SELF = _viewers("member_id", lambda viewer: (viewer.member_id,))
_OWNER_ONLY: Mapping[Relation, _Tie] = MappingProxyType({R.OWNER: _OWNER})
# an incident, its dispatches and its timeline carry the incident's region: its dispatchers read them there only
_REGION = _fact("dispatch_region_ids", "region_id")
_TIES: dict[type[Any], Mapping[Relation, _Tie]] = {
    model: MappingProxyType({R.OWNER: _OWNER, **extra})
    for model, extra in {
        Member: {R.SELF: _viewers("id", lambda viewer: (viewer.member_id,))},
        Person: {
            R.HOSTING: _fact("hosted_person_ids"),
            R.ASSIGNED: _fact("assigned_person_ids"),
            R.ROUTED: _fact("routed_person_ids"),
        },
        SanctuaryCase: {R.SUPPORTING: _fact("supported_case_ids")},
        HospitalityShift: {
            R.ASSIGNED: _fact("assigned_shift_ids"),
            R.STAFFING: _fact("congregation_ids", "supporting_congregation_id"),
        },
        AccompanimentRequest: {  # a request not routed yet is routed to the whole network
            R.ROUTED: _fact("congregation_ids", "congregation_id", or_null=True),
            R.MATCHING: _fact("matched_request_ids"),
            R.ASSIGNED: _fact("assigned_request_ids"),
        },
        RapidResponseIncident: {R.REGION: _REGION, R.DISPATCHED: _fact("dispatched_incident_ids")},
        IncidentDispatch: {R.SELF: _SELF, R.REGION: _REGION},
        IncidentTimelineEvent: {R.DISPATCHED: _fact("dispatched_incident_ids", "incident_id"), R.REGION: _REGION},
    }.items()
}
