"""The delivery worker, inside every instance: fan out new events, claim due deliveries, send them.

A round (:func:`run_pass`) fans the outbox out (:mod:`api.webhooks.fanout`), then claims due deliveries in
batches (:mod:`api.webhooks.claims`: one ``FOR UPDATE SKIP LOCKED`` statement pushes a batch a lease ahead, so
that instances claiming at the same time take different rows and a claimed delivery is not claimed again while
it is being sent; after a crash it is due again when the lease ends: at least once). The batch's attempts run at
once, at most ``webhooks_concurrency`` renders or requests at a time and ``webhooks_per_host_connections``
requests per receiver: each is rendered under the app's rights of that moment (:mod:`api.webhooks.payload`; each
app authenticated and its facts loaded once per batch, :mod:`api.webhooks.apps`), signed and sent on the worker's
kept-alive connections (:mod:`api.webhooks.sender`, :mod:`api.webhooks.connections`); then the batch's outcomes are
recorded together (:mod:`api.webhooks.outcomes`).
Every attempt of a delivery carries the same ``webhook-id``.

:class:`Worker` runs rounds in the background: when the instance's EventHub hands on an event, and every
``webhooks_interval_s`` seconds (retries fall due without any event).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.events.hub import EventHub, SubscriberDropped
from api.models.enums import WebhookDeliveryStatus
from api.settings import Settings
from api.webhooks import outcomes, payload, signing
from api.webhooks.claims import Claimed, claim
from api.webhooks.connections import Connections, Origin, origin_of
from api.webhooks.fanout import fan_out
from api.webhooks.outcomes import Closing
from api.webhooks.sender import Outcome, send

logger = logging.getLogger("api.webhooks")
S = WebhookDeliveryStatus
MAX_ROUNDS = 20  # claims per pass, at most: a pass ends even when deliveries keep falling due


@dataclass
class Pass:
    """What one round did."""

    created: int = 0
    attempted: int = 0


def lease(settings: Settings) -> timedelta:
    """How long a claimed batch is kept from other instances: every attempt of a batch, in waves as wide as the
    bounds allow (all to one host at worst), each within the request timeout, plus a margin for the rest."""
    waves = math.ceil(
        settings.webhooks_batch / min(settings.webhooks_concurrency, settings.webhooks_per_host_connections)
    )
    return timedelta(seconds=settings.webhooks_timeout_s * waves + 30)


@dataclass(frozen=True)
class _Round:
    """What the attempts of one pass share."""

    state: payload.RenderState
    settings: Settings
    connections: Connections
    gate: asyncio.Semaphore  # at most webhooks_concurrency renders or requests at once


async def run_pass(
    sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, now: datetime | None = None,
    connections: Connections | None = None, rounds: int = MAX_ROUNDS,
) -> Pass:  # fmt: skip
    """One round: fan out, then claim batches and send them until nothing is due (at most ``rounds`` claims), on
    ``connections`` (a worker's, kept alive between rounds; by default the pass's own)."""
    moment = now or datetime.now(UTC)
    done = Pass()
    async with sessionmaker() as session:
        done.created = await fan_out(session)
        await session.commit()
    own = connections is None
    shared = _Round(
        payload.RenderState(sessionmaker, sealer, settings), settings,
        Connections(settings) if connections is None else connections, asyncio.Semaphore(settings.webhooks_concurrency),
    )  # fmt: skip
    try:
        for _ in range(rounds):
            async with sessionmaker() as session:
                batch = await claim(session, sealer, moment, settings.webhooks_batch, lease(settings))
                await session.commit()
            if batch:
                await _deliver(sessionmaker, shared, batch, moment)
            done.attempted += len(batch)
            if len(batch) < settings.webhooks_batch:
                break
        await shared.connections.sweep()
    finally:
        if own:
            await shared.connections.aclose()
    return done


async def _deliver(
    sessionmaker: async_sessionmaker[AsyncSession], shared: _Round, batch: list[Claimed], now: datetime
) -> None:
    """Attempt a claimed batch at once (within the bounds), then record every outcome together."""
    results = await asyncio.gather(*(_attempt(shared, item) for item in batch))
    sent = [(item.attempt, result) for item, result in zip(batch, results, strict=True) if isinstance(result, Outcome)]
    closed = [result for result in results if isinstance(result, Closing)]
    async with sessionmaker() as session:
        await outcomes.settle(session, sent, closed, now, shared.settings)
        await session.commit()


async def _attempt(shared: _Round, item: Claimed) -> Outcome | Closing | None:
    """Render, sign and send one claimed delivery: its outcome, how it closed unsent, or None when it broke (it is
    due again when its lease ends)."""
    try:
        async with shared.gate:
            prepared = await _prepare(shared, item)
        if not isinstance(prepared, bytes):
            return prepared
        url = item.endpoint.url
        async with shared.connections.slot(_origin(url)), shared.gate:  # wait for the host without holding the gate
            delivery = signing.webhook_id(item.attempt.delivery_id)  # signed now: the timestamp is the sending's
            headers = signing.headers(item.secrets, delivery, int(time.time()), prepared)
            return await send(url, headers, prepared, shared.settings, shared.connections)
    except Exception as error:  # one delivery never stops the others
        logger.error("webhook delivery failed: %s", type(error).__name__)
        return None


async def _prepare(shared: _Round, item: Claimed) -> bytes | Closing | Outcome:
    """The body to send; or how the delivery ends unsent (the app may not see it, or may see nothing any more); or
    a failed attempt (rendering failed this time)."""
    app, event = item.app, item.event
    reason = _unsendable(app is not None and "read" in app.viewer.scopes, event is not None)
    rendered = None
    if reason is None:
        assert app is not None
        assert event is not None
        rendered = await payload.render(shared.state, app, item.endpoint.document, event)
        reason = _closing(rendered, shared.settings)
    if reason is not None:
        return Closing(item.attempt.delivery_id, *reason)
    assert rendered is not None
    return rendered.body if rendered.body is not None else Outcome(None, rendered.retry or "RENDER_ERROR")


def _origin(url: str) -> Origin:
    try:
        return origin_of(httpx.URL(url))
    except (httpx.InvalidURL, ValueError):
        return "", "", 0  # the request fails as PROTOCOL


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


class Worker:
    """Runs :func:`run_pass` in the background: woken by the EventHub's events and by a timer."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, hub: EventHub | None
    ) -> None:
        self._sessionmaker, self._sealer, self._settings, self._hub = sessionmaker, sealer, settings, hub
        self._connections = Connections(settings)
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
        await self._connections.aclose()

    async def _rounds(self) -> None:
        while True:
            self._wake.clear()
            try:
                await run_pass(self._sessionmaker, self._sealer, self._settings, connections=self._connections)
            except Exception as error:  # e.g. the database is unreachable: next round
                logger.error("webhook round failed: %s", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._settings.webhooks_interval_s)
                await asyncio.sleep(self._settings.webhooks_settle_s)  # woken by an event: let its burst settle

    async def _listen(self, hub: EventHub) -> None:
        while True:
            try:
                async with hub.subscribe() as subscription:
                    async for _event in subscription:
                        self._wake.set()
            except SubscriberDropped:
                self._wake.set()
            await asyncio.sleep(0.1)
