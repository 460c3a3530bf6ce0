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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import WebhookDelivery, WebhookEndpoint
from api.models.enums import WebhookDeliveryStatus, WebhookDisabledReason
from api.observability import metrics
from api.settings import Settings
from api.webhooks.sender import Outcome

S = WebhookDeliveryStatus


def backoff(attempts: int, settings: Settings) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt (exponential, capped, jittered)."""
    base = min(settings.webhooks_backoff_base_s * 2 ** min(attempts - 1, 30), settings.webhooks_backoff_max_s)
    return timedelta(seconds=base * (0.75 + random.random() / 2))  # noqa: S311 (jitter, not a secret)


@dataclass(frozen=True)
class Attempt:
    """The delivery an outcome is about, as it was claimed."""

    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts: int  # this attempt's number
    created_at: datetime


async def settle(session: AsyncSession, attempt: Attempt, outcome: Outcome, now: datetime, settings: Settings) -> None:
    """Record an attempt's outcome on the delivery and its endpoint (the caller commits). Plain UPDATEs: a success
    does not write the endpoint unless it was failing, so concurrent deliveries do not queue on its row."""
    values: dict[str, Any] = {"last_response_code": outcome.status, "last_error": outcome.error}
    if outcome.ok:
        values |= {"status": S.SUCCEEDED, "delivered_at": now, "next_attempt_at": None}
    else:
        deadline = attempt.created_at + timedelta(hours=settings.webhooks_retry_hours)
        retry_at = min(now + backoff(attempt.attempts, settings), deadline)  # the last retry falls at the deadline
        values |= {"status": S.FAILED, "next_attempt_at": None} if now >= deadline else \
            {"status": S.PENDING, "next_attempt_at": retry_at}  # fmt: skip
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == attempt.delivery_id)
        .values(**values, version=WebhookDelivery.version + 1)
    )
    counted = "delivered" if outcome.ok else "gave_up" if values["status"] is S.FAILED else "retried"
    metrics.webhook_delivery(counted)
    metrics.event_delivered("webhook", "delivered" if outcome.ok else "failed")
    if outcome.ok:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == attempt.endpoint_id, WebhookEndpoint.consecutive_failures > 0)
            .values(consecutive_failures=0, failing_since=None, last_error=None, version=WebhookEndpoint.version + 1)
        )
        return
    await _count_failure(session, attempt.endpoint_id, outcome, now, settings)


async def _count_failure(
    session: AsyncSession, endpoint_id: uuid.UUID, outcome: Outcome, now: datetime, settings: Settings
) -> None:
    """One more failure in a row for the endpoint; disabled (FAILING) once it kept failing long enough."""
    failures, since = (
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(
                consecutive_failures=WebhookEndpoint.consecutive_failures + 1,
                failing_since=func.coalesce(WebhookEndpoint.failing_since, now),
                last_error=outcome.error,
                version=WebhookEndpoint.version + 1,
            )
            .returning(WebhookEndpoint.consecutive_failures, WebhookEndpoint.failing_since)
        )
    ).one()
    long_enough = since is not None and now - since >= timedelta(hours=settings.webhooks_disable_after_hours)
    if failures >= settings.webhooks_disable_after_failures and long_enough:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.disabled_at.is_(None))
            .values(disabled_at=now, disabled_reason=WebhookDisabledReason.FAILING, version=WebhookEndpoint.version + 1)
        )


async def close(session: AsyncSession, delivery_id: uuid.UUID, status: WebhookDeliveryStatus, error: str) -> None:
    """End a delivery without sending it (not visible to the app, app disabled, document no longer valid)."""
    metrics.webhook_delivery("skipped")
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id)
        .values(status=status, last_error=error, next_attempt_at=None, version=WebhookDelivery.version + 1)
    )
