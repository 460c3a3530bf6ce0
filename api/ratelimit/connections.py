"""Subscription connections per member and per app, counted across every instance sharing the database.

Each admitted WebSocket of a member or a partner app holds one row of ``live_connection_slot``: the instance
holding it, keyed digests of the member and of the app (HMAC under a key derived from the key-encryption key:
the table holds no id, and a dump without the key ties no row to anyone) and when the instance last said it was
open. Admitting is one short transaction: a transaction-scoped advisory lock per member and per app (taken in
one fixed order, so two admits never wait on each other crosswise), a count of the fresh rows of both, and the
new row if both stay under their limits. Admits racing for the last slot are therefore serialized, on one
instance or several, and exactly one gets it. Closing deletes the row.

Every ``live_heartbeat_s`` an instance refreshes its open connections' rows in one statement and puts back any
that went missing (PostgreSQL crashed: the table is UNLOGGED; or they went stale while the instance could not
reach the database). A row not refreshed for ``STALE_HEARTBEATS`` periods (its instance crashed, or its
connection closed and the delete failed) no longer counts, and the periodic jobs delete it. Times are the
database's clock, so the instances' clocks need not agree; the instances must share ``live_heartbeat_s`` and the
key-encryption keys (while a new key reaches them one by one, those with different newest keys count apart).
Anonymous connections hold no row: they are counted neither per member nor per app.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.viewer import Viewer
from api.crypto import Sealer
from api.settings import Settings

logger = logging.getLogger("api.live")
KEY_LABEL = b"sanctuary-api: live connection slot key v1"
LOCK_CLASS = 0x4C495645  # "LIVE": the advisory locks' first key; the second comes from a member's or app's digest
STALE_HEARTBEATS = 3  # a row not refreshed for this many heartbeats no longer counts

_LOCK = text("SELECT pg_advisory_xact_lock(CAST(:class AS int4), CAST(:objid AS int4))")
# a NULL key matches nothing: a member's own token counts no app, an app acting for itself no member
_COUNT = text("""
SELECT count(*) FILTER (WHERE member_key = CAST(:member AS bytea)),
       count(*) FILTER (WHERE app_key = CAST(:app AS bytea))
FROM live_connection_slot
WHERE (member_key = CAST(:member AS bytea) OR app_key = CAST(:app AS bytea))
  AND seen_at > clock_timestamp() - make_interval(secs => CAST(:stale AS float8))
  AND id <> ALL(CAST(:closing AS uuid[]))
