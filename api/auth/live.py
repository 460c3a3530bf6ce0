"""Who may subscribe to what, and which events a subscription is about: the rules of live delivery.

A subscription field a viewer's roles can never use is absent from its schema (like a mutation). An
event reaches a subscriber only when (1) the subscription is about it (the rules below: a dispatcher's
regions, a responder's own dispatches, an admin's own organization), read from the viewer and its facts
*as they are at delivery*, and (2) the record it names is readable by the viewer under the same row rule
as a query (:mod:`api.auth.access`), with the same field rules (:mod:`api.auth.fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.auth.facts import Facts
from api.auth.viewer import Viewer
from api.events.event import Event
from api.models.enums import Role

PUBLIC = None  # a subscription anyone may use, anonymous callers included

SUBSCRIBERS: dict[str, frozenset[Role] | None] = {
    "incidentEvents": frozenset({Role.RR_DISPATCHER}),
    "myDispatches": frozenset({Role.RR_RESPONDER}),
    "accompanimentEvents": frozenset({Role.ACCOMPANIER, Role.ACCOMPANIMENT_COORDINATOR}),
    "shiftEvents": frozenset({Role.ORG_ADMIN, Role.SANCTUARY_COORDINATOR, Role.HOSPITALITY_VOLUNTEER}),
    "broadcastAlerts": PUBLIC,
    "burnRequests": frozenset({Role.ORG_ADMIN}),
}


def may_ever_subscribe(anonymous: bool, roles: frozenset[Role], name: str) -> bool:
    """Whether an audience (anonymous, or members with ``roles``) has the subscription field ``name``."""
    if name not in SUBSCRIBERS:
        return False
    allowed = SUBSCRIBERS[name]
    return allowed is PUBLIC or (not anonymous and bool(allowed & roles))


def may_subscribe(viewer: Viewer, name: str) -> bool:
    """Whether this viewer, as it is now, may use the subscription ``name``."""
    return may_ever_subscribe(viewer.is_anonymous, viewer.roles, name)


def in_dispatch_regions(event: Event, viewer: Viewer, facts: Facts, arguments: Mapping[str, Any]) -> bool:
    """An incident in a region the viewer dispatches for now (``regionIds``, when given, narrows them)."""
    if event.region_id is None or event.region_id not in facts.dispatch_region_ids:
        return False
    wanted = arguments.get("region_ids")
    return wanted is None or event.region_id in wanted


def own_dispatch(row: Any, viewer: Viewer) -> bool:
    """A dispatch of the viewer itself (not one of its colleagues')."""
    return viewer.member_id is not None and row.member_id == viewer.member_id


def own_organization(row: Any, viewer: Viewer) -> bool:
    """A record of the viewer's own organization (a burn waits for that organization's admins)."""
    return viewer.organization_id is not None and row.organization_id == viewer.organization_id
