"""Connections kept alive to receivers: one pool per checked target, bounded per host, in idle time and in number.

A target is the registered origin (scheme, host, port) together with the address the host was resolved and
checked to for this attempt (:func:`api.webhooks.addresses.resolve`). A pool serves one target only: its
connections were opened to that address, with that host in ``Host`` and in TLS (SNI and the certificate's name),
so a connection is never reused for another host that happens to share the address, nor for another address of
the same host (a host that resolves elsewhere at a later attempt gets a pool of its own, and the old one is
closed once idle). Redirects, time and size bounds are the sender's (:mod:`api.webhooks.sender`); a connection
left with an answer not read to its end is closed by httpcore, not reused.

Bounds: at most ``webhooks_per_host_connections`` attempts at once per registered origin (:meth:`slot`, taken
before an attempt's time starts) and as many connections per pool; a pool idle for ``webhooks_keepalive_s`` is
closed at the next :meth:`sweep`, and beyond ``webhooks_keepalive_pools`` idle pools the least recently used
ones are closed: at most ``keepalive_pools x per_host_connections`` idle connections stay open.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import lru_cache

import httpx

from api.settings import Settings
from api.webhooks.addresses import IPAddress

Origin = tuple[str, str, int]  # scheme, registered host, port


@lru_cache(maxsize=1)
def tls() -> ssl.SSLContext:
    """One TLS context for every pool (building one loads the CA bundle: milliseconds each time)."""
    return ssl.create_default_context()


@dataclass(frozen=True)
class Target:
    """Where one attempt goes: the registered origin and the checked address of its host."""

    scheme: str
    host: str  # the registered host: the Host header, TLS SNI and the certificate's name
    port: int
    address: IPAddress

    @property
    def origin(self) -> Origin:
        return self.scheme, self.host, self.port


def origin_of(url: httpx.URL) -> Origin:
    """The registered origin of an endpoint's URL (httpx lowercases and IDNA-encodes the host)."""
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)


@dataclass
class _Pool:
    client: httpx.AsyncClient
    busy: int = 0
    used_at: float = field(default_factory=time.monotonic)


@dataclass
class _Slot:
    semaphore: asyncio.Semaphore
    users: int = 0  # holding or waiting: the entry goes when none is left


class Connections:
    """The kept-alive connections of one worker (close them with :meth:`aclose`)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._pools: dict[Target, _Pool] = {}  # in order of last use, oldest first
        self._slots: dict[Origin, _Slot] = {}

    def __len__(self) -> int:
        """How many pools are open."""
        return len(self._pools)

    @contextlib.asynccontextmanager
    async def slot(self, origin: Origin) -> AsyncIterator[None]:
        """Wait for one of the origin's ``webhooks_per_host_connections`` places, and hold it."""
        held = self._slots.get(origin)
        if held is None:
            held = self._slots[origin] = _Slot(asyncio.Semaphore(self._settings.webhooks_per_host_connections))
        held.users += 1
        try:
            async with held.semaphore:
                yield
        finally:
            held.users -= 1
            if not held.users:
                del self._slots[origin]

    @contextlib.asynccontextmanager
    async def client(self, target: Target) -> AsyncIterator[httpx.AsyncClient]:
        """The client of ``target``'s own pool (opened if needed), for one request to the target's address."""
        pool = self._pools.pop(target, None)
        closing = []
        if pool is None:
            closing = self._evict(room_for=1)
            pool = _Pool(self._open())
        self._pools[target] = pool  # the most recently used last
        pool.busy += 1
        try:
            for old in closing:
                await old.aclose()
            yield pool.client
        finally:
            pool.busy -= 1
            pool.used_at = time.monotonic()

    async def sweep(self) -> None:
        """Close the idle pools unused for ``webhooks_keepalive_s`` and the least recently used idle ones beyond
        ``webhooks_keepalive_pools``."""
        for old in self._evict(room_for=0):
            await old.aclose()

    def _evict(self, room_for: int) -> list[httpx.AsyncClient]:
        """Take out the pools to close (idle too long, or too many with ``room_for`` more to come)."""
        now, settings = time.monotonic(), self._settings
        idle = [target for target, pool in self._pools.items() if not pool.busy]
        expired = [target for target in idle if now - self._pools[target].used_at >= settings.webhooks_keepalive_s]
        surplus = len(self._pools) - len(expired) - max(settings.webhooks_keepalive_pools - room_for, 0)
        closing = expired + [target for target in idle if target not in expired][: max(surplus, 0)]
        return [self._pools.pop(target).client for target in closing]

    async def aclose(self) -> None:
        """Close every pool (requests under way are cut: their deliveries are due again after the lease)."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.client.aclose()

    def _open(self) -> httpx.AsyncClient:
        settings = self._settings
        keep = settings.webhooks_per_host_connections if settings.webhooks_keepalive_s > 0 else 0
        limits = httpx.Limits(
            max_connections=settings.webhooks_per_host_connections,
            max_keepalive_connections=keep,
            keepalive_expiry=settings.webhooks_keepalive_s,
        )
        return httpx.AsyncClient(limits=limits, follow_redirects=False, trust_env=False, verify=tls())
