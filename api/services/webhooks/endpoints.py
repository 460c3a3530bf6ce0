"""Webhook endpoints of partner apps: register, update, enable or disable, delete, rotate the signing secret.

Who may do it is :func:`api.auth.webhooks.may_manage` (an org admin of the app's organization, or the app
itself with the ``webhooks`` scope); an app or endpoint the caller may not manage is reported exactly like
one that does not exist. A secret is returned once (at creation and rotation) and stored sealed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import viewer_of_app
from api.auth.viewer import Viewer
from api.auth.webhooks import may_manage
from api.crypto import Sealer
from api.models import OAuthClient, Organization, WebhookEndpoint
from api.models.enums import EventKind, WebhookDisabledReason
from api.services.shared.checks import optional_text
from api.services.shared.errors import UserFacingError
from api.settings import Settings
from api.webhooks import signing
from api.webhooks.addresses import check_url

MAX_PER_APP = 10


@dataclass
class Change:
    """What an update changes (None: keep)."""

    url: str | None = None
    event_kinds: list[EventKind] | None = None
    document: str | None = None
    description: str | None = None
    enabled: bool | None = None


async def managed_app(session: AsyncSession, viewer: Viewer, app_id: uuid.UUID) -> tuple[OAuthClient, Organization]:
    """The partner app (and its organization) if the viewer manages its endpoints; APP_NOT_FOUND otherwise."""
    row = (
        await session.execute(
            select(OAuthClient, Organization)
            .join(Organization, Organization.id == OAuthClient.organization_id)
            .where(OAuthClient.id == app_id, OAuthClient.organization_id == viewer.organization_id)
        )
    ).one_or_none()
    if row is None or not may_manage(viewer, row[0]):
        raise UserFacingError("APP_NOT_FOUND", "No partner app whose webhooks you manage has this id.", "appId")
    return row[0], row[1]


async def managed_endpoint(session: AsyncSession, viewer: Viewer, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The endpoint if the viewer manages its app's endpoints; NOT_FOUND otherwise."""
    row = (
        await session.execute(
            select(WebhookEndpoint, OAuthClient)
            .join(OAuthClient, OAuthClient.id == WebhookEndpoint.app_id)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.organization_id == viewer.organization_id)
            .with_for_update(of=WebhookEndpoint)
        )
    ).one_or_none()
    if row is None or not may_manage(viewer, row[1]):
        raise UserFacingError("NOT_FOUND", "No webhook endpoint you manage has this id.", "id")
    endpoint: WebhookEndpoint = row[0]
    return endpoint


async def register(
    session: AsyncSession, sealer: Sealer, settings: Settings, viewer: Viewer, app_id: uuid.UUID, change: Change
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint of a partner app; returns it and its signing secret (shown this once)."""
    app, organization = await managed_app(session, viewer, app_id)
    count = await session.scalar(select(func.count()).where(WebhookEndpoint.app_id == app.id))
    if (count or 0) >= MAX_PER_APP:
        raise UserFacingError("TOO_MANY_ENDPOINTS", f"An app has at most {MAX_PER_APP} webhook endpoints.", "appId")
    if change.url is None or change.event_kinds is None or change.document is None:
        raise UserFacingError("INVALID_INPUT", "Give a URL, event kinds and a document.", "url")
    endpoint = WebhookEndpoint(id=uuid.uuid4(), organization_id=app.organization_id, app_id=app.id)
    _apply(endpoint, change, settings, app, organization)
    secret = signing.new_secret()
    endpoint.secret = await sealer.seal(session, app.organization_id, endpoint.id, "webhook_endpoint.secret", secret)
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def update(
    session: AsyncSession, settings: Settings, viewer: Viewer, endpoint_id: uuid.UUID, change: Change
) -> WebhookEndpoint:
    """Change an endpoint's URL, kinds, document or description, or disable / enable it."""
    endpoint = await managed_endpoint(session, viewer, endpoint_id)
    app, organization = await managed_app(session, viewer, endpoint.app_id)
    _apply(endpoint, change, settings, app, organization)
    if change.enabled is False and endpoint.disabled_at is None:
        endpoint.disabled_at, endpoint.disabled_reason = datetime.now(UTC), WebhookDisabledReason.MANUAL
    elif change.enabled is True and endpoint.disabled_at is not None:  # pending deliveries resume
        endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
        endpoint.consecutive_failures = 0
    await session.flush()
    return endpoint


async def delete(session: AsyncSession, viewer: Viewer, endpoint_id: uuid.UUID) -> uuid.UUID:
    """Delete an endpoint and its deliveries; returns its id."""
    endpoint = await managed_endpoint(session, viewer, endpoint_id)
    await session.delete(endpoint)
    await session.flush()
    return endpoint_id


async def rotate(
    session: AsyncSession, sealer: Sealer, viewer: Viewer, endpoint_id: uuid.UUID, overlap: timedelta
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret; the current one keeps signing too for ``overlap`` (both signatures are sent)."""
    endpoint = await managed_endpoint(session, viewer, endpoint_id)
    org, now = endpoint.organization_id, datetime.now(UTC)
    current = await sealer.open(session, org, endpoint.id, "webhook_endpoint.secret", endpoint.secret)
    sealed_previous = await sealer.seal(session, org, endpoint.id, "webhook_endpoint.previous_secret", current)
    endpoint.previous_secret = sealed_previous if overlap > timedelta(0) else None
    endpoint.previous_secret_expires_at = now + overlap if overlap > timedelta(0) else None
    secret = signing.new_secret()
    endpoint.secret = await sealer.seal(session, org, endpoint.id, "webhook_endpoint.secret", secret)
    endpoint.secret_rotated_at = now
    await session.flush()
    return endpoint, secret


def _apply(
    endpoint: WebhookEndpoint, change: Change, settings: Settings, app: OAuthClient, organization: Organization
) -> None:
    if change.url is not None:
        problem = check_url(
            change.url, allow_insecure=settings.webhooks_allow_insecure, allow_private=settings.webhooks_allow_private
        )
        if problem is not None:
            raise UserFacingError("INVALID_URL", problem, "url")
        endpoint.url = change.url
    if change.event_kinds is not None:
        if not change.event_kinds or len(change.event_kinds) > len(EventKind):
            raise UserFacingError("INVALID_EVENT_KINDS", "Give one or more event kinds.", "eventKinds")
        endpoint.event_kinds = sorted({kind.value for kind in change.event_kinds})
    if change.document is not None or change.event_kinds is not None:  # the kinds must be the document's
        kinds = [EventKind(kind) for kind in endpoint.event_kinds]
        endpoint.document = _checked_document(change.document or endpoint.document, kinds, app, organization, settings)
    if change.description is not None:
        endpoint.description = optional_text(change.description, "description", max_length=200)


def _checked_document(
    document: str, kinds: list[EventKind], app: OAuthClient, organization: Organization, settings: Settings
) -> str:
    """The document, if it is a subscription valid against the schema of the app's ceiling that delivers
    ``kinds`` (INVALID_DOCUMENT otherwise)."""
    from api.webhooks.payload import DocumentRefused, KindsRefused, check  # the schema imports the services

    viewer = viewer_of_app(app, organization)
    if viewer is None:
        raise UserFacingError("INVALID_DOCUMENT", "The app has no role left to read with.", "document")
    try:
        check(document, viewer, settings, kinds)
    except KindsRefused as refused:
        raise UserFacingError("INVALID_EVENT_KINDS", str(refused), "eventKinds") from None
    except DocumentRefused as refused:
        raise UserFacingError("INVALID_DOCUMENT", str(refused), "document") from None
    return document
