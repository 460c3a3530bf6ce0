"""Who may call each mutation: the single table, checked before any business rule runs.

A mutation also needs the ``write`` scope (personal tokens have it; partner apps only when
granted). Mutations a viewer's roles can never call are absent from its schema.
"""

from __future__ import annotations

from api.auth.viewer import Viewer
from api.models.enums import Role

MUTATIONS: dict[str, frozenset[Role]] = {
    "personalAccessTokenCreate": frozenset({Role.ORG_ADMIN}),
    "personalAccessTokenRevoke": frozenset({Role.ORG_ADMIN}),
    "partnerAppCreate": frozenset({Role.ORG_ADMIN}),
    "partnerAppDisable": frozenset({Role.ORG_ADMIN}),
}


def may_call(viewer: Viewer, mutation: str) -> bool:
    """Whether the viewer's roles and scopes allow calling ``mutation`` at all."""
    return "write" in viewer.scopes and bool(MUTATIONS[mutation] & viewer.roles)


def may_ever_call(anonymous: bool, roles: frozenset[Role], mutation: str) -> bool:
    """Whether the mutation belongs in the schema of an audience."""
    return not anonymous and bool(MUTATIONS[mutation] & roles)
