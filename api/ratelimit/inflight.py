"""A cap on requests in flight per caller, per instance (process-local, bounded), answered at once.

One slow client must not take every database connection: past ``cap`` requests of one caller (or past
``callers`` distinct callers in flight at once) the next one is refused immediately, never queued.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InFlight:
    """Counts each caller's requests in flight; the map holds only callers with one in flight."""

    def __init__(self, cap: int, callers: int) -> None:
        self.cap, self.callers = cap, callers
        self._counts: dict[str, int] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[bool]:
        """Yields True with a slot held until the block ends, or False at once when there is none."""
        count = self._counts.get(key, 0)
        if count >= self.cap or (count == 0 and len(self._counts) >= self.callers):
            yield False
            return
        self._counts[key] = count + 1
        try:
            yield True
        finally:
            left = self._counts[key] - 1
            if left:
                self._counts[key] = left
            else:
                del self._counts[key]
