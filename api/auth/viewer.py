"""The principal a request acts for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from api.models.enums import OrganizationKind, Role


@dataclass(frozen=True)
class Viewer:
    """An authenticated member (or a partner app acting for its organization), or anonymous."""

    member_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    organization_kind: OrganizationKind | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    region_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    client_id: str | None = None
    scopes: frozenset[str] = frozenset({"read", "write"})
    # the credential is the member's own: their sign-in, or a personal token they (or the operator) minted
    own_credential: bool = False
    # when the person last proved who they are (passkey or external issuer), for acts that need a recent
    # sign-in (minting a personal access token); None for tokens that carry no sign-in (PATs, client credentials)
    auth_time: datetime | None = None
    # the partner app's session this credential belongs to (``oauth_session``), when it acts for a person
    session_id: uuid.UUID | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.organization_id is None

    @property
    def is_hub(self) -> bool:
        """True for members of the network hub (network-wide roles such as the hub's auditor)."""
        return self.organization_kind is OrganizationKind.NETWORK_HUB

    @property
    def audits_only(self) -> bool:
        """True for a viewer whose only role is AUDITOR: it reads the audit log and no record content."""
        return self.roles == {Role.AUDITOR}

    def has_role(self, *roles: Role) -> bool:
        """True when the viewer holds any of ``roles``."""
        return any(role in self.roles for role in roles)

    @property
    def audit_roles(self) -> list[str]:
        """The viewer's roles, sorted, as the audit log records them (one entry per role)."""
        return sorted(self.roles)


ANONYMOUS = Viewer()
