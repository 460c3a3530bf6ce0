"""One hub per instance: it LISTENs for new events and hands them to in-process subscribers.

The outbox (``domain_event``) is the source of truth; a notification only says "there is something
after the id you have". The hub holds a dedicated asyncpg connection (never one of the pool's request
connections) that LISTENs on ``sanctuary_events``; on each notification, on (re)connection and every
``poll_s`` seconds as a safety net, it reads the events after the last id it has seen and hands them to
every subscriber. A missed notification is thus caught up at the next one (or at the next poll).

Ids are allocated at insert but become visible at commit, so a transaction that took an id earlier may
commit after a later one was read: its own notification then names an id at or below the last one
seen, and the hub reads that id explicitly (unless it already delivered it). Delivery is in commit
order, at least once within an instance; a consumer that resumes from an id dedupes by id.

Each subscriber is an async iterator over a bounded queue; one whose queue is full is dropped (its
iterator raises :class:`SubscriberDropped`) rather than slowing the others; it may resume with
:func:`api.services.shared.events.after` from the last id it handled.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from types import TracebackType

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import URL

from api.events.event import Event, from_row
from api.events.horizon import WINDOW, Horizon
from api.models.events import CHANNEL

logger = logging.getLogger("api.events")

_READ = (
    "SELECT id, occurred_at, kind, record_type, record_id, organization_ids, region_id, actor_member_id,"
    " actor_client_id FROM domain_event WHERE id > $1 OR id = ANY($2::bigint[]) ORDER BY id LIMIT $3"
)
_LAST = "SELECT coalesce(max(id), 0) FROM domain_event"
_PRESENT = "SELECT id FROM domain_event WHERE id > $1 AND id <= $2"
_CLOSED = object()
RECENT = 10_000  # how many delivered ids the hub remembers, to recognise a late notification already handled


class SubscriberDropped(Exception):
    """The subscriber fell behind (its queue was full) and was dropped: resume from the table."""


class Subscription:
    """New events, in the order the hub reads them, as an async iterator; ``close()`` (or ``async with``) ends it."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[object] = asyncio.Queue(maxsize)
        self.dropped = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is _CLOSED:
            self._queue.put_nowait(_CLOSED)  # ended for good: every later call ends too
            if self.dropped:
                raise SubscriberDropped
            raise StopAsyncIteration
        assert isinstance(item, Event)
        return item

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def offer(self, event: Event) -> bool:
        """Queue ``event``; False (and the subscription ends as dropped) when the queue is full."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self._end()
            return False
        return True

    def close(self) -> None:
        """Stop receiving events; the iterator ends after those already queued."""
        self._hub.unsubscribe(self)
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_CLOSED)

    def _end(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)


class EventHub:
    """Listens on a dedicated connection, reads new events from the outbox, fans them out to subscribers."""

    def __init__(
        self,
        url: URL,
        *,
        queue_size: int = 256,
        poll_s: float = 30.0,
        reconnect_s: float = 1.0,
        batch: int = 500,
        connect_timeout_s: float = 10.0,
    ) -> None:
        # the engine's own translation of its URL (host, port, user, password, database, ``ssl`` and the other
        # query parameters), so the listener connects exactly like the pool does, TLS included
        _, self._connect_args = asyncpg_dialect().create_connect_args(  # type: ignore[no-untyped-call]
            url.set(drivername="postgresql+asyncpg")
        )
        self._connect_args["timeout"] = connect_timeout_s
        self._queue_size, self._poll_s, self._reconnect_s, self._batch = queue_size, poll_s, reconnect_s, batch
        self._subscribers: set[Subscription] = set()
        self._wake = asyncio.Event()
        self._late: set[int] = set()  # notified ids at or below last_id (committed late)
        self._recent: collections.deque[int] = collections.deque()  # ids handed on lately, oldest first
        self._seen: set[int] = set()  # the same ids, for lookups
        self._task: asyncio.Task[None] | None = None
        self.last_id: int | None = None  # None until the hub first connects
        self.horizon = Horizon(0)  # what the hub has handed on: the cursor of the last event (api/events/horizon.py)
        self.connected = asyncio.Event()

    async def start(self, last_id: int | None = None) -> None:
        """Start listening; events after ``last_id`` (default: the newest event when it connects) are handed on."""
        self.last_id = last_id
        self.horizon = Horizon(last_id or 0)
        self._task = asyncio.create_task(self._run(), name="event-hub")

    async def stop(self) -> None:
        """Stop listening and end every subscription."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for subscription in list(self._subscribers):
            subscription.close()

    def subscribe(self) -> Subscription:
        """A new subscriber: the events the hub reads from now on."""
        subscription = Subscription(self, self._queue_size)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscriber (closing it does this)."""
        self._subscribers.discard(subscription)

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except Exception as error:  # never stops the service: it reconnects, and catches up from the table
                logger.warning("event listener disconnected: %s", type(error).__name__)
            self.connected.clear()
            await asyncio.sleep(self._reconnect_s)

    async def _listen(self) -> None:
        connection = await asyncpg.connect(**self._connect_args)
        try:
            await connection.add_listener(CHANNEL, self._notified)
            connection.add_termination_listener(lambda _: self._wake.set())
            if self.last_id is None:
                self.last_id = int(await connection.fetchval(_LAST))
                present = {row["id"] for row in await connection.fetch(_PRESENT, self.last_id - WINDOW, self.last_id)}
                gaps = (i for i in range(max(1, self.last_id - WINDOW + 1), self.last_id) if i not in present)
                self.horizon = Horizon(self.last_id, tuple(gaps)).past(self.last_id)
            self.connected.set()
            while not connection.is_closed():
                self._wake.clear()
                await self._drain(connection)  # at (re)connection, then after each wake-up
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_s)
            raise asyncpg.InterfaceError("listener connection closed")
        finally:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)

    def _notified(self, connection: object, pid: int, channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            event_id = int(payload)
            if self.last_id is not None and event_id <= self.last_id and event_id not in self._seen:
                self._late.add(event_id)
        self._wake.set()

    async def _drain(self, connection: asyncpg.Connection) -> None:
        """Hand on every event after the last id (and any late one), a batch at a time."""
        while True:
            late, self._late = self._late, set()
            assert self.last_id is not None
            rows = await connection.fetch(_READ, self.last_id, list(late), self._batch)
            for event in [from_row(row) for row in rows if row["id"] not in self._seen]:
                self._remember(event.id)
                self.horizon = self.horizon.past(event.id)
                self._fan_out(event)
            self.last_id = max([self.last_id, *(row["id"] for row in rows)])
            if len(rows) < self._batch:
                return

    def _remember(self, event_id: int) -> None:
        self._recent.append(event_id)
        self._seen.add(event_id)
        if len(self._recent) > RECENT:
            self._seen.discard(self._recent.popleft())

    def _fan_out(self, event: Event) -> None:
        for subscription in list(self._subscribers):
            if not subscription.offer(event):
                self._subscribers.discard(subscription)
                logger.warning("event subscriber dropped: it fell behind")
