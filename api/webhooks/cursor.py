"""The fan-out's position in the outbox: a horizon kept in the database, whose gaps leave only once proven closed.

Like a subscription's cursor (:mod:`api.events.horizon`), it is the last id read plus the ids below it not seen
yet (gaps): an id is drawn at insert but visible at commit, so id 98 may commit after id 100 was read. Unlike a
subscription's, it forgets a gap neither after some time nor after some number of ids, but only once the gap can
no longer fill, whenever that is:

- Each gap carries ``observed``: the transaction id the fan-out took right after the read that passed it.
- The transaction T that drew the gap's id held its own transaction id before drawing it (the statement trigger
  of migration 0019), and drew it before the later id that was read (ids are drawn in order), so before the
  read: T's transaction id is below ``observed``.
- When a later round's snapshot has no transaction below ``observed`` still running (``settled``, the snapshot's
  ``xmin``, is at or above it), T has ended: committed, and its row is visible to that round's read of the gaps,
  or rolled back, and the id will never appear. So a gap not found by that read is dropped, and nothing is lost.

Gaps are few (transactions in flight, ids of rolled-back ones until the next round); at most ``MAX_GAPS`` are
kept (the newest), a bound only a flood of rolled-back events under a transaction open for long could reach.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

logger = logging.getLogger("api.webhooks")
MAX_GAPS = 10_000


@dataclass(frozen=True)
class Gaps:
    """The ids below the cursor not seen yet, each with the transaction id after which it cannot fill any more."""

    ids: tuple[int, ...] = ()
    observed: tuple[int, ...] = ()

    def after(self, found: Iterable[int], settled: int) -> Gaps:
        """The gaps left once ``found`` were read, in a snapshot where no transaction below ``settled`` runs."""
        seen = set(found)
        kept = [(g, x) for g, x in zip(self.ids, self.observed, strict=True) if g not in seen and x > settled]
        return Gaps(tuple(g for g, _ in kept), tuple(x for _, x in kept))

    def plus(self, ids: list[int], observed: int) -> Gaps:
        """These gaps and new ones ``ids`` observed at ``observed``; the newest ``MAX_GAPS`` are kept."""
        pairs = sorted([*zip(self.ids, self.observed, strict=True), *((g, observed) for g in ids)])
        if len(pairs) > MAX_GAPS:
            logger.warning("webhook fan-out: %d outbox gaps, the oldest forgotten", len(pairs) - MAX_GAPS)
            pairs = pairs[-MAX_GAPS:]
        return Gaps(tuple(g for g, _ in pairs), tuple(x for _, x in pairs))


def missing(last: int, ids: list[int], room: int = MAX_GAPS) -> list[int]:
    """The ids after ``last`` and below the highest of ``ids`` (ascending) that ``ids`` does not hold: the newest
    ``room`` of them, ascending (never a range built whole: ids may jump far)."""
    if not ids:
        return []
    found: list[int] = []
    for low, high in zip(reversed([last, *ids[:-1]]), reversed(ids), strict=True):
        if len(found) >= room:
            break
        found.extend(range(high - 1, max(low, high - 1 - (room - len(found))), -1))
    return sorted(found)
