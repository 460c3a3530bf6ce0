"""The instance's live subscriptions: fed from the event hub, re-authorized and rendered once per viewer.

One task reads the hub (:class:`api.events.hub.EventHub`) and offers each event, with its cursor, to every
open subscription interested in its kind. Each subscription delivers in order from its own queue
(:mod:`api.schema.engine.live_socket`). What is the same for several subscribers of one event is done once:
a credential is authenticated again once per event (all connections holding it share the answer), and a
document is rendered once per (viewer as re-read, document, variables) and event; renders run at most
``concurrency`` at a time (each holds a pooled connection). The counts of connections per member and per
app are this instance's (see README, "Subscriptions").
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from api.auth.authenticate import AuthenticationError, authenticate
from api.auth.viewer import ANONYMOUS, Viewer
from api.events.event import Event
from api.events.horizon import Horizon
from api.events.hub import EventHub, SubscriberDropped
from api.schema.engine.live import AppState, LiveOperation, render

if TYPE_CHECKING:
    from api.schema.engine.live_socket import LiveConnection
    from api.schema.engine.live_stream import LiveSubscription

logger = logging.getLogger("api.live")
KEPT_EVENTS = 256  # events whose shared results are remembered (a subscription still catching up may ask again)
EXPIRED, REVOKED = 4401, 4403  # close codes: credential expired or invalid / revoked, forbidden


class LiveServer:
    """Open connections and subscriptions of this instance, and the task feeding them from the hub."""

    def __init__(self, state: AppState, hub: EventHub, *, concurrency: int = 8) -> None:
        self.state, self.hub = state, hub
        self.connections: set[LiveConnection] = set()
        self.subscriptions: set[LiveSubscription] = set()
        self.closing = False
        self.horizon = Horizon(0)  # the cursor after the last event fed (where a new subscription starts)
        self._renders = asyncio.Semaphore(concurrency)
        self._shared: collections.OrderedDict[object, dict[object, asyncio.Future[Any]]] = collections.OrderedDict()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start feeding subscriptions from the hub."""
        self._task = asyncio.create_task(self._feed(), name="live-feed")

    async def stop(self, code: int = 1012, reason: str = "The service is restarting: reconnect.") -> None:
        """Close every connection (1012: clients reconnect and resume) and stop feeding."""
        self.closing = True
        await asyncio.gather(*(c.close(code, reason) for c in list(self.connections)), return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def admits(self, viewer: Viewer) -> bool:
        """Whether one more connection of this viewer's member and app stays within this instance's limits."""
        settings = self.state.settings
        members = sum(1 for c in self.connections if viewer.member_id and c.viewer.member_id == viewer.member_id)
        apps = sum(1 for c in self.connections if viewer.client_id and c.viewer.client_id == viewer.client_id)
        if viewer.member_id is not None and members >= settings.live_max_connections_per_member:
            return False
        return not (viewer.client_id is not None and apps >= settings.live_max_connections_per_app)

    async def _feed(self) -> None:
        await self.hub.connected.wait()
        while True:
            horizon, feed = self.hub.horizon, self.hub.subscribe()  # together: the horizon of what comes next
            self.horizon = horizon
            try:
                async for event in feed:
                    horizon = self.horizon = horizon.past(event.id)
                    cursor = horizon.cursor()
                    for subscription in list(self.subscriptions):
                        subscription.offer(event, horizon, cursor)
            except SubscriberDropped:  # this task fell behind: every subscription catches up from the table
                logger.warning("live feed fell behind the hub; subscriptions catch up from the table")
                for subscription in list(self.subscriptions):
                    subscription.resync()

    async def viewer(self, authorization: str | None, moment: object) -> Viewer | int:
        """The viewer ``authorization`` stands for now (once per ``moment``: an event, or a re-check period), or the
        close code when it no longer stands for anyone."""
        if authorization is None:
            return ANONYMOUS
        key = ("viewer", hashlib.sha256(authorization.encode()).hexdigest())
        viewer: Viewer | int = await self._once(moment, key, lambda: self._authenticate(authorization))
        return viewer

    async def _authenticate(self, authorization: str) -> Viewer | int:
        state: Any = self.state
        async with self._renders, state.sessionmaker() as session:
            try:
                return await authenticate(
                    session, authorization, keys=state.signing_keys, settings=state.settings,
                    external=state.external_issuers,
                )  # fmt: skip
            except AuthenticationError:
                return REVOKED

    async def rendered(self, viewer: Viewer, operation: LiveOperation, event: Event, cursor: str) -> Any:
        """The body ``operation`` delivers for ``event`` to ``viewer`` (None: not for it), rendered once for all
        subscriptions sharing the viewer, document, variables and cursor."""
        key = ("render", viewer, operation.key, cursor)
        return await self._once(event.id, key, lambda: self._render(viewer, operation, event, cursor))

    async def _render(self, viewer: Viewer, operation: LiveOperation, event: Event, cursor: str) -> Any:
        async with self._renders:
            return await render(self.state, viewer, operation, event, cursor)

    async def _once(self, moment: object, key: object, make: Callable[[], Awaitable[Any]]) -> Any:
        shared = self._shared.get(moment)
        if shared is None:
            shared = self._shared[moment] = {}
            while len(self._shared) > KEPT_EVENTS:
                self._shared.popitem(last=False)
        future = shared.get(key)
        if future is None:
            future = shared[key] = asyncio.ensure_future(make())
        return await asyncio.shield(future)


def expired(expires_at: datetime | None) -> bool:
    """Whether a credential's expiry has passed."""
    return expires_at is not None and datetime.now(UTC) >= expires_at
