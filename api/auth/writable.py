"""Which rows a viewer may change: per (model, role), the single write-side rule.

A mutation first needs one of its roles (:mod:`api.auth.permissions`); the rows it may then
touch are the union, over the viewer's roles *that may call that mutation*, of the rules below.
So a member who is both a legal advocate and an accompaniment coordinator triages requests as a
coordinator would, never because its organization submitted them. Rows outside the rule are
reported exactly like rows that do not exist (``NOT_FOUND``): a mutation never confirms that an
id it may not touch exists. Every rule is consulted by some mutation its role may call
(``tests/proofs/test_mutation_oracle.py``): a training is recorded on a member (the member's rule), a case's
supporters change through the case, a sign-up through its shift.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select, true

from api.auth import ties
from api.auth.permissions import MUTATIONS
from api.auth.viewer import Viewer
from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    AdvocacyAction,
    Congregation,
    HospitalityShift,
    IncidentDispatch,
    Member,
    Organization,
    Person,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
    ShiftAssignment,
)
from api.models.enums import AssignmentStatus, Role

Rule = Callable[[Viewer], ColumnElement[bool]]


def _own(column: Any) -> Rule:
    return lambda viewer: ties.own(viewer, column)


def _everything(viewer: Viewer) -> ColumnElement[bool]:
    return true() if viewer.is_hub else false()


def _accepted_request(viewer: Viewer) -> ColumnElement[bool]:
    """Requests the accompanier accepted (an invitation alone does not let it complete the request)."""
    accepted = select(AccompanimentAssignment.request_id).where(
        ties.itself(viewer, AccompanimentAssignment.member_id),
        AccompanimentAssignment.status == AssignmentStatus.ACCEPTED,
    )
    return AccompanimentRequest.id.in_(accepted)


def _staffable_shift(viewer: Viewer) -> ColumnElement[bool]:
    """Shifts a volunteer may sign up for: staffed by its congregation, or of a case its organization hosts."""
    return or_(
        HospitalityShift.supporting_congregation_id.in_(ties.congregations(viewer)),
        HospitalityShift.case_id.in_(ties.hosted(viewer)),
    )


def _in_regions(viewer: Viewer) -> ColumnElement[bool]:
    return RapidResponseIncident.region_id.in_(ties.dispatch_regions(viewer))


def _signed_shift(viewer: Viewer) -> ColumnElement[bool]:
    """Shifts the volunteer has a sign-up for, in any status (withdrawing twice is an illegal move, not unknown)."""
    signups = select(ShiftAssignment.shift_id).where(ties.itself(viewer, ShiftAssignment.member_id))
    return HospitalityShift.id.in_(signups)


def may_report_in(viewer: Viewer) -> ColumnElement[bool]:
    """SQL: the region is one the viewer dispatches for (the regions of :func:`_in_regions`)."""
    return Region.id.in_(ties.dispatch_regions(viewer))


R = Role
RULES: dict[tuple[type[Any], Role], Rule] = {
    (Region, R.NETWORK_COORDINATOR): _everything,
    (Organization, R.NETWORK_COORDINATOR): _everything,
    (Organization, R.ORG_ADMIN): lambda viewer: ties.own(viewer, Organization.id),
    (Congregation, R.NETWORK_COORDINATOR): _everything,
    (Congregation, R.ORG_ADMIN): _own(Congregation.organization_id),
    (Member, R.ORG_ADMIN): _own(Member.organization_id),
    (Person, R.SANCTUARY_COORDINATOR): _own(Person.organization_id),
    (Person, R.LEGAL_ADVOCATE): _own(Person.organization_id),
    (Person, R.ACCOMPANIMENT_COORDINATOR): _own(Person.organization_id),  # submits for its own organization's people
    (SanctuaryCase, R.SANCTUARY_COORDINATOR): _own(SanctuaryCase.organization_id),
    (SanctuaryCase, R.ORG_ADMIN): _own(SanctuaryCase.organization_id),
    (HospitalityShift, R.SANCTUARY_COORDINATOR): _own(HospitalityShift.organization_id),
    (HospitalityShift, R.HOSPITALITY_VOLUNTEER): _staffable_shift,
    (AccompanimentRequest, R.ACCOMPANIMENT_COORDINATOR): ties.routed_here,
    (AccompanimentRequest, R.LEGAL_ADVOCATE): _own(AccompanimentRequest.organization_id),
    (AccompanimentRequest, R.ACCOMPANIER): _accepted_request,
    (AccompanimentAssignment, R.ACCOMPANIER): lambda viewer: ties.itself(viewer, AccompanimentAssignment.member_id),
    (RapidResponseIncident, R.RR_DISPATCHER): _in_regions,
    (RapidResponseIncident, R.RR_RESPONDER): lambda viewer: RapidResponseIncident.id.in_(
        ties.dispatched_incidents(viewer)
    ),
    (IncidentDispatch, R.RR_DISPATCHER): lambda viewer: IncidentDispatch.incident_id.in_(
        select(RapidResponseIncident.id).where(_in_regions(viewer))
    ),
    (IncidentDispatch, R.RR_RESPONDER): lambda viewer: ties.itself(viewer, IncidentDispatch.member_id),
    (AdvocacyAction, R.ORGANIZER): _own(AdvocacyAction.organization_id),
}


# Where one mutation narrows a role's rule (checked before RULES).
MUTATION_RULES: dict[tuple[type[Any], Role, str], Rule] = {
    # a volunteer completes only a shift it is signed up for (it may sign up for any it may staff)
    (HospitalityShift, R.HOSPITALITY_VOLUNTEER, "hospitalityShiftComplete"): lambda viewer: HospitalityShift.id.in_(
        ties.assigned_shifts(viewer)
    ),
    # a volunteer withdraws only from a shift it has a sign-up for
    (HospitalityShift, R.HOSPITALITY_VOLUNTEER, "hospitalityShiftWithdraw"): _signed_shift,
}


def may_change(viewer: Viewer, model: type[Any], mutation: str) -> ColumnElement[bool]:
    """The rows of ``model`` the viewer may change through ``mutation``, as a condition."""
    if viewer.is_anonymous:
        return false()
    rules = [
        MUTATION_RULES.get((model, role, mutation)) or RULES[(model, role)]
        for role in sorted(viewer.roles & MUTATIONS[mutation])
        if (model, role) in RULES
    ]
    return or_(*(rule(viewer) for rule in rules)) if rules else false()


def writable(viewer: Viewer, model: type[Any], mutation: str) -> Select[Any]:
    """The rows of ``model`` the viewer may change through ``mutation``, locked for the update."""
    return select(model).where(may_change(viewer, model, mutation)).with_for_update(of=model)
