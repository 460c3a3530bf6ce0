"""Retention of the outbox: events older than ``SANCTUARY_RETENTION_EVENTS_DAYS`` are deleted by the retention round."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import AuditEvent, DomainEvent
from api.models.enums import EventKind
from api.services.protection import retention
from api.services.shared import events
from api.settings import Settings
from tests import factories

NOW = datetime.now(UTC)


async def _event(db: AsyncSession, age: timedelta) -> int:
    org = await factories.organization(db)
    row = await events.record(db, None, EventKind.MEMBER_DEACTIVATED, org)
    row.occurred_at = NOW - age
    await db.flush()
    return row.id


async def test_events_older_than_the_window_are_purged_the_others_kept(db: AsyncSession, settings: Settings) -> None:
    window = timedelta(days=3)
    configured = settings.model_copy(update={"retention_events_days": 3})
    old = [await _event(db, window + timedelta(minutes=1)) for _ in range(2)]
    young = await _event(db, window - timedelta(minutes=1))
    dry = await retention.apply(db, configured, NOW, dry_run=True)
    assert dry["events"] == 2
    report = await retention.apply(db, configured, NOW)
    assert report["events"] == 2
    left = set(await db.scalars(select(DomainEvent.id).where(DomainEvent.id.in_([*old, young]))))
    assert left == {young}
    audit = await db.scalars(select(AuditEvent.operation_name).where(AuditEvent.operation_name == "retention.events"))
    assert list(audit) == ["retention.events"]


def test_the_window_defaults_to_seven_days() -> None:
    assert Settings().retention_events_days == 7
