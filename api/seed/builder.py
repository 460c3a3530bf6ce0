"""The state shared while the demo network is written: session, sealer, clock, and the rows by key."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import Sealer
from api.models import (
    Base,
    Congregation,
    Member,
    Organization,
    Person,
    RapidResponseIncident,
    Region,
    SanctuaryCase,
)


@dataclass
class DemoBuilder:
    """Writes rows (flush, never commit), seals T3 values and remembers every plaintext it sealed."""

    session: AsyncSession
    sealer: Sealer
    rng: random.Random
    now: datetime
    plaintexts: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    regions: dict[str, Region] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    congregations: dict[str, Congregation] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    cases: dict[str, SanctuaryCase] = field(default_factory=dict)
    incidents: dict[str, RapidResponseIncident] = field(default_factory=dict)

    async def seal(self, org_id: uuid.UUID, record_id: uuid.UUID, column: str, value: str | None) -> bytes | None:
        """Seal a T3 value of a record (``table.column``), remembering the plaintext; None stays None."""
        if value is None:
            return None
        self.plaintexts.append(value)
        return await self.sealer.seal(self.session, org_id, record_id, column, value)

    def add(self, *rows: Base) -> None:
        """Stage rows for the next flush and count them by table."""
        self.session.add_all(rows)
        for row in rows:
            self.counts[row.__table__.name] += 1  # type: ignore[attr-defined]

    async def flush(self) -> None:
        """Send the staged rows (the caller commits)."""
        await self.session.flush()

    def day(self, days: int, hour: int = 0) -> datetime:
        """``hour`` o'clock, ``days`` from today (negative: in the past)."""
        midnight = self.now.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight + timedelta(days=days, hours=hour)

    def minutes_ago(self, minutes: int) -> datetime:
        """A moment ``minutes`` before the seed ran."""
        return self.now - timedelta(minutes=minutes)

    def congregation_id(self, key: str | None) -> uuid.UUID | None:
        """The id of a congregation by organization key, or None."""
        return None if key is None else self.congregations[key].id
