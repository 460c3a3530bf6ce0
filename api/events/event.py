"""What a subscriber receives: an event of the outbox as a plain value (ids and kinds, never a record's values)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.models.enums import EventKind


@dataclass(frozen=True)
class Event:
    """One row of ``domain_event``: what happened to which record, for whom, by whom."""

    id: int
    occurred_at: datetime
    kind: EventKind
    record_type: str
    record_id: uuid.UUID
    organization_ids: tuple[uuid.UUID, ...]
    region_id: uuid.UUID | None
    actor_member_id: uuid.UUID | None
    actor_client_id: str | None


def from_row(row: Mapping[str, Any]) -> Event:
    """An :class:`Event` from a row of ``domain_event`` (an asyncpg record or an ORM row's mapping)."""
    return Event(
        id=int(row["id"]),
        occurred_at=row["occurred_at"],
        kind=EventKind(row["kind"]),
        record_type=row["record_type"],
        record_id=_uuid(row["record_id"]),
        organization_ids=tuple(_uuid(o) for o in row["organization_ids"]),
        region_id=_optional_uuid(row["region_id"]),
        actor_member_id=_optional_uuid(row["actor_member_id"]),
        actor_client_id=row["actor_client_id"],
    )


def _uuid(value: Any) -> uuid.UUID:
    return value if type(value) is uuid.UUID else uuid.UUID(str(value))  # asyncpg has its own UUID class


def _optional_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else _uuid(value)
