"""The audit log, read-only: who read or changed what, never the values."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.auth.access import readable
from api.models import AuditEvent as AuditRow
from api.models.base import Tier
from api.models.enums import AuditAction, AuditOutcome
from api.schema.engine.context import Info
from api.schema.engine.fields import plain
from api.schema.engine.filters import apply_range
from api.schema.engine.relay import AfterArg, Connection, FirstArg, Page, keyset_page, row_type


@row_type(AuditRow, floor=Tier.T1, description="One audited read of restricted data or one mutation. Immutable.")
class AuditEvent:
    occurred_at: datetime = plain(AuditRow.occurred_at, "When it happened.")
    action: AuditAction = plain(AuditRow.action, "A read or a mutation.")
    outcome: AuditOutcome = plain(AuditRow.outcome, "Allowed, denied or failed.")
    roles: list[str] = plain(AuditRow.roles, "The actor's roles at the time, one entry per role.")
    actor_client_id: str | None = plain(AuditRow.actor_client_id, "The partner app, if one acted.")
    operation_name: str | None = plain(AuditRow.operation_name, "The GraphQL operation name, as sent.")
    document_hash: str | None = plain(AuditRow.document_hash, "SHA-256 of the GraphQL document.")
    fields: list[str] = plain(AuditRow.fields, "Fields read or changed (`Type.field`), never their values.")
    request_id: str | None = plain(AuditRow.request_id, "The request id, to correlate with server logs.")

    @strawberry.field(description="Internal id of the event. Network (T1).")
    def id(self, root: strawberry.Parent[AuditRow]) -> strawberry.ID:
        return strawberry.ID(str(root.id))

    @strawberry.field(description="Id of the member who acted, if any. Network (T1).")
    def actor_member_id(self, root: strawberry.Parent[AuditRow]) -> strawberry.ID | None:
        return strawberry.ID(str(root.actor_member_id)) if root.actor_member_id else None

    @strawberry.field(description="Raw ids of the records concerned. Network (T1).")
    def record_ids(self, root: strawberry.Parent[AuditRow]) -> list[strawberry.ID]:
        return [strawberry.ID(str(record_id)) for record_id in root.record_ids]


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Your organization's audit log, newest first (auditors and org admins).")
    async def audit_events(
        self, info: Info, first: FirstArg = 50, after: AfterArg = None,
        occurred_from: Annotated[datetime | None, strawberry.argument(description="At or after.")] = None,
        occurred_before: Annotated[datetime | None, strawberry.argument(description="Before.")] = None,
    ) -> Connection[AuditEvent]:  # fmt: skip
        statement = readable(info.context.viewer, AuditRow)
        statement = apply_range(
            statement, info.context.viewer, AuditRow.occurred_at, occurred_from, occurred_before, "occurred"
        )
        page = Page("auditEvents", first, after, None, None)
        return await keyset_page(info, statement, AuditRow, AuditRow.occurred_at, page, newest_first=True)
