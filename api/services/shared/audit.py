"""Writing audit events. Events record who, what and which fields, never values."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import AuditEvent
from api.models.enums import AuditAction, AuditOutcome


def _actor(viewer: Viewer) -> dict[str, object]:
    """Who an event is by, as every event of a viewer records it: its organization, member, app and roles."""
    return {
        "organization_id": viewer.organization_id,
        "actor_member_id": viewer.member_id,
        "actor_client_id": viewer.client_id,
        "roles": viewer.audit_roles,
    }


def _event(viewer: Viewer, action: AuditAction, outcome: AuditOutcome, **values: object) -> AuditEvent:
    return AuditEvent(**_actor(viewer), action=action, outcome=outcome, **values)


# One statement object for every read (SQLAlchemy memoizes its compiled form): a plain INSERT, not an ORM flush,
# which costs several times more and would keep the row in the session for nothing (reads are never updated).
_INSERT_READ = insert(AuditEvent).values(
    id=bindparam("id"), organization_id=bindparam("organization_id"), actor_member_id=bindparam("actor_member_id"),
    actor_client_id=bindparam("actor_client_id"), roles=bindparam("roles"), action=AuditAction.READ,
    outcome=AuditOutcome.ALLOWED, operation_name=bindparam("operation_name"), document_hash=bindparam("document_hash"),
    record_ids=bindparam("record_ids"), fields=bindparam("fields"), request_id=bindparam("request_id"),
)  # fmt: skip


async def record_reads(
    session: AsyncSession,
    viewer: Viewer,
    reads: dict[uuid.UUID | None, set[str]],
    *,
    operation_name: str | None,
    document_hash: str | None,
    request_id: str,
) -> None:
    """One READ event for all T2/T3 fields a request returned or looked up by (in the request's transaction);
    a lookup by value names the field under the key None, with no record."""
    if not reads:
        return
    connection = await session.connection()
    await connection.execute(
        _INSERT_READ,
        {
            "id": uuid.uuid4(),
            **_actor(viewer),
            "operation_name": (operation_name or "")[:200] or None,
            "document_hash": document_hash,
            "record_ids": sorted(record_id for record_id in reads if record_id is not None),
            "fields": sorted({name for names in reads.values() for name in names}),
            "request_id": request_id,
        },
    )


def mutation_event(
    viewer: Viewer,
    mutation: str,
    outcome: AuditOutcome,
    *,
    record_ids: Iterable[uuid.UUID] = (),
    fields: Iterable[str] = (),
    operation_name: str | None,
    document_hash: str | None,
    request_id: str,
) -> AuditEvent:
    """The MUTATION event of one mutation field (allowed, denied or failed)."""
    return _event(
        viewer,
        AuditAction.MUTATION,
        outcome,
        operation_name=(operation_name or mutation)[:200],
        document_hash=document_hash,
        record_ids=sorted(set(record_ids)),
        fields=sorted({f"{mutation}.{name}" for name in fields} | {mutation}),
        request_id=request_id,
    )


def operator_event(organization_id: uuid.UUID, command: str, record_ids: Iterable[uuid.UUID]) -> AuditEvent:
    """The MUTATION event of an operator's command (``sanctuary-api token create``): no actor, ids only, no secret."""
    return _event(
        Viewer(organization_id=organization_id),
        AuditAction.MUTATION,
        AuditOutcome.ALLOWED,
        operation_name=f"sanctuary-api {command}",
        record_ids=sorted(set(record_ids)),
        fields=[f"operator.{command.replace(' ', '.')}"],
    )


def signin_event(
    organization_id: uuid.UUID | None, member_id: uuid.UUID | None, what: str, outcome: AuditOutcome
) -> AuditEvent:
    """A sign-in page's event (``signin.passkey``, ``signin.enroll``, ``signin.signout``...): who, never a credential."""
    return AuditEvent(
        organization_id=organization_id,
        actor_member_id=member_id,
        action=AuditAction.MUTATION,
        outcome=outcome,
        operation_name="signin",
        record_ids=[member_id] if member_id else [],
        fields=[f"signin.{what}"],
    )


def oauth_event(
    organization_id: uuid.UUID | None,
    member_id: uuid.UUID | None,
    client_id: str | None,
    what: str,
    outcome: AuditOutcome,
    record_ids: Iterable[uuid.UUID] = (),
) -> AuditEvent:
    """An OAuth event (``oauth.consent``, ``oauth.code_exchange``, ``oauth.refresh_reuse``, ``oauth.device_approve``...):
    who, which app, which records (the app session...), never a code or token."""
    return AuditEvent(
        organization_id=organization_id,
        actor_member_id=member_id,
        actor_client_id=client_id,
        action=AuditAction.MUTATION,
        outcome=outcome,
        operation_name="oauth",
        record_ids=sorted(set(record_ids)),
        fields=[f"oauth.{what}"],
    )
