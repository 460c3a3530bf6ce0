"""Which fields a viewer may read on a record it can see. The single field-level rule.

A field's tier is declared once on its model column (``api/models/base.py``). A field the
viewer may not read on this record resolves to null and is reported in the response's
``extensions.withheld`` with one of these reasons.
"""

from __future__ import annotations

import enum
import uuid

from api.auth.viewer import Viewer
from api.models.base import Tier


class WithheldReason(enum.StrEnum):
    """Why a field resolved to null."""

    AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
    NOT_OWNER_ORGANIZATION = "NOT_OWNER_ORGANIZATION"


def field_access(viewer: Viewer, tier: Tier, owner_organization_id: uuid.UUID | None) -> WithheldReason | None:
    """None when the viewer may read a field of ``tier`` on a record owned by the organization, else why not."""
    if tier is Tier.T0:
        return None
    if viewer.is_anonymous:
        return WithheldReason.AUTHENTICATION_REQUIRED
    if tier is Tier.T1:
        return None
    if owner_organization_id is None or owner_organization_id != viewer.organization_id:
        return WithheldReason.NOT_OWNER_ORGANIZATION
    return None
