"""The delivery worker, inside every instance: fan out new events, claim due deliveries, send them.

A round (:func:`run_pass`) fans the outbox out (:mod:`api.webhooks.fanout`), then claims due deliveries with
``SELECT … FOR UPDATE SKIP LOCKED`` and pushes them a lease ahead in the same short transaction, so that
instances claiming at the same time take different rows and a claimed delivery is not claimed again while it
is being sent (after a crash it is due again when the lease ends: at least once). Each claimed delivery is
then rendered under the app's rights of that moment (:mod:`api.webhooks.payload`), signed and sent
(:mod:`api.webhooks.sender`), and its outcome recorded (:mod:`api.webhooks.outcomes`). Every attempt of a
delivery carries the same ``webhook-id``.

:class:`Worker` runs rounds in the background: when the instance's EventHub hands on an event, and every
``webhooks_interval_s`` seconds (retries fall due without any event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.clients import app_viewer
from api.crypto import Sealer
from api.events.event import Event, from_row
from api.events.hub import EventHub, SubscriberDropped
from api.models import DomainEvent, WebhookDelivery, WebhookEndpoint
from api.models.enums import WebhookDeliveryStatus
from api.settings import Settings
from api.webhooks import outcomes, payload, signing
from api.webhooks.fanout import fan_out
from api.webhooks.sender import Outcome, send

logger = logging.getLogger("api.webhooks")
S = WebhookDeliveryStatus
MAX_ROUNDS = 20  # claims per pass, at most: a pass ends even when deliveries keep falling due


@dataclass
class Pass:
    """What one round did."""

    created: int = 0
    attempted: int = 0


async def claim(session: AsyncSession, now: datetime, limit: int, lease: timedelta) -> list[uuid.UUID]:
    """Take up to ``limit`` due deliveries of enabled endpoints, leased until ``now + lease``; the caller commits."""
    ids = list(
        await session.scalars(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == S.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.disabled_at.is_(None),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    )
    if ids:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(
                next_attempt_at=now + lease,
                attempts=WebhookDelivery.attempts + 1,
                last_attempt_at=now,
                version=WebhookDelivery.version + 1,
            )
        )
    return ids


async def run_pass(
    sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, now: datetime | None = None
) -> Pass:
    """One round: fan out, then claim and send until nothing is due (at most MAX_ROUNDS claims)."""
    moment = now or datetime.now(UTC)
    done = Pass()
    async with sessionmaker() as session:
        done.created = await fan_out(session, moment)
        await session.commit()
    lease = timedelta(seconds=settings.webhooks_timeout_s * 2 + 30)
    gate = asyncio.Semaphore(settings.webhooks_concurrency)
    for _ in range(MAX_ROUNDS):
        async with sessionmaker() as session:
            ids = await claim(session, moment, settings.webhooks_batch, lease)
            await session.commit()
        await asyncio.gather(*(_guarded(gate, sessionmaker, sealer, settings, i, moment) for i in ids))
        done.attempted += len(ids)
        if len(ids) < settings.webhooks_batch:
            break
    return done


async def _guarded(
    gate: asyncio.Semaphore,
    sessionmaker: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    settings: Settings,
    delivery_id: uuid.UUID,
    now: datetime,
) -> None:
    async with gate:
        try:
            await deliver(sessionmaker, sealer, settings, delivery_id, now)
        except Exception as error:  # one delivery never stops the others; it is due again when its lease ends
            logger.error("webhook delivery failed: %s", type(error).__name__)


async def deliver(
    sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, delivery_id: uuid.UUID,
    now: datetime,
) -> None:  # fmt: skip
    """Render, sign and send one claimed delivery, then record the outcome."""
    prepared = await _prepare(sessionmaker, sealer, settings, delivery_id)
    if prepared is None:
        return
    attempt, url, secrets_in_use, rendered = prepared
    if rendered.body is None:  # rendering failed this time: a failed attempt, nothing sent
        outcome = Outcome(None, rendered.retry or "RENDER_ERROR")
    else:
        headers = signing.headers(secrets_in_use, signing.webhook_id(delivery_id), int(time.time()), rendered.body)
        outcome = await send(url, headers, rendered.body, settings)
    async with sessionmaker() as session:
        await outcomes.settle(session, attempt, outcome, now, settings)
        await session.commit()


async def _prepare(
    sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, delivery_id: uuid.UUID
) -> tuple[outcomes.Attempt, str, list[str], payload.Rendered] | None:
    """The attempt, the URL, the secrets signing now and the rendered payload; None when the delivery was closed
    instead (the app may not see it, or may see nothing any more)."""
    async with sessionmaker() as session:
        delivery, endpoint, event = (
            await session.execute(
                select(WebhookDelivery, WebhookEndpoint, DomainEvent)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .outerjoin(DomainEvent, DomainEvent.id == WebhookDelivery.event_id)
                .where(WebhookDelivery.id == delivery_id)
            )
        ).one()
        viewer = await app_viewer(session, endpoint.app_id)
        secrets_in_use = await _secrets(session, sealer, endpoint, datetime.now(UTC))
        await session.commit()
    attempt = outcomes.Attempt(delivery_id, endpoint.id, delivery.attempts, delivery.created_at)
    reason = _unsendable(viewer is not None and "read" in viewer.scopes, event is not None)
    rendered = None
    if reason is None:
        assert viewer is not None
        assert event is not None
        state = payload.RenderState(sessionmaker, sealer, settings)
        rendered = await payload.render(state, viewer, endpoint.document, _event(event))
        reason = _closing(rendered, settings)
    if reason is not None:
        async with sessionmaker() as session:
            await outcomes.close(session, delivery_id, *reason)
            await session.commit()
        return None
    assert rendered is not None
    return attempt, endpoint.url, secrets_in_use, rendered


def _event(row: DomainEvent) -> Event:
    return from_row({column.key: getattr(row, column.key) for column in DomainEvent.__table__.columns})


def _unsendable(app_reads: bool, event_kept: bool) -> tuple[WebhookDeliveryStatus, str] | None:
    if not app_reads:  # disabled, no role left in its ceiling, or no `read` scope: it gets nothing more
        return S.DROPPED, "APP_DISABLED"
    if not event_kept:  # purged by retention before it could be sent
        return S.DROPPED, "EVENT_EXPIRED"
    return None


def _closing(rendered: payload.Rendered, settings: Settings) -> tuple[WebhookDeliveryStatus, str] | None:
    """How a delivery ends without being sent, if it does."""
    if rendered.skip:
        return S.NOT_VISIBLE, "NOT_VISIBLE"
    if rendered.drop is not None:
        return S.DROPPED, rendered.drop
    if rendered.body is not None and len(rendered.body) > settings.webhooks_max_body_bytes:
        return S.FAILED, "PAYLOAD_TOO_LARGE"
    return None


async def _secrets(session: AsyncSession, sealer: Sealer, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
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
    return opened


class Worker:
    """Runs :func:`run_pass` in the background: woken by the EventHub's events and by a timer."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, hub: EventHub | None
    ) -> None:
        self._sessionmaker, self._sealer, self._settings, self._hub = sessionmaker, sealer, settings, hub
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the rounds (and the listener on the hub)."""
        self._tasks.append(asyncio.create_task(self._rounds(), name="webhook-worker"))
        if self._hub is not None:
            self._tasks.append(asyncio.create_task(self._listen(self._hub), name="webhook-wake"))

    async def stop(self) -> None:
        """Stop; an attempt cut short is due again when its lease ends."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _rounds(self) -> None:
        while True:
            self._wake.clear()
            try:
                await run_pass(self._sessionmaker, self._sealer, self._settings)
            except Exception as error:  # e.g. the database is unreachable: next round
                logger.error("webhook round failed: %s", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.webhooks_interval_s)

    async def _listen(self, hub: EventHub) -> None:
        while True:
            try:
                async with hub.subscribe() as subscription:
                    async for _event in subscription:
                        self._wake.set()
            except SubscriberDropped:
                self._wake.set()
            await asyncio.sleep(0.1)
