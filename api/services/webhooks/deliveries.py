"""Replaying a webhook delivery: a new attempt of the same delivery (the same ``webhook-id``), due now."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.access import readable
from api.auth.viewer import Viewer
from api.models import WebhookDelivery
from api.models.enums import WebhookDeliveryStatus
from api.services.shared.errors import UserFacingError
from api.services.webhooks.endpoints import managed_endpoint


async def replay(session: AsyncSession, viewer: Viewer, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Queue a delivery again (whatever its state); its payload is computed anew under the app's rights then."""
    delivery: WebhookDelivery | None = await session.scalar(
        readable(viewer, WebhookDelivery).where(WebhookDelivery.id == delivery_id).with_for_update()
    )
    if delivery is None:
        raise UserFacingError("NOT_FOUND", "No webhook delivery you manage has this id.", "id")
    await managed_endpoint(session, viewer, delivery.endpoint_id)  # managing, not only reading, its endpoint
    delivery.status = WebhookDeliveryStatus.PENDING
    delivery.next_attempt_at = datetime.now(UTC)
    await session.flush()
    return delivery
