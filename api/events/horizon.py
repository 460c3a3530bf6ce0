"""How far a stream of events has got: the resume cursor of a subscription.

Ids are taken at insert but become visible at commit, so events do not arrive in id order: after id 100
has been handed on, id 98 may still commit. "The last id" is therefore not enough to resume without a gap;
a horizon is the last id plus the ids below it, within a window, not seen yet (``gaps``: in-flight or
rolled back). Resuming reads ``id > last OR id IN gaps`` (:func:`api.services.shared.events.after`) and
skips what the horizon has seen, so nothing is delivered twice and nothing committed late is missed (as
long as it commits within ``WINDOW`` ids of the newest one; a rolled-back id is a gap that never fills and
leaves the window).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

WINDOW = 1_000  # how far below the last id a gap is remembered
MAX_GAPS = 64  # the most gaps a cursor carries (the newest are kept)
_PREFIX = "h1"


class InvalidCursor(ValueError):
    """A cursor this service did not issue."""


@dataclass(frozen=True)
class Horizon:
    """Every id up to ``last`` has been considered, except ``gaps``."""

    last: int
    gaps: tuple[int, ...] = ()

    def seen(self, event_id: int) -> bool:
        """True when the event was already considered (deliver it no more)."""
        return event_id <= self.last and event_id not in self.gaps

    def past(self, event_id: int) -> Horizon:
        """The horizon once ``event_id`` has been considered too."""
        if event_id > self.last:
            skipped = range(max(self.last + 1, event_id - WINDOW), event_id)
            return _trimmed(event_id, (*self.gaps, *skipped))
        return _trimmed(self.last, tuple(g for g in self.gaps if g != event_id))

    def cursor(self) -> str:
        """The opaque cursor a client passes back (``after:``) to resume from here."""
        gaps = ".".join(str(self.last - g) for g in self.gaps)
        raw = f"{_PREFIX}:{self.last}:{gaps}".encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def parse(cls, cursor: str) -> Horizon:
        """The horizon of a cursor; :class:`InvalidCursor` when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            prefix, last_text, gaps_text = raw.split(":")
            last = int(last_text)
            gaps = tuple(last - int(d) for d in gaps_text.split(".")) if gaps_text else ()
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidCursor from None
        if prefix != _PREFIX or last < 0 or len(gaps) > MAX_GAPS or any(not last - WINDOW < g < last for g in gaps):
            raise InvalidCursor
        return cls(last, tuple(sorted(set(gaps))))


def _trimmed(last: int, gaps: tuple[int, ...]) -> Horizon:
    kept = sorted({g for g in gaps if g > last - WINDOW})[-MAX_GAPS:]
    return Horizon(last, tuple(kept))
