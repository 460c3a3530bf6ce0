"""From the outbox to deliveries: one row per (event, endpoint subscribed to its kind), created once.

A cursor row (``webhook_cursor``) holds the last outbox id read; the instance that advances it locks it
(``FOR UPDATE SKIP LOCKED``: another instance meanwhile skips the round). Ids are allocated at insert but
visible at commit, so an event whose transaction committed after a later one was read sits below the cursor:
each round also rereads the last minutes of the outbox. The unique (endpoint, event) pair makes rereading
harmless: a delivery is created at most once, however often or by however many instances an event is read.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.reach import may_ever_read
from api.auth.roles import app_ceiling
from api.models import Base, DomainEvent, OAuthClient, Organization, WebhookCursor, WebhookDelivery, WebhookEndpoint
from api.models.enums import WebhookDeliveryStatus

CURSOR = "deliveries"
LATE = timedelta(minutes=2)  # how far back each round rereads the outbox for events committed late


@lru_cache(maxsize=1)
def _models() -> dict[str, type[Any]]:
    return {mapper.class_.__tablename__: mapper.class_ for mapper in Base.registry.mappers}


async def fan_out(session: AsyncSession, now: datetime, *, batch: int = 500) -> int:
    """Create the deliveries of the events not fanned out yet; how many. The caller commits."""
    cursor = await session.scalar(
        select(WebhookCursor).where(WebhookCursor.name == CURSOR).with_for_update(skip_locked=True)
    )
    if cursor is None:  # another instance holds it this round
        return 0
    fresh = list(
        await session.scalars(
            select(DomainEvent).where(DomainEvent.id > cursor.last_event_id).order_by(DomainEvent.id).limit(batch)
        )
    )
    late = await session.scalars(
        select(DomainEvent)
        .where(DomainEvent.id <= cursor.last_event_id, DomainEvent.occurred_at >= now - LATE)
        .order_by(DomainEvent.id.desc())
        .limit(batch)
    )
    events = [*late, *fresh]
    if fresh:
        cursor.last_event_id = fresh[-1].id
    if not events:
        return 0
    endpoints = await _subscribed(session, {event.kind.value for event in events})
    rows = [row for event in events for row in _rows(endpoints, event)]
    if not rows:
        return 0
    inserted = await session.execute(
        insert(WebhookDelivery).values(rows).on_conflict_do_nothing(constraint="uq_webhook_delivery_endpoint_event")
    )
    return int(getattr(inserted, "rowcount", 0) or 0)


def _rows(endpoints: list[Any], event: DomainEvent) -> list[dict[str, Any]]:
    """One delivery per enabled endpoint of an enabled app subscribed to the event's kind, whose ceiling can ever
    read the record's type, registered before the event (whether this app may read this record is decided at
    delivery, under its rights then)."""
    model = _models().get(event.record_type)
    return [
        {
            "id": uuid.uuid4(),
            "endpoint_id": endpoint_id,
            "organization_id": organization_id,
            "event_id": event.id,
            "event_kind": event.kind.value,
            "status": WebhookDeliveryStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": event.occurred_at,
        }
        for endpoint_id, organization_id, created_at, kinds, roles, kind in endpoints
        if model is not None
        and event.kind.value in kinds
        and created_at <= event.occurred_at
        and may_ever_read(model, False, app_ceiling(roles, kind))
    ]


async def _subscribed(session: AsyncSession, kinds: set[str]) -> list[Any]:
    """The enabled endpoints of enabled apps subscribed to any of ``kinds``, with their app's ceiling."""
    statement = (
        select(
            WebhookEndpoint.id,
            WebhookEndpoint.organization_id,
            WebhookEndpoint.created_at,
            WebhookEndpoint.event_kinds,
            OAuthClient.max_roles,
            Organization.kind,
        )
        .join(OAuthClient, OAuthClient.id == WebhookEndpoint.app_id)
        .join(Organization, Organization.id == OAuthClient.organization_id)
        .where(
            WebhookEndpoint.disabled_at.is_(None),
            OAuthClient.disabled_at.is_(None),
            WebhookEndpoint.event_kinds.overlap(sorted(kinds)),
        )
    )
    return list((await session.execute(statement)).all())
