"""The principal a request acts for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from api.models.enums import Role


@dataclass(frozen=True)
class Viewer:
    """An authenticated member (or partner app acting for its organization), or anonymous."""

    member_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    client_id: str | None = None
    region_id: uuid.UUID | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.organization_id is None

    def has_role(self, *roles: Role) -> bool:
        """True when the viewer holds any of ``roles``."""
        return any(role in self.roles for role in roles)

    @property
    def audit_role(self) -> str | None:
        """A stable, compact description of the viewer's roles for the audit log."""
        return ",".join(sorted(self.roles)) or None


ANONYMOUS = Viewer()