""")
_INSERT = text("""
INSERT INTO live_connection_slot (id, instance_id, member_key, app_key, seen_at)
VALUES (:id, :instance, CAST(:member AS bytea), CAST(:app AS bytea), clock_timestamp())
ON CONFLICT (id) DO NOTHING
""")
_REFRESH = text("""
UPDATE live_connection_slot SET seen_at = clock_timestamp() WHERE id = ANY(CAST(:ids AS uuid[])) RETURNING id
""")
_DELETE = text("DELETE FROM live_connection_slot WHERE id = ANY(CAST(:ids AS uuid[]))")
_DELETE_INSTANCE = text("DELETE FROM live_connection_slot WHERE instance_id = :instance")
_DELETE_STALE = text(
    "DELETE FROM live_connection_slot WHERE seen_at <= clock_timestamp() - make_interval(secs => CAST(:stale AS float8))"
)


class Held(Protocol):
    """A connection as the limits see it (:class:`api.schema.engine.live_socket.LiveConnection`)."""

    viewer: Viewer
    closed: bool


@dataclass(frozen=True)
class Slot:
    """The row a counted connection holds."""

    id: uuid.UUID
    member_key: bytes | None
    app_key: bytes | None


def member_key(key: bytes, member_id: uuid.UUID) -> bytes:
    """The stored digest of a member (``key``: the sealer's ``derived_key(KEY_LABEL)``)."""
    return hmac.new(key, b"member\x00" + member_id.bytes, hashlib.sha256).digest()


def app_key(key: bytes, client_id: str) -> bytes:
    """The stored digest of a partner app."""
    return hmac.new(key, b"app\x00" + client_id.encode(), hashlib.sha256).digest()


def stale_after_s(settings: Settings) -> float:
    """How long a row counts without being refreshed."""
    return STALE_HEARTBEATS * settings.live_heartbeat_s


class ConnectionLimits:
    """This instance's slots: admitted, released, kept fresh by a heartbeat task."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings) -> None:
        self.sessions, self.settings = sessions, settings
        self.instance_id = uuid.uuid4()
        self._key = sealer.derived_key(KEY_LABEL)
        self._slots: dict[Held, Slot] = {}
        self._admitting = asyncio.Semaphore(max(1, settings.db_pool_size // 2))  # lock waits hold a connection
        self._task: asyncio.Task[None] | None = None
        self._stopped = False

    def start(self) -> None:
        """Start the heartbeat."""
        self._task = asyncio.create_task(self._beat(), name="live-heartbeat")

    async def stop(self) -> None:
        """Stop the heartbeat and give back every slot of this instance (one statement)."""
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            async with self.sessions() as session, session.begin():
                await session.execute(_DELETE_INSTANCE, {"instance": self.instance_id})
        except Exception as error:  # they go stale instead
            logger.warning("live connection slots not released at shutdown: %s", type(error).__name__)

    async def admit(self, connection: Held) -> bool:
        """Whether one more connection of this viewer's member and app stays within their limits, counted on every
        instance; if so, the connection holds a slot until :meth:`release`."""
        viewer = connection.viewer
        slot = Slot(
            uuid.uuid4(),
            member_key(self._key, viewer.member_id) if viewer.member_id is not None else None,
            app_key(self._key, viewer.client_id) if viewer.client_id is not None else None,
        )
        if slot.member_key is None and slot.app_key is None:
            return True  # anonymous
        settings = self.settings
        async with self._admitting, self.sessions() as session, session.begin():
            for objid in sorted({lock_id(key) for key in (slot.member_key, slot.app_key) if key is not None}):
                await session.execute(_LOCK, {"class": LOCK_CLASS, "objid": objid})
            closing = [s.id for c, s in self._slots.items() if c.closed]  # released any moment now
            counts = {"member": slot.member_key, "app": slot.app_key, "closing": closing}
            members, apps = (await session.execute(_COUNT, counts | {"stale": stale_after_s(settings)})).one()
            if members >= settings.live_max_connections_per_member or apps >= settings.live_max_connections_per_app:
                return False
            await session.execute(_INSERT, self._row(slot))
        self._slots[connection] = slot
        return True

    async def release(self, connection: Held) -> None:
        """Give the connection's slot back (call it once the connection is closed); a failure leaves the row to go
        stale."""
        slot = self._slots.get(connection)
        if slot is None:
            return
        try:
            if not self._stopped:
                async with self.sessions() as session, session.begin():
                    await session.execute(_DELETE, {"ids": [slot.id]})
        except Exception as error:
            logger.warning("live connection slot not released: %s", type(error).__name__)
        finally:
            self._slots.pop(connection, None)

    async def heartbeat(self) -> None:
        """Refresh the rows of this instance's open connections (one statement) and put back those that went
        missing."""
        held = {s.id: (c, s) for c, s in self._slots.items() if not c.closed}
        if not held:
            return
        async with self.sessions() as session, session.begin():
            seen = set((await session.scalars(_REFRESH, {"ids": list(held)})).all())
        lost = [(c, s) for c, s in held.values() if s.id not in seen and not c.closed]
        if lost:
            await self._restore(lost)

    async def _restore(self, lost: list[tuple[Held, Slot]]) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(_INSERT, [self._row(s) for _, s in lost])
        logger.warning("live connection slots restored: %d", len(lost))
        closed = [s.id for c, s in lost if c.closed]  # closed meanwhile: its release may have come first
        if closed:
            async with self.sessions() as session, session.begin():
                await session.execute(_DELETE, {"ids": closed})

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.settings.live_heartbeat_s)
            try:
                await self.heartbeat()
            except Exception as error:  # the next heartbeat tries again
                logger.warning("live heartbeat failed: %s", type(error).__name__)

    def _row(self, slot: Slot) -> dict[str, object]:
        return {"id": slot.id, "instance": self.instance_id, "member": slot.member_key, "app": slot.app_key}


async def forget_stale(session: AsyncSession, settings: Settings) -> int:
    """Delete the rows no instance refreshed within the stale period (a periodic job)."""
    result = await session.execute(_DELETE_STALE, {"stale": stale_after_s(settings)})
    return int(getattr(result, "rowcount", 0) or 0)


def lock_id(key: bytes) -> int:
    """The advisory lock's second key for a member's or app's digest (a collision only makes two wait on each
    other)."""
    return int.from_bytes(key[:4], "big", signed=True)
