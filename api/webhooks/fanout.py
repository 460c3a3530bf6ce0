"""From the outbox to deliveries: one row per (event, endpoint subscribed to its kind), created once.

The cursor row (``webhook_cursor``) holds how far the outbox was read: a horizon, the last id plus the ids below it
not visible yet when a later one was read (:mod:`api.webhooks.cursor`: an event whose transaction commits late is
read when it does, however late, and a gap is forgotten only once it provably cannot fill). One instance advances
it at a time (a transaction-scoped advisory lock; the others skip the round). The unique (endpoint, event) pair
makes any rereading harmless: a delivery is created at most once, however often or by however many instances an
event is read.
"""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Any

from sqlalchemy import BigInteger, Text, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.reach import may_ever_read
from api.auth.roles import app_ceiling
from api.models import Base, DomainEvent, OAuthClient, Organization, WebhookCursor, WebhookDelivery, WebhookEndpoint
from api.models.enums import WebhookDeliveryStatus
from api.webhooks.cursor import Gaps, missing

CURSOR = "deliveries"
MAX_PARAMETERS = 32_767  # bound parameters in one statement (PostgreSQL's protocol): a round inserts in chunks
LOCK_KEY = 0x5357_484B_4655_4F54  # "SWHKFUOT": the advisory lock of the fan-out (taking it assigns no xid)


def _xid(expression: Any) -> Any:
    return expression.cast(Text).cast(BigInteger)


_SETTLED = _xid(func.pg_snapshot_xmin(func.pg_current_snapshot()))  # no transaction below it runs any more
_ASSIGNED = _xid(func.pg_current_xact_id_if_assigned())


_GAPS = select(DomainEvent).where(DomainEvent.id == any_(bindparam("gap_ids", type_=ARRAY(BigInteger))))


@lru_cache(maxsize=1)
def _models() -> dict[str, type[Any]]:
    return {mapper.class_.__tablename__: mapper.class_ for mapper in Base.registry.mappers}


async def fan_out(session: AsyncSession, *, batch: int = 500) -> int:
    """Create the deliveries of the events not fanned out yet; how many. Call it in a fresh transaction (its first
    transaction id must come after its reads); the caller commits."""
    if not await session.scalar(select(func.pg_try_advisory_xact_lock(LOCK_KEY))):
        return 0  # another instance holds it this round
    cursor, settled, assigned = (
        await session.execute(select(WebhookCursor, _SETTLED, _ASSIGNED).where(WebhookCursor.name == CURSOR))
    ).one()
    if assigned is not None:
        raise RuntimeError("fan_out needs a transaction that has written nothing yet")
    gaps = Gaps(tuple(cursor.gap_ids), tuple(cursor.gap_xids))
    late = await _visible(session, gaps.ids)
    fresh = list(
        await session.scalars(
            select(DomainEvent).where(DomainEvent.id > cursor.last_event_id).order_by(DomainEvent.id).limit(batch)
        )
    )
    gaps = gaps.after((event.id for event in late), settled)
    skipped = missing(cursor.last_event_id, [event.id for event in fresh])
    if skipped:  # the transaction id taken now, after the read, is above those of the transactions that drew them
        gaps = gaps.plus(skipped, int(await session.scalar(select(_xid(func.pg_current_xact_id()))) or 0))
    if gaps.ids != tuple(cursor.gap_ids):
        cursor.gap_ids, cursor.gap_xids = list(gaps.ids), list(gaps.observed)
    if fresh:
        cursor.last_event_id = fresh[-1].id
    return await _deliveries(session, [*late, *fresh])


async def _visible(session: AsyncSession, ids: tuple[int, ...]) -> list[DomainEvent]:
    """The events among ``ids`` that are visible now."""
    if not ids:
        return []
    return list(await session.scalars(_GAPS, {"gap_ids": list(ids)}))


async def _deliveries(session: AsyncSession, events: list[DomainEvent]) -> int:
    """Insert the deliveries of ``events`` (those already there stay as they are); how many were new."""
    if not events:
        return 0
    endpoints = await _subscribed(session, {event.kind.value for event in events})
    rows = [row for event in events for row in _rows(endpoints, event)]
    if not rows:
        return 0
    created, per_statement = 0, MAX_PARAMETERS // len(rows[0])
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        inserted = await session.execute(
            insert(WebhookDelivery)
            .values(chunk)
            .on_conflict_do_nothing(constraint="uq_webhook_delivery_endpoint_event")
        )
        created += int(getattr(inserted, "rowcount", 0) or 0)
    return created


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
