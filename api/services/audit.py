"""Writing audit events. Events record who, what and which fields, never values."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import AuditEvent
from api.models.enums import AuditAction, AuditOutcome


async def record_reads(
    session: AsyncSession,
    viewer: Viewer,
    reads: dict[uuid.UUID, set[str]],
    *,
    operation_name: str | None,
    document_hash: str | None,
    request_id: str,
) -> None:
    """One READ event for all T2/T3 fields a request returned (in the request's transaction)."""
    if not reads:
        return
    session.add(
        AuditEvent(
            organization_id=viewer.organization_id,
            actor_member_id=viewer.member_id,
            actor_client_id=viewer.client_id,
            role=viewer.audit_role,
            action=AuditAction.READ,
            operation_name=(operation_name or "")[:200] or None,
            document_hash=document_hash,
            record_ids=sorted(reads),
            fields=sorted({name for names in reads.values() for name in names}),
            outcome=AuditOutcome.ALLOWED,
            request_id=request_id,
        )
    )
    await session.flush()
