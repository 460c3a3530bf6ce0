"""Which roles a member may hold in each kind of organization (the single table), and who holds a role.

A role only makes sense where its work happens. Network coordinators manage the whole network,
so they sit in the hub; dispatchers and responders belong to rapid-response teams (the hub may run
the hotline itself); sanctuary coordinators and hospitality volunteers serve a congregation's
sanctuary; legal advocates submit requests for a legal aid group. Administration, auditing,
organizing and accompaniment happen in every kind of organization. ``memberCreate`` and
``memberUpdate`` refuse other combinations (``ROLE_NOT_ALLOWED``).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, any_, literal, or_

from api.auth.viewer import Viewer
from api.models import Member
from api.models.enums import OrganizationKind, Role

K = OrganizationKind
_EVERY_KIND = frozenset(OrganizationKind)

ROLE_KINDS: dict[Role, frozenset[OrganizationKind]] = {
    Role.NETWORK_COORDINATOR: frozenset({K.NETWORK_HUB}),
    Role.ORG_ADMIN: _EVERY_KIND,
    Role.AUDITOR: _EVERY_KIND,
    Role.ORGANIZER: _EVERY_KIND,
    Role.ACCOMPANIMENT_COORDINATOR: _EVERY_KIND,
    Role.ACCOMPANIER: _EVERY_KIND,
    Role.SANCTUARY_COORDINATOR: frozenset({K.CONGREGATION}),
    Role.HOSPITALITY_VOLUNTEER: frozenset({K.CONGREGATION}),
    Role.LEGAL_ADVOCATE: frozenset({K.LEGAL_AID}),
    Role.RR_DISPATCHER: frozenset({K.RAPID_RESPONSE, K.NETWORK_HUB}),
    Role.RR_RESPONDER: frozenset({K.RAPID_RESPONSE, K.NETWORK_HUB}),
}

# who may be sent to an incident (incidentDispatch): the rapid-response roles
DISPATCHABLE_ROLES = (Role.RR_RESPONDER, Role.RR_DISPATCHER)


def role_fits(role: Role, kind: OrganizationKind) -> bool:
    """Whether a member of an organization of ``kind`` may hold ``role``."""
    return kind in ROLE_KINDS[role]


def has_role(*roles: Role) -> ColumnElement[bool]:
    """SQL: the member holds one of ``roles`` (active or not)."""
    return or_(*(literal(role.value) == any_(Member.roles) for role in roles))


def active_holders(*roles: Role) -> ColumnElement[bool]:
    """SQL: the member is active and holds one of ``roles``; what :func:`actively_holds` says of a loaded one."""
    return and_(Member.active, has_role(*roles))


def actively_holds(member: Member, *roles: Role) -> bool:
    """The loaded ``member`` is active and holds one of ``roles``."""
    return bool(member.active) and not set(roles).isdisjoint(member.roles)


def fitting(roles: Iterable[Role | str], kind: OrganizationKind) -> frozenset[Role]:
    """The ``roles`` (names or members of Role) that a member of an organization of ``kind`` may hold."""
    return frozenset(role for role in map(Role, roles) if role_fits(role, kind))


def grantable(viewer: Viewer, kind: OrganizationKind) -> frozenset[Role]:
    """The roles the viewer may hand out in its organization (of ``kind``): to a member or a partner app's ceiling.

    An org admin grants any role a member of its organization may hold; a partner app acting as
    an org admin never more than its own ceiling. The same rule holds a partner app's ceiling at
    registration (:func:`app_ceiling` then keeps it, at every token issued and used).
    """
    if not viewer.has_role(Role.ORG_ADMIN):
        return frozenset()
    allowed = fitting(Role, kind)
    return allowed & viewer.roles if viewer.client_id is not None else allowed


def app_ceiling(max_roles: Iterable[Role | str], kind: OrganizationKind) -> frozenset[Role]:
    """What a partner app of an organization of ``kind`` may act with now: its ceiling, within what fits the kind.

    Checked when a token is issued and on every request, so that an app registered before this
    rule, or whose organization changed kind, loses the roles its organization may not hold.
    """
    return fitting(max_roles, kind)
