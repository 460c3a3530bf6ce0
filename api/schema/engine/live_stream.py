"""One subscription of a connection: catch-up from the outbox, then live events, in order, each authorized.

A subscription is either *live* or *catching up*. A live one receives its events from the server's fan-out
(:meth:`api.schema.engine.live_server.LiveServer.route`): every live subscription sharing a credential and a
document is one group, rendered once per event and written to each connection's outbox in event order. A
subscription catching up (one started with ``after``, or one whose feed fell behind) reads the events after
its position from the table, delivering each through the same shared render, while the live events that
arrive meanwhile wait in its own queue; when the table and the queue are drained it turns live, with no
event missed, none twice and none out of order. Every event is authorized for the viewer as it is at
delivery (:meth:`LiveServer.delivered`: the credential authenticated again, then
:func:`api.schema.engine.live.render_in`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import TYPE_CHECKING

import orjson

from api.events.event import Event, from_row
from api.events.horizon import Horizon
from api.observability import metrics
from api.schema.engine.live import LiveOperation
from api.services.shared import events

if TYPE_CHECKING:
    from api.schema.engine.live_socket import LiveConnection

logger = logging.getLogger("api.live")
QUEUE = 1_000  # live events waiting for a subscription that catches up; beyond, it starts over from the table
BATCH = 500


class LiveSubscription:
    """A running subscription: its operation, whether it is live, its position, its catch-up."""

    def __init__(self, connection: LiveConnection, op_id: str, operation: LiveOperation) -> None:
        self.connection, self.op_id, self.operation = connection, op_id, operation
        self.server = connection.server
        # the start of its `next` messages, written once: a delivery adds the payload (shared by the group) and "}"
        self.prefix = '{"id":' + orjson.dumps(op_id).decode() + ',"type":"next","payload":'
        self.group = (connection.credential, operation.key)  # who renders alike: same credential, same document
        self.live = False
        self.generation = 0  # bumped when it starts over from the table: a fan-out begun before then skips it
        self.position: Horizon | None = operation.start  # the horizon after the last event delivered to it
        self.caught_up: Horizon | None = None  # what its last catch-up read from the table (not to be sent again)
        self._queue: collections.deque[tuple[Event, Horizon, str]] = collections.deque()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Register; live at once, or after catching up from ``after`` (the cursor the client sent)."""
        self.server.subscriptions.add(self)
        metrics.subscription_opened()
        if self.operation.start is None:
            self.position, self.live = self.server.horizon, True
        else:
            self._task = asyncio.create_task(self._catch_up_then_live(self.operation.start), name="live-catch-up")

    def stop(self) -> None:
        """Stop delivering (the client completed it, or the connection closed)."""
        if self in self.server.subscriptions:
            metrics.subscription_closed()
        self.server.subscriptions.discard(self)
        self.live = False
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    def offer(self, event: Event, horizon: Horizon, cursor: str) -> None:
        """A live event while catching up (kept until the table is read); too many start the catch-up over."""
        if len(self._queue) >= QUEUE:
            self.resync()
        else:
            self._queue.append((event, horizon, cursor))

    def resync(self) -> None:
        """Start over from the table at its position (live events were lost to it)."""
        if self.position is None or self.connection.closed or self not in self.server.subscriptions:
            return
        self.live = False
        self.generation += 1
        self._queue.clear()
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._catch_up_then_live(self.position), name="live-catch-up")

    def delivered(self, text: str | None, horizon: Horizon) -> bool:
        """Write one rendered payload (None: withheld from this viewer) and move past the event; False when the
        connection's outbox refused it (too far behind: the connection closes)."""
        self.position = horizon
        return text is None or self.connection.push(self.prefix + text + "}")

    async def _catch_up_then_live(self, start: Horizon) -> None:
        try:
            horizon = self.caught_up = await self._catch_up(start)
            while self._queue:  # the live events that came meanwhile, without those the table already gave
                event, after, cursor = self._queue.popleft()
                if not horizon.seen(event.id):
                    await self._deliver(event, cursor)
                self.position = after
            self.live = (
                True  # nothing awaited since the queue was found empty: the next event comes through the fan-out
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the client reconnects and resumes from its last cursor: nothing is lost
            logger.warning("live delivery failed: %s", type(error).__name__)
            await self.connection.close(1011, "Delivery failed: reconnect and resume")

    async def _catch_up(self, start: Horizon) -> Horizon:
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
                self.position = horizon
            if len(rows) < BATCH:
                return horizon

    async def _deliver(self, event: Event, cursor: str) -> None:
        """Authorize (the credential and the viewer's ties as they are now), render and write, one event."""
        connection = self.connection
        viewer, body = await self.server.delivered(connection.authorization, self.operation, event, cursor)
        if not await connection.still(viewer) or body is None:
            metrics.event_delivered("subscription", "withheld")
            return
        connection.push(self.prefix + orjson.dumps(body).decode() + "}")
        metrics.event_delivered("subscription")


_COLUMNS = (
    "id", "occurred_at", "kind", "record_type", "record_id", "organization_ids", "region_id", "actor_member_id",
    "actor_client_id",
)  # fmt: skip
