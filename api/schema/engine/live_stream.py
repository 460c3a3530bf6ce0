"""One subscription of a connection: catch-up from the outbox, then live events, in order, each authorized.

A subscription with ``after`` first reads the events after that cursor from the table (registered for live
events before it reads, so nothing falls between), then delivers the live events it has not seen. The
same path resumes a subscription whose queue overflowed. Every event is authorized for the viewer as it is
at delivery (:meth:`LiveServer.delivered`: the credential authenticated again, then
:func:`api.schema.engine.live.render_in`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from api.events.event import Event, from_row
from api.events.horizon import Horizon
from api.observability import metrics
from api.schema.engine.live import LiveOperation
from api.services.shared import events

if TYPE_CHECKING:
    from api.schema.engine.live_socket import LiveConnection

logger = logging.getLogger("api.live")
QUEUE = 1_000  # live events waiting for one subscription; beyond, it catches up from the table
BATCH = 500
_RESYNC = object()


class LiveSubscription:
    """A running subscription: its operation, its queue of live events, its position."""

    def __init__(self, connection: LiveConnection, op_id: str, operation: LiveOperation) -> None:
        self.connection, self.op_id, self.operation = connection, op_id, operation
        self.server = connection.server
        self._queue: asyncio.Queue[tuple[Event, Horizon, str] | object] = asyncio.Queue(QUEUE)
        self._seen: Horizon | None = None  # what the last catch-up covered
        self.position: Horizon | None = operation.start  # the horizon after the last event considered
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Register for live events, then run (catch-up first when resuming)."""
        self.server.subscriptions.add(self)
        metrics.subscription_opened()
        self.position = self.position or self.server.horizon
        self._task = asyncio.create_task(self._run(), name="live-subscription")

    def stop(self) -> None:
        """Stop delivering (the client completed it, or the connection closed)."""
        if self in self.server.subscriptions:
            metrics.subscription_closed()
        self.server.subscriptions.discard(self)
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    def offer(self, event: Event, horizon: Horizon, cursor: str) -> None:
        """A live event, with the cursor after it; a full queue turns into a catch-up from the table."""
        try:
            self._queue.put_nowait((event, horizon, cursor))
        except asyncio.QueueFull:
            self.resync()

    def resync(self) -> None:
        """Catch up from the table at the next turn (live events were lost to this subscription)."""
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_RESYNC)

    async def _run(self) -> None:
        try:
            if self.operation.start is not None:
                await self._catch_up(self.operation.start)
            while not self.connection.closed:
                item = await self._queue.get()
                if item is _RESYNC:
                    if self.position is not None:
                        await self._catch_up(self.position)
                    continue
                assert isinstance(item, tuple)
                event, horizon, cursor = item
                fresh = self._seen is None or not self._seen.seen(event.id)
                if fresh and event.kind in self.operation.spec.kinds:
                    await self._deliver(event, cursor)
                self.position = horizon
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the client reconnects and resumes from its last cursor: nothing is lost
            logger.warning("live delivery failed: %s", type(error).__name__)
            await self.connection.close(1011, "Delivery failed: reconnect and resume")

    async def _catch_up(self, start: Horizon) -> None:
        horizon = start
        while True:
            async with self.server.state.sessionmaker() as session:
                rows = await events.after(session, horizon.last, also=horizon.gaps, limit=BATCH)
            for row in rows:
                if horizon.seen(row.id):
                    continue
                horizon = horizon.past(row.id)
                event = from_row({c: getattr(row, c) for c in _COLUMNS})
                if event.kind in self.operation.spec.kinds:
                    await self._deliver(event, horizon.cursor())
            if len(rows) < BATCH:
                break
        self._seen = self.position = horizon

    async def _deliver(self, event: Event, cursor: str) -> None:
        """Authorize (the credential and the viewer's ties as they are now) and render; send unless not for it."""
        connection = self.connection
        viewer, body = await self.server.delivered(connection.authorization, self.operation, event, cursor)
        if not await connection.still(viewer) or body is None:
            metrics.event_delivered("subscription", "withheld")
            return
        with contextlib.suppress(Exception):
            await connection.send({"id": self.op_id, "type": "next", "payload": body})
            metrics.event_delivered("subscription")


_COLUMNS = (
    "id", "occurred_at", "kind", "record_type", "record_id", "organization_ids", "region_id", "actor_member_id",
    "actor_client_id",
)  # fmt: skip
