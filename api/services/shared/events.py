"""Writing events to the outbox (``domain_event``), in the transaction of the change they describe.

Services call :func:`record` where a lifecycle move or a change that matters is applied, after the
checks that may refuse it, so a refused or rolled-back change leaves no event (the row, and the NOTIFY
its trigger sends, go with the transaction or savepoint). An event names the record and what happened,
never a value: only ids, the kind and the actor are written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.models import DomainEvent
from api.models.enums import EventKind


async def record(
    session: AsyncSession,
    actor: Viewer | None,
    kind: EventKind,
    subject: Any,
    *,
    organization_ids: Iterable[uuid.UUID | None] = (),
    region_id: uuid.UUID | None = None,
) -> DomainEvent:
    """Write one event about ``subject`` (a model instance): its table and id, its organization (with
    ``organization_ids``), its region (or ``region_id``), the actor. Added to the session, not flushed (a flush
    here would move the version of a record the caller is still changing): the change's own flush, or the
    commit, inserts it, and the insert queues the NOTIFY."""
    own = getattr(subject, "organization_id", None)
    organizations = sorted({o for o in (own, *organization_ids) if o is not None})
    event = DomainEvent(
        kind=kind,
        record_type=subject.__tablename__,
        record_id=subject.id,
        organization_ids=organizations,
        region_id=region_id if region_id is not None else getattr(subject, "region_id", None),
        actor_member_id=actor.member_id if actor is not None else None,
        actor_client_id=actor.client_id if actor is not None else None,
    )
    session.add(event)
    return event


async def after(
    session: AsyncSession, last_id: int, *, also: Iterable[int] = (), limit: int = 500
) -> list[DomainEvent]:
    """The events after ``last_id``, and those among ``also``, oldest first (at most ``limit``): how a consumer
    resumes.

    An id is taken at insert but visible at commit: an event below ``last_id`` may commit after the consumer
    read ``last_id``. A consumer that knows which ids below its last one it has not seen (the gaps of
    :class:`api.events.horizon.Horizon`) passes them as ``also`` and dedupes by id.
    Viewer-agnostic: whoever delivers an event decides, per subscriber, whether it may see the record."""
    late = sorted(set(also))
    condition = DomainEvent.id > last_id
    if late:
        condition = or_(condition, DomainEvent.id.in_(late))
    rows = await session.scalars(select(DomainEvent).where(condition).order_by(DomainEvent.id).limit(limit))
    return list(rows)


async def last_id(session: AsyncSession) -> int:
    """The id of the newest event (0 when there is none): where a new consumer starts."""
    return int(await session.scalar(select(DomainEvent.id).order_by(DomainEvent.id.desc()).limit(1)) or 0)
