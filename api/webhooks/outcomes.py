"""What an attempt leaves behind: the delivery's state, the next try (backoff with jitter), the endpoint's health.

A failed attempt is retried after ``backoff_base_s * 2^(attempts-1)`` (capped at ``backoff_max_s``), scaled by
a random factor in [0.75, 1.25), until ``retry_hours`` after the event (the last retry at that moment); then the
delivery is FAILED. Every failure counts against the endpoint; one that failed ``disable_after_failures`` attempts
in a row for at least ``disable_after_hours`` is disabled with the reason FAILING, its time and the last failure's
class; a success clears the count. A batch's outcomes are recorded together, in a few statements whatever its size.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, String, Table, bindparam, column, func, update, values
from sqlalchemy.dialects.postgresql import UUID
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


@dataclass(frozen=True)
class Closing:
    """A delivery ended without being sent: its final status and why."""

    delivery_id: uuid.UUID
    status: WebhookDeliveryStatus
    error: str


_TABLE = cast(Table, WebhookDelivery.__table__)
_DELIVERY = _TABLE.c
_RECORD = (  # one row per attempt, sent as one executemany
    update(_TABLE)
    .where(_DELIVERY.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status", type_=_DELIVERY.status.type),
        next_attempt_at=bindparam("b_next", type_=_DELIVERY.next_attempt_at.type),
        delivered_at=func.coalesce(bindparam("b_delivered", type_=_DELIVERY.delivered_at.type), _DELIVERY.delivered_at),
        last_response_code=bindparam("b_code", type_=_DELIVERY.last_response_code.type),
        last_error=bindparam("b_error", type_=_DELIVERY.last_error.type),
        version=_DELIVERY.version + 1,
    )
)


async def settle(
    session: AsyncSession, attempts: list[tuple[Attempt, Outcome]], closings: list[Closing], now: datetime,
    settings: Settings,
) -> None:  # fmt: skip
    """Record a batch's outcomes on its deliveries and their endpoints (the caller commits): one statement for the
    deliveries, one for the endpoints that succeeded and were failing, one for those that failed (and one more
    for those it disables). An endpoint with a success in the batch is not failing: its failures there are not
    counted (the attempts ran at once: there is no order among them)."""
    rows = [_values(attempt, outcome, now, settings) for attempt, outcome in attempts]
    rows += [_closed(closing) for closing in closings]
    if rows:
        await session.execute(_RECORD, rows)
    for (_attempt, outcome), row in zip(attempts, rows, strict=False):
        counted = "delivered" if outcome.ok else "gave_up" if row["b_status"] is S.FAILED else "retried"
        metrics.webhook_delivery(counted)
        metrics.event_delivered("webhook", "delivered" if outcome.ok else "failed")
    for _closing in closings:
        metrics.webhook_delivery("skipped")
    succeeded = {attempt.endpoint_id for attempt, outcome in attempts if outcome.ok}
    if succeeded:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(sorted(succeeded)), WebhookEndpoint.consecutive_failures > 0)
            .values(consecutive_failures=0, failing_since=None, last_error=None, version=WebhookEndpoint.version + 1)
        )
    failed: dict[uuid.UUID, list[str]] = {}
    for attempt, outcome in attempts:
        if not outcome.ok and attempt.endpoint_id not in succeeded:
            failed.setdefault(attempt.endpoint_id, []).append(str(outcome.error))
    if failed:
        await _count_failures(session, failed, now, settings)


def _values(attempt: Attempt, outcome: Outcome, now: datetime, settings: Settings) -> dict[str, Any]:
    """The delivery's new state after an attempt."""
    row: dict[str, Any] = {"b_id": attempt.delivery_id, "b_code": outcome.status, "b_error": outcome.error}
    if outcome.ok:
        return row | {"b_status": S.SUCCEEDED, "b_delivered": now, "b_next": None}
    deadline = attempt.created_at + timedelta(hours=settings.webhooks_retry_hours)
    retry_at = min(now + backoff(attempt.attempts, settings), deadline)  # the last retry falls at the deadline
    row |= {"b_status": S.FAILED, "b_next": None} if now >= deadline else \
        {"b_status": S.PENDING, "b_next": retry_at}  # fmt: skip
    return row | {"b_delivered": None}


def _closed(closing: Closing) -> dict[str, Any]:
    return {
        "b_id": closing.delivery_id, "b_status": closing.status, "b_error": closing.error, "b_code": None,
        "b_next": None, "b_delivered": None,
    }  # fmt: skip


async def _count_failures(
    session: AsyncSession, failed: dict[uuid.UUID, list[str]], now: datetime, settings: Settings
) -> None:
    """Count the batch's failures against their endpoints (one statement); disable those that kept failing long
    enough (FAILING, with the time and the last failure's class)."""
    counts = values(
        column("endpoint_id", UUID(as_uuid=True)), column("failures", Integer()), column("error", String(32)),
        name="failed",
    ).data([(endpoint_id, len(errors), errors[-1]) for endpoint_id, errors in sorted(failed.items())])  # fmt: skip
    counted = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == counts.c.endpoint_id)
        .values(
            consecutive_failures=WebhookEndpoint.consecutive_failures + counts.c.failures,
            failing_since=func.coalesce(WebhookEndpoint.failing_since, now),
            last_error=counts.c.error,
            version=WebhookEndpoint.version + 1,
        )
        .returning(WebhookEndpoint.id, WebhookEndpoint.consecutive_failures, WebhookEndpoint.failing_since)
        .execution_options(synchronize_session=False)
    )
    longest = timedelta(hours=settings.webhooks_disable_after_hours)
    disabling = [
        endpoint_id
        for endpoint_id, failures, since in counted.all()
        if failures >= settings.webhooks_disable_after_failures and since is not None and now - since >= longest
    ]
    if disabling:
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(disabling), WebhookEndpoint.disabled_at.is_(None))
            .values(disabled_at=now, disabled_reason=WebhookDisabledReason.FAILING, version=WebhookEndpoint.version + 1)
        )
