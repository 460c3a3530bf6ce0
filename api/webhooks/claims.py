"""Claiming due deliveries: a batch taken with one statement, and what its attempts need read with a few more.

One ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n) RETURNING`` takes up to ``n`` due deliveries
of enabled endpoints and pushes them a lease ahead: instances claiming at the same time take different rows, and
a claimed delivery is not claimed again while it is being sent (after a crash it is due again when the lease
ends: at least once). Then the batch's endpoints, events and apps (as the viewers they are now) are read with one
statement each, whatever the batch's size, each app's facts with one more (:mod:`api.webhooks.apps`), and the
endpoints' secrets opened (keys are cached by the sealer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import BigInteger, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.events.event import Event, from_row
from api.models import DomainEvent, WebhookDelivery, WebhookEndpoint
from api.models.enums import WebhookDeliveryStatus
from api.webhooks.apps import AppNow, apps_now
from api.webhooks.outcomes import Attempt

_ENDPOINTS = select(WebhookEndpoint).where(
    WebhookEndpoint.id == any_(bindparam("endpoint_ids", type_=ARRAY(UUID(as_uuid=True))))
)
_EVENTS = select(DomainEvent).where(DomainEvent.id == any_(bindparam("event_ids", type_=ARRAY(BigInteger))))


@dataclass(frozen=True)
class Claimed:
    """One claimed delivery with what its attempt needs."""

    attempt: Attempt
    endpoint: WebhookEndpoint
    event: Event | None  # None: purged by retention before it could be sent
    app: AppNow | None  # the app now, shared by its deliveries in the batch; None: disabled, or no role left
    secrets: tuple[str, ...]  # the current secret, and the previous one while a rotation's overlap lasts


async def claim(session: AsyncSession, sealer: Sealer, now: datetime, limit: int, lease: timedelta) -> list[Claimed]:
    """Take up to ``limit`` due deliveries of enabled endpoints, leased until ``now + lease``, with what their
    attempts need; the caller commits (at once: the claimed rows stay locked until then)."""
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == WebhookDeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.disabled_at.is_(None),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
    )
    taken = (
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(due.scalar_subquery()))
            .values(
                next_attempt_at=now + lease,
                attempts=WebhookDelivery.attempts + 1,
                last_attempt_at=now,
                version=WebhookDelivery.version + 1,
            )
            .returning(
                WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookDelivery.event_id, WebhookDelivery.attempts,
                WebhookDelivery.created_at,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()  # fmt: skip
    if not taken:
        return []
    endpoint_ids, event_ids = sorted({row.endpoint_id for row in taken}), sorted({row.event_id for row in taken})
    endpoints = {row.id: row for row in await session.scalars(_ENDPOINTS, {"endpoint_ids": endpoint_ids})}
    events = {row.id: row for row in await session.scalars(_EVENTS, {"event_ids": event_ids})}
    apps = await apps_now(session, (endpoint.app_id for endpoint in endpoints.values()))
    opened_at = datetime.now(UTC)  # a rotation's overlap ends in real time
    secrets = {key: await _secrets(session, sealer, endpoint, opened_at) for key, endpoint in endpoints.items()}
    return [
        Claimed(
            Attempt(row.id, row.endpoint_id, row.attempts, row.created_at),
            endpoints[row.endpoint_id],
            _event(events[row.event_id]) if row.event_id in events else None,
            apps[endpoints[row.endpoint_id].app_id],
            secrets[row.endpoint_id],
        )
        for row in taken
    ]


def _event(row: DomainEvent) -> Event:
    return from_row({column.key: getattr(row, column.key) for column in DomainEvent.__table__.columns})


async def _secrets(session: AsyncSession, sealer: Sealer, endpoint: WebhookEndpoint, now: datetime) -> tuple[str, ...]:
    """The current secret, and the previous one while the rotation's overlap lasts."""
    opened = []
    for column, sealed in (("secret", endpoint.secret), ("previous_secret", endpoint.previous_secret)):
        if column == "previous_secret" and (
            endpoint.previous_secret_expires_at is None or endpoint.previous_secret_expires_at <= now
        ):
            continue
        value = await sealer.open(session, endpoint.organization_id, endpoint.id, f"webhook_endpoint.{column}", sealed)
        if value is not None:
            opened.append(value)
    return tuple(opened)
