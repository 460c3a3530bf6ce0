"""A viewer whose ids are SQL bound parameters: a statement built from the ties (:mod:`api.auth.ties`) for it
serves every viewer of the same shape, each bound to its own values when the statement is executed.

Building a statement of the ties costs far more (about a millisecond for a dispatcher's facts) than executing
one already built: SQLAlchemy memoizes a statement object's cache key and compiled form. The ties branch only
on what :class:`Shape` holds (roles, organization kind, whether there is a member and an organization); the ids
they compare rows with come from the viewer's attributes, which here are bound parameters. Anything that would
branch on such a value fails loudly (a bound parameter has no truth value and cannot be iterated), and
``tests/engine/test_bound_viewer.py`` checks that every shape's facts equal those built for the viewer itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BindParameter, bindparam

from api.auth.viewer import Viewer
from api.models.enums import OrganizationKind, Role

_MEMBER: BindParameter[uuid.UUID] = bindparam("viewer_member_id")
_ORGANIZATION: BindParameter[uuid.UUID] = bindparam("viewer_organization_id")
_REGIONS: BindParameter[list[uuid.UUID]] = bindparam("viewer_region_ids", expanding=True)


@dataclass(frozen=True)
class Shape:
    """What the ties branch on: viewers of one shape share one statement."""

    roles: frozenset[Role]
    organization_kind: OrganizationKind | None
    member: bool  # it has a member (a partner app acting for its organization has none)
    organization: bool  # it has an organization (anonymous viewers have none)

    @classmethod
    def of(cls, viewer: Viewer) -> Shape:
        return cls(viewer.roles, viewer.organization_kind, viewer.member_id is not None, not viewer.is_anonymous)

    def viewer(self) -> Viewer:
        """The viewer of this shape whose ids are bound parameters (build statements with it, never compare)."""
        return Viewer(
            member_id=cast(uuid.UUID, _MEMBER) if self.member else None,
            organization_id=cast(uuid.UUID, _ORGANIZATION) if self.organization else None,
            organization_kind=self.organization_kind,
            roles=self.roles,
            region_ids=cast(frozenset[uuid.UUID], _REGIONS),
        )


def values(viewer: Viewer) -> dict[str, Any]:
    """The bound parameters' values for ``viewer`` (a statement built for its shape binds those it uses)."""
    return {
        "viewer_member_id": viewer.member_id,
        "viewer_organization_id": viewer.organization_id,
        "viewer_region_ids": sorted(viewer.region_ids),
    }
