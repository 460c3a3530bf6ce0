"""Who may take part in a two-person action (burning a sanctuary case): the single rule.

Two different people, each acting through a credential of their own (their sign-in, or a
personal token they or the operator minted; never a partner app, never a token another admin
minted), each an active admin of the organization; the second one must have held ORG_ADMIN,
without a break, since before the first one's request (``member_role_grant``). So one admin
cannot create or promote a second admin and confirm through them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import active_holders
from api.auth.viewer import Viewer
from api.models import Member, MemberRoleGrant
from api.models.enums import Role

ROLE = Role.ORG_ADMIN
OWN_CREDENTIAL_REQUIRED = "OWN_CREDENTIAL_REQUIRED"
SECOND_ADMIN_REQUIRED = "SECOND_ADMIN_REQUIRED"
ADMIN_BEFORE_REQUEST_REQUIRED = "ADMIN_BEFORE_REQUEST_REQUIRED"


def may_request(viewer: Viewer) -> str | None:
    """None when the viewer may make the first request; otherwise why not (a code)."""
    if viewer.member_id is None or viewer.client_id is not None or not viewer.own_credential:
        return OWN_CREDENTIAL_REQUIRED
    return None


async def may_confirm(
    session: AsyncSession,
    viewer: Viewer,
    *,
    organization_id: uuid.UUID,
    requested_by: uuid.UUID,
    requested_at: datetime,
) -> str | None:
    """None when the viewer may confirm a request made by ``requested_by`` at ``requested_at``; otherwise why not."""
    refused = may_request(viewer)
    if refused is not None:
        return refused
    if viewer.member_id == requested_by:
        return SECOND_ADMIN_REQUIRED
    held_before = await session.scalar(
        select(Member.id)
        .join(MemberRoleGrant, MemberRoleGrant.member_id == Member.id)
        .where(
            Member.id == viewer.member_id,
            Member.organization_id == organization_id,
            active_holders(ROLE),
            MemberRoleGrant.role == ROLE.value,
            MemberRoleGrant.granted_at < requested_at,
        )
    )
    return None if held_before is not None else ADMIN_BEFORE_REQUEST_REQUIRED
