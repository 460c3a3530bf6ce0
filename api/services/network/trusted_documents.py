"""A partner app's trusted documents and its "trusted documents only" switch (its org admins).

The documents arrive already checked (api/schema/engine/trusted.py: id, text, schema, limits, cost);
here they are stored, listed, removed, within the admin's own organization.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import OAuthClient, Organization, TrustedDocument
from api.models.enums import OrganizationKind
from api.services.shared.errors import UserFacingError

MAX_PER_APP = 2000  # registered documents of one app


@dataclass(frozen=True)
class NewDocument:
    """A checked document: its key (hex SHA-256), text and operation names."""

    key: str
    text: str
    operation_names: list[str]


def document_id(key: str) -> str:
    """The id a client sends for a document of key ``key``."""
    return f"sha256:{key}"


async def admin_app(session: AsyncSession, viewer: Viewer, app_id: uuid.UUID) -> tuple[OAuthClient, OrganizationKind]:
    """A partner app of the viewer's organization (another organization's is not found), and its kind."""
    row = (
        await session.execute(
            select(OAuthClient, Organization.kind)
            .join(Organization, Organization.id == OAuthClient.organization_id)
            .where(OAuthClient.id == app_id, OAuthClient.organization_id == viewer.organization_id)
        )
    ).one_or_none()
    if row is None:
        raise UserFacingError("APP_NOT_FOUND", "No partner app of your organization has this id.", "app")
    return row[0], row[1]


async def add_documents(
    session: AsyncSession, app: OAuthClient, documents: Sequence[NewDocument], member_id: uuid.UUID | None
) -> list[str]:
    """Store ``documents`` for ``app`` (one already registered stays as it is); their ids."""
    held = await session.scalar(select(func.count()).where(TrustedDocument.client_id == app.id)) or 0
    if held + len(documents) > MAX_PER_APP:
        raise UserFacingError("TOO_MANY_DOCUMENTS", f"An app holds at most {MAX_PER_APP} documents.", "manifest")
    if documents:
        rows = [
            {"id": uuid.uuid4(), "client_id": app.id, "document_hash": d.key, "document": d.text,
             "operation_names": d.operation_names, "created_by_member_id": member_id}
            for d in documents
        ]  # fmt: skip
        await session.execute(insert(TrustedDocument).values(rows).on_conflict_do_nothing())
    return [document_id(d.key) for d in documents]


async def remove_documents(session: AsyncSession, app: OAuthClient, keys: Sequence[str]) -> int:
    """Remove documents of ``app`` by key; how many there were."""
    result = await session.execute(
        delete(TrustedDocument).where(TrustedDocument.client_id == app.id, TrustedDocument.document_hash.in_(keys))
    )
    return int(getattr(result, "rowcount", 0))


async def list_documents(session: AsyncSession, app: OAuthClient) -> list[TrustedDocument]:
    """The documents of ``app`` (at most :data:`MAX_PER_APP`), oldest first."""
    rows = await session.scalars(
        select(TrustedDocument)
        .where(TrustedDocument.client_id == app.id)
        .order_by(TrustedDocument.created_at, TrustedDocument.document_hash)
        .limit(MAX_PER_APP)
    )
    return list(rows)


async def set_trusted_only(session: AsyncSession, app: OAuthClient, value: bool) -> OAuthClient:
    """Switch "trusted documents only" for ``app``; it holds from the app's next request."""
    if app.trusted_documents_only != value:
        app.trusted_documents_only = value
        await session.flush()
    return app
