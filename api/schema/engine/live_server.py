"""The instance's live subscriptions: fed from the event hub, re-authorized and rendered once per group.

One task reads the hub (:class:`api.events.hub.EventHub`) and routes each event (:meth:`LiveServer.route`): the
live subscriptions it may concern are grouped by credential and document, and each group gets one delivery
task. What is the same for several subscribers of one event is done once: every credential of the event is
authenticated again in one session (personal tokens in one statement); one session per (credential, document
and variables, cursor) renders the document for the viewer the credential stands for now, and a public
subscription (``broadcastAlerts``) is rendered once per document for everyone, as for an anonymous caller.
The group's answer, serialized once, is queued on each connection's outbox, after the group's previous event
(renders run concurrently; each subscription still gets its events in order); each connection writes its own
outbox, so a slow client holds up no one else (:mod:`api.schema.engine.live_socket`). Subscriptions catching
up from the table keep their own queue (:mod:`api.schema.engine.live_stream`). Renders run at most half of
``SANCTUARY_DB_POOL_SIZE`` at a time (each holds a pooled connection; requests keep the other half). Another
task re-checks the credentials of all open connections every ``live_recheck_s``. The connections per member
and per app are counted across every instance (:mod:`api.ratelimit.connections`, ``self.limits``).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.authenticate import AuthenticationError, authenticate, authenticate_many
from api.auth.viewer import ANONYMOUS, Viewer
from api.events.event import Event
from api.events.horizon import Horizon
from api.events.hub import EventHub, SubscriberDropped
from api.models.enums import EventKind
from api.observability import metrics
from api.ratelimit.connections import ConnectionLimits
from api.schema.engine.audience import Audience
from api.schema.engine.live import AppState, LiveOperation, concerns, reading, render_in, rendering

if TYPE_CHECKING:
    from api.schema.engine.live_socket import LiveConnection
    from api.schema.engine.live_stream import LiveSubscription

logger = logging.getLogger("api.live")
KEPT_EVENTS = 256  # events whose shared results are remembered (a subscription still catching up may ask again)
_VIEWERS = "viewers"  # the key of an event's credentials, authenticated together
EXPIRED, REVOKED = 4401, 4403  # close codes: credential expired or invalid / revoked, forbidden
FAILED = 1011  # close code: a delivery failed (the client reconnects and resumes)


class LiveServer:
    """Open connections and subscriptions of this instance, and the task feeding them from the hub."""

    def __init__(self, state: AppState, hub: EventHub, *, concurrency: int | None = None) -> None:
        self.state, self.hub = state, hub
        self.connections: set[LiveConnection] = set()
        self.subscriptions: set[LiveSubscription] = set()
        self.closing = False
        self.horizon = Horizon(0)  # the cursor after the last event fed (where a new subscription starts)
        # renders hold pooled connections: at most half the pool, the rest stays free for requests
        self._renders = asyncio.Semaphore(concurrency or max(1, state.settings.db_pool_size // 2))
        self._shared: collections.OrderedDict[object, dict[object, asyncio.Future[Any]]] = collections.OrderedDict()
        self._tails: dict[tuple[str | None, str], asyncio.Future[None]] = {}  # each group's last delivery
        self._task: asyncio.Task[None] | None = None
        self._rechecks: asyncio.Task[None] | None = None
        self.limits = ConnectionLimits(state.sessionmaker, state.sealer, state.settings)  # connections per member, app

    def start(self) -> None:
        """Start feeding subscriptions from the hub, re-checking the connections' credentials, and the heartbeat
        of the connections' slots."""
        self._task = asyncio.create_task(self._feed(), name="live-feed")
        self._rechecks = asyncio.create_task(self._recheck_periodically(), name="live-recheck")
        self.limits.start()

    async def stop(self, code: int = 1012, reason: str = "The service is restarting: reconnect.") -> None:
        """Close every connection (1012: clients reconnect and resume) and stop feeding."""
        self.closing = True
        await asyncio.gather(*(c.close(code, reason) for c in list(self.connections)), return_exceptions=True)
        for task in (self._task, self._rechecks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.limits.stop()  # this instance's slots given back at once

    async def _feed(self) -> None:
        await self.hub.connected.wait()
        while True:
            horizon, feed = self.hub.horizon, self.hub.subscribe()  # together: the horizon of what comes next
            self.horizon = horizon
            try:
                async for event in feed:
                    horizon = self.horizon = horizon.past(event.id)
                    self.route(event, horizon)
                    if event.kind is EventKind.MEMBER_DEACTIVATED:  # no need to wait for the next re-check
                        await self._disconnect(event.record_id)
            except SubscriberDropped:  # this task fell behind: every subscription catches up from the table
                logger.warning("live feed fell behind the hub; subscriptions catch up from the table")
                for subscription in list(self.subscriptions):
                    subscription.resync()

    def route(self, event: Event, horizon: Horizon) -> None:
        """Hand one event on: to each subscription still catching up, its queue; the live ones, grouped by
        credential and document, to one delivery per group (rendered once, written in event order)."""
        cursor = horizon.cursor()
        groups: dict[tuple[str | None, str], list[tuple[LiveSubscription, int]]] = {}
        for subscription in self.subscriptions:
            if event.kind not in subscription.operation.spec.kinds:
                continue
            if not subscription.live:
                subscription.offer(event, horizon, cursor)
            elif subscription.caught_up is None or not subscription.caught_up.seen(event.id):
                groups.setdefault(subscription.group, []).append((subscription, subscription.generation))
        if not groups:
            return
        held = {a for members in groups.values() if (a := members[0][0].connection.authorization) is not None}
        if held:  # every credential of the event in one session (personal tokens in one statement)
            self._shared.setdefault(event.id, {})[_VIEWERS] = asyncio.ensure_future(self._authenticate_all(held))
            self._forget()
        for group, members in groups.items():
            previous = self._tails.get(group)
            task = asyncio.ensure_future(self._deliver_group(members, event, horizon, cursor, previous))
            self._tails[group] = task
            task.add_done_callback(functools.partial(self._untail, group))

    def _untail(self, group: tuple[str | None, str], task: asyncio.Future[None]) -> None:
        if self._tails.get(group) is task:
            del self._tails[group]

    async def _deliver_group(
        self,
        members: list[tuple[LiveSubscription, int]],
        event: Event,
        horizon: Horizon,
        cursor: str,
        previous: asyncio.Future[None] | None,
    ) -> None:
        """Render ``event`` once for a group and write it to each member's connection, after the group's previous
        event (renders run concurrently; writes keep each subscription's order)."""
        first = members[0][0]
        try:
            viewer, body = await self.delivered(first.connection.authorization, first.operation, event, cursor)
        except Exception as error:  # its clients reconnect and resume from their last cursor: nothing is lost
            logger.warning("live delivery failed: %s", type(error).__name__)
            viewer, body = FAILED, None
        if previous is not None and not previous.done():
            await asyncio.wait((previous,))
        if viewer == FAILED:
            await asyncio.gather(
                *(s.connection.close(FAILED, "Delivery failed: reconnect and resume") for s, _ in members)
            )
            return
        audience = None if isinstance(viewer, int) else Audience.of(viewer)
        text = None if body is None else orjson.dumps(body).decode()
        sent = withheld = 0
        for subscription, generation in members:
            connection = subscription.connection
            if not subscription.live or subscription.generation != generation or connection.closed:
                continue  # it started over from the table (which has this event), or it is gone
            if isinstance(viewer, int) or audience != connection.audience:
                await connection.still(viewer)  # closes it: expired, revoked, roles changed, or delivery failed
                continue
            connection.viewer = viewer  # as authenticated for this event (the re-check's job, done on the way)
            if subscription.delivered(text, horizon):
                sent, withheld = sent + (text is not None), withheld + (text is None)
        metrics.event_delivered("subscription", count=sent)
        metrics.event_delivered("subscription", "withheld", count=withheld)

    async def _recheck_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.state.settings.live_recheck_s)
            try:
                await self.recheck()
            except Exception as error:  # the next period tries again; deliveries check anyway
                logger.warning("live re-check failed: %s", type(error).__name__)

    async def recheck(self) -> None:
        """Authenticate every open connection's credential again (personal tokens in one statement) and close
        those that no longer stand for anyone (4401 expired, 4403 revoked) or whose roles changed (4403)."""
        held = [c for c in self.connections if c.authorization is not None and not c.closed]
        if not held:
            return
        state: Any = self.state
        async with self._renders, state.sessionmaker() as session:
            viewers = await authenticate_many(
                session, {c.authorization for c in held if c.authorization}, keys=state.signing_keys,
                settings=state.settings, external=state.external_issuers,
            )  # fmt: skip
        for connection in held:
            viewer = viewers.get(connection.authorization or "")
            await connection.still(REVOKED if viewer is None else viewer)

    async def _disconnect(self, member_id: uuid.UUID) -> None:
        gone = [c for c in self.connections if c.viewer.member_id == member_id]
        await asyncio.gather(*(c.close(REVOKED, "Forbidden: member deactivated") for c in gone))

    async def _authenticated(self, session: AsyncSession, authorization: str | None) -> Viewer | int:
        if authorization is None:
            return ANONYMOUS
        state: Any = self.state
        try:
            return await authenticate(
                session, authorization, keys=state.signing_keys, settings=state.settings,
                external=state.external_issuers,
            )  # fmt: skip
        except AuthenticationError:
            return REVOKED

    async def delivered(
        self, authorization: str | None, operation: LiveOperation, event: Event, cursor: str
    ) -> tuple[Viewer | int, Any]:
        """The viewer ``authorization`` stands for now (or the close code) and the body ``operation`` delivers it for
        ``event`` (None: not for it): one session, run once for every subscription sharing the credential, the
        document, its variables and the cursor."""
        key = ("deliver", credential_key(authorization), operation.key, cursor)
        return await self._once(event.id, key, lambda: self._deliver(authorization, operation, event, cursor))

    async def _authenticate_all(self, held: set[str]) -> dict[str, Viewer | None]:
        state: Any = self.state
        async with self._renders, state.sessionmaker() as session:
            await reading(session)
            return await authenticate_many(
                session, held, keys=state.signing_keys, settings=state.settings, external=state.external_issuers
            )

    async def _authenticated_for(self, event: Event, authorization: str | None) -> Viewer | int | None:
        """The viewer (or close code) authenticated for this event, when it was (None: it was not)."""
        if authorization is None:
            return ANONYMOUS
        future = self._shared.get(event.id, {}).get(_VIEWERS)
        if future is None:
            return None
        try:
            answers = await asyncio.shield(future)
        except Exception:  # authenticated one by one instead
            return None
        if authorization not in answers:
            return None
        viewer: Viewer | None = answers[authorization]
        return REVOKED if viewer is None else viewer

    async def _deliver(
        self, authorization: str | None, operation: LiveOperation, event: Event, cursor: str
    ) -> tuple[Viewer | int, Any]:
        if operation.spec.public:  # the same payload for every viewer allowed it: rendered once per document,
            # begun while the credentials are authenticated (it does not depend on who is allowed it)
            shared = rendering(operation)
            key = ("public", shared.audience, shared.key, cursor)
            rendered = self._future(event.id, key, lambda: self._render(ANONYMOUS, shared, event, cursor))
            known = await self._authenticated_for(event, authorization)
            viewer = known if known is not None else await self._authenticated_alone(authorization)
            if isinstance(viewer, int) or not concerns(viewer, operation, event):
                return viewer, None
            return viewer, await asyncio.shield(rendered)
        known = await self._authenticated_for(event, authorization)  # before taking a slot: it needs one
        async with self._renders, self.state.sessionmaker() as session:
            await reading(session)
            viewer = known if known is not None else await self._authenticated(session, authorization)
            if isinstance(viewer, int) or not concerns(viewer, operation, event):
                return viewer, None
            return viewer, await render_in(session, self.state, viewer, operation, event, cursor)

    async def _authenticated_alone(self, authorization: str | None) -> Viewer | int:
        if authorization is None:
            return ANONYMOUS
        async with self._renders, self.state.sessionmaker() as session:
            await reading(session)
            return await self._authenticated(session, authorization)

    async def _render(self, viewer: Viewer, operation: LiveOperation, event: Event, cursor: str) -> Any:
        async with self._renders, self.state.sessionmaker() as session:
            await reading(session)
            return await render_in(session, self.state, viewer, operation, event, cursor)

    def _forget(self) -> None:
        while len(self._shared) > KEPT_EVENTS:
            self._shared.popitem(last=False)

    async def _once(self, moment: object, key: object, make: Callable[[], Awaitable[Any]]) -> Any:
        return await asyncio.shield(self._future(moment, key, make))

    def _future(self, moment: object, key: object, make: Callable[[], Awaitable[Any]]) -> asyncio.Future[Any]:
        """The one run of ``make`` for ``key`` at ``moment`` (an event), started by the first to ask."""
        shared = self._shared.get(moment)
        if shared is None:
            shared = self._shared[moment] = {}
            self._forget()
        future = shared.get(key)
        if future is None:
            future = shared[key] = asyncio.ensure_future(make())
            future.add_done_callback(_retrieved)  # a render nobody was allowed to wait for: its error is not news
        return future


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def credential_key(authorization: str | None) -> str | None:
    """What groups a credential's subscriptions (its digest: the credential itself is not kept as a key)."""
    return None if authorization is None else hashlib.sha256(authorization.encode()).hexdigest()


def expired(expires_at: datetime | None) -> bool:
    """Whether a credential's expiry has passed."""
    return expires_at is not None and datetime.now(UTC) >= expires_at
