"""What an attempt leaves behind: the delivery's state, the next try (backoff with jitter), the endpoint's health.

A failed attempt is retried after ``backoff_base_s * 2^(attempts-1)`` (capped at ``backoff_max_s``), scaled by
a random factor in [0.75, 1.25), until ``retry_hours`` after the event (the last retry at that moment); then the
delivery is FAILED. Every
failure counts against the endpoint; one that failed ``disable_after_failures`` attempts in a row for at least
``disable_after_hours`` is disabled with the reason FAILING, its time and the last failure's class; a success
clears the count.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import WebhookDelivery, WebhookEndpoint
from api.models.enums import WebhookDeliveryStatus, WebhookDisabledReason
from api.settings import Settings
from api.webhooks.sender import Outcome

S = WebhookDeliveryStatus


def backoff(attempts: int, settings: Settings) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (exponential, capped, jittered)."""
    base = min(settings.webhooks_backoff_base_s * 2 ** min(attempts - 1, 30), settings.webhooks_backoff_max_s)
    return timedelta(seconds=base * (0.75 + random.random() / 2))  # noqa: S311 (jitter, not a secret)


async def settle(
    session: AsyncSession, delivery: WebhookDelivery, endpoint: WebhookEndpoint, outcome: Outcome, now: datetime,
    settings: Settings,
) -> None:  # fmt: skip
    """Record an attempt's outcome on the delivery and its endpoint (the caller commits)."""
    delivery.last_response_code = outcome.status
    delivery.last_error = outcome.error
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = S.SUCCEEDED, now, None
        endpoint.consecutive_failures, endpoint.failing_since, endpoint.last_error = 0, None, None
        return
    deadline = delivery.created_at + timedelta(hours=settings.webhooks_retry_hours)
    if now >= deadline:
        delivery.status, delivery.next_attempt_at = S.FAILED, None
    else:  # the last retry falls at the deadline: retried for retry_hours (at least 24) whatever the draws
        delivery.status, delivery.next_attempt_at = S.PENDING, min(now + backoff(delivery.attempts, settings), deadline)
    endpoint.consecutive_failures += 1
    endpoint.failing_since = endpoint.failing_since or now
    endpoint.last_error = outcome.error
    keeps_failing = endpoint.consecutive_failures >= settings.webhooks_disable_after_failures
    if keeps_failing and now - endpoint.failing_since >= timedelta(hours=settings.webhooks_disable_after_hours):
        endpoint.disabled_at, endpoint.disabled_reason = now, WebhookDisabledReason.FAILING


async def close(session: AsyncSession, delivery_id: uuid.UUID, status: WebhookDeliveryStatus, error: str) -> None:
    """End a delivery without sending it (not visible to the app, app disabled, document no longer valid)."""
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(status=status, last_error=error, next_attempt_at=None, version=WebhookDelivery.version + 1)
    )
