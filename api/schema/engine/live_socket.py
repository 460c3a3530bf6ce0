"""GraphQL subscriptions over WebSocket at /graphql: the ``graphql-transport-ws`` protocol, and only it.

A connection is accepted when its ``Origin`` (if any: browsers send one) is allowed and it asks for the
``graphql-transport-ws`` subprotocol (anything else: closed 4406). ``connection_init`` must come within
``live_init_timeout_s`` (4408) and may carry ``{"Authorization": "Bearer <token>"}`` with any token the
API accepts (none: anonymous, public fields only); a refused token closes 4401, a token without the
``read`` scope 4403, a member or app over its connections 4429, and the service failing to check or count it
(its database failed) 1013, try again later. A personal access token's use is noted then, as a request's.
The viewer's schema is the one its roles give it, as for queries. The credential is checked again every
``live_recheck_s`` and at each delivery: expired or invalid closes 4401, revoked (or its member deactivated,
its app disabled) 4403, roles changed 4403 (reconnect for the new schema). Messages over ``live_max_message_bytes`` close 1009; a second
``connection_init`` 4429; a malformed message 4400; a subscription id in use 4409; the service shutting
down 1012 (reconnect and resume with ``after``). Queries and mutations are served over HTTP only. A partner
app's subscription follows the trusted-documents rule of requests (``documentId`` or Apollo's
``persistedQuery`` in the subscribe payload; an ad-hoc document refused when the app sends only trusted ones).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from datetime import datetime
from typing import Any, cast

import orjson
from starlette.requests import Request
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from api.auth.authenticate import AuthenticationError, authenticate, credential_expiry
from api.auth.viewer import ANONYMOUS, Viewer
from api.schema.engine.audience import Audience
from api.schema.engine.live import LiveOperation, LiveRefused, prepare_operation, reading
from api.schema.engine.live_server import EXPIRED, REVOKED, LiveServer, credential_key, expired
from api.schema.engine.live_stream import LiveSubscription
from api.schema.engine.request_body import RequestRefused
from api.schema.engine.trusted import live_payload

PROTOCOL = "graphql-transport-ws"
logger = logging.getLogger("api.live")
# The service could not initialise the connection (its database failed). 1013, not 1011: graphql-ws clients retry
# 1013 (like 1012) with their back-off, while they take 1011 (any other 1xxx, and 4500) as fatal and give up.
TRY_AGAIN = (1013, "Internal error: try again later")


class Closed(Exception):
    """The connection is closed (by the client, or by the server with a code)."""


class LiveConnection:
    """One WebSocket: its credential and viewer, its subscriptions, its timers."""

    def __init__(self, websocket: WebSocket, server: LiveServer) -> None:
        self.websocket, self.server = websocket, server
        self.settings = server.state.settings
        self.authorization: str | None = None
        self.credential: str | None = None  # the credential's digest: subscriptions holding it are rendered together
        self.viewer: Viewer = ANONYMOUS
        self.audience = Audience.of(ANONYMOUS)  # the schema its subscriptions were validated against
        self.expires_at: datetime | None = None
        self.subscriptions: dict[str, LiveSubscription] = {}
        self.closed = False
        self._outbox: collections.deque[str] = collections.deque()  # messages not yet written, in order
        self._ready = asyncio.Event()
        self._behind = False  # the outbox overflowed: closing

    async def run(self) -> None:
        """Serve the connection until it closes."""
        timers: list[asyncio.Task[None]] = []
        try:
            await self._initialise()
            self.server.connections.add(self)
            timers = [asyncio.create_task(self._write()), asyncio.create_task(self._ping())]  # credentials: recheck
            await self.send({"type": "connection_ack"})
            while not self.closed:
                await self._handle(await self._receive())
        except (Closed, WebSocketDisconnect):
            pass
        finally:
            for timer in timers:
                timer.cancel()
            for subscription in list(self.subscriptions.values()):
                subscription.stop()
            self.server.connections.discard(self)
            await self.close(1000, "")
            await self.server.limits.release(self)  # once closed (admits on this instance no longer count it)

    async def close(self, code: int, reason: str) -> None:
        """Close with ``code`` (once); the receive loop then ends."""
        if self.closed:
            return
        self.closed = True
        self._outbox.clear()  # nothing more for a viewer whose access ended, nor for one that fell behind
        self._ready.set()
        for subscription in list(self.subscriptions.values()):
            subscription.stop()
        with contextlib.suppress(Exception):
            if self.websocket.application_state is WebSocketState.CONNECTED:
                await self.websocket.close(code, reason)

    async def send(self, message: dict[str, Any]) -> None:
        """Send one protocol message, after those already queued (:class:`Closed` once the connection is closed)."""
        if self.closed or not self.push(orjson.dumps(message).decode()):
            raise Closed

    def push(self, text: str) -> bool:
        """Queue one message for the writer; False when closed, or when the client has fallen ``live_outbox``
        messages behind: the connection then closes (1013), and the client resumes from its last cursor."""
        if self.closed or self._behind:
            return False
        if len(self._outbox) >= self.settings.live_outbox:
            self._behind = True  # the writer closes it
            self._outbox.clear()
            self._ready.set()
            return False
        self._outbox.append(text)
        self._ready.set()
        return True

    async def _write(self) -> None:
        """Write the queued messages in order (one writer per connection: a client that reads slowly holds up
        no one else)."""
        while not self.closed:
            await self._ready.wait()
            self._ready.clear()
            if self._behind:
                await self.close(1013, "Falling behind: reconnect and resume")
            while self._outbox and not self.closed:
                try:
                    await self.websocket.send_text(self._outbox.popleft())
                except Exception:
                    self.closed = True
                    self._outbox.clear()

    async def _receive(self) -> dict[str, Any]:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            self.closed = True
            raise Closed
        raw = message.get("text") or (message.get("bytes") or b"").decode(errors="replace")
        if len(raw) > self.settings.live_max_message_bytes:
            await self.close(1009, "Message too big")
            raise Closed
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            await self.close(4400, "Invalid message received")
            raise Closed
        return parsed

    async def _initialise(self) -> None:
        try:
            message = await asyncio.wait_for(self._receive(), self.settings.live_init_timeout_s)
        except TimeoutError:
            await self.close(4408, "Connection initialisation timeout")
            raise Closed from None
        if message["type"] != "connection_init":
            await self.close(4401 if message["type"] == "subscribe" else 4400, "Unauthorized")
            raise Closed
        payload = message.get("payload")
        value = payload.get("Authorization") or payload.get("authorization") if isinstance(payload, dict) else None
        self.authorization = value if isinstance(value, str) and value.strip() else None
        self.credential = credential_key(self.authorization)
        try:
            refusal = await self._authorise()
        except Exception as error:  # the service failed (its database, as a rule), not the client: the type only
            logger.warning("live connection not initialised: %s", type(error).__name__)
            refusal = TRY_AGAIN
        if refusal is not None:
            await self.close(*refusal)
            raise Closed

    async def _authorise(self) -> tuple[int, str] | None:
        """Authenticate the credential (its use noted, as a request's) and admit the connection: None, or the close
        code and reason that refuse it."""
        state: Any = self.server.state
        async with state.sessionmaker() as session:
            if self.authorization is not None:  # each statement commits by itself: the token's use noted at once
                await reading(session)
            try:
                self.viewer = await authenticate(
                    session, self.authorization, keys=state.signing_keys, settings=state.settings,
                    external=state.external_issuers, note_use=True,
                )  # fmt: skip
            except AuthenticationError:
                return EXPIRED, "Unauthorized: the token is invalid, expired or revoked"
            self.expires_at = await credential_expiry(session, self.authorization)
        self.audience = Audience.of(self.viewer)
        if "read" not in self.viewer.scopes:
            return REVOKED, "Forbidden: this token was not granted the `read` scope"
        if not await self.server.limits.admit(self):
            return 4429, "Too many connections for this member or app"
        return None

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "connection_init":
            await self.close(4429, "Too many initialisation requests")
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            subscription = self.subscriptions.pop(str(message.get("id")), None)
            if subscription is not None:
                subscription.stop()
        else:
            await self.close(4400, "Invalid message received")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        op_id, payload = message.get("id"), message.get("payload")
        if not isinstance(op_id, str) or not op_id or len(op_id) > 128 or not isinstance(payload, dict):
            await self.close(4400, "Invalid message received")
            return
        if op_id in self.subscriptions:
            await self.close(4409, "Subscriber for this id already exists")
            return
        if len(self.subscriptions) >= self.settings.live_max_subscriptions:
            limit = self.settings.live_max_subscriptions
            await self._refuse(op_id, f"At most {limit} subscriptions per connection.", "TOO_MANY_SUBSCRIPTIONS")
            return
        if await cast(Any, self.server.state).rate_gate.charge(cast(Request, self.websocket), self.viewer) is not None:
            await self._refuse(op_id, "Too many requests: this subscription was refused, retry later.", "RATE_LIMITED")
            return
        try:
            async with cast(Any, self.server.state).sessionmaker() as session:
                payload = await live_payload(session, self.viewer, payload)
        except RequestRefused as refused:
            await self._refuse(op_id, refused.message, refused.code)
            return
        try:
            operation = prepare_operation(self.viewer, payload, self.settings)
        except LiveRefused as refused:
            await self.send({"id": op_id, "type": "error", "payload": refused.errors})
            return
        self._start(op_id, operation)

    def _start(self, op_id: str, operation: LiveOperation) -> None:
        subscription = LiveSubscription(self, op_id, operation)
        self.subscriptions[op_id] = subscription
        subscription.start()

    async def _refuse(self, op_id: str, text: str, code: str) -> None:
        await self.send({"id": op_id, "type": "error", "payload": [{"message": text, "extensions": {"code": code}}]})

    async def still(self, viewer: Viewer | int) -> bool:
        """Whether the connection goes on with ``viewer`` (the credential re-read); if not, it is closed: 4401 when
        the credential expired, 4403 when it was revoked (or its member deactivated) or the roles changed."""
        if isinstance(viewer, int):
            code = EXPIRED if expired(self.expires_at) else viewer
            await self.close(
                code, "Unauthorized: the token expired" if code == EXPIRED else "Forbidden: access revoked"
            )
            return False
        if Audience.of(viewer) != self.audience:
            await self.close(REVOKED, "Forbidden: your roles changed; reconnect")
            return False
        self.viewer = viewer
        return not self.closed

    async def _ping(self) -> None:
        while not self.closed:
            await asyncio.sleep(self.settings.live_ping_s)
            with contextlib.suppress(Closed):
                await self.send({"type": "ping"})


async def endpoint(websocket: WebSocket) -> None:
    """The WebSocket side of /graphql."""
    state = websocket.app.state
    origin = websocket.headers.get("origin")
    server: LiveServer | None = getattr(state, "live", None)
    if (origin is not None and origin.rstrip("/") not in state.settings.origins) or server is None or server.closing:
        await websocket.close(code=4403)  # before the handshake: the client gets HTTP 403
        return
    if PROTOCOL not in websocket.scope.get("subprotocols", []):
        await websocket.accept()
        await websocket.close(4406, "Subprotocol not acceptable: use graphql-transport-ws")
        return
    await websocket.accept(subprotocol=PROTOCOL)
    await LiveConnection(websocket, server).run()
