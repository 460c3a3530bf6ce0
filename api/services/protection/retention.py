"""Retention: forget on schedule. Due critical values are set to NULL (or due rows deleted), never flagged.

The windows are settings (``SANCTUARY_RETENTION_*``):

- a hotline reporter's contact, 72 hours after triage (or after close, for a report closed untriaged);
- an incident's exact location, 30 days after close (the coarse area stays);
- the notes of closed accompaniment requests and the legal status summary and location detail of closed
  sanctuary cases, 180 days after close (a DECLINED case has no close time: its last change counts);
- housekeeping: expired idempotency keys, revoked-token rows and case burn requests; OAuth authorization codes
  (``SANCTUARY_REFRESH_TOKEN_DAYS`` after they expired), refresh tokens and device codes past their expiry;
- events of the outbox (``domain_event``), ``SANCTUARY_RETENTION_EVENTS_DAYS`` after they happened, and the
  webhook deliveries no longer pending as old.

Each policy runs set-based statements of at most ``purge_batch_size`` rows; rows a running request holds
locked are skipped and picked up by the next run. A real run writes one audit event per policy and
organization that removed something (the system acts: no member), with record ids and field names,
never values. Services never commit: the caller (the scheduler, the CLI) does.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import (
    AccompanimentRequest,
    AuditEvent,
    CaseBurnRequest,
    DomainEvent,
    IdempotencyKey,
    OAuthAuthorizationCode,
    OAuthDeviceCode,
    OAuthRefreshToken,
    RapidResponseIncident,
    RevokedToken,
    SanctuaryCase,
    WebhookDelivery,
)
from api.models.base import storage_name
from api.models.enums import AuditAction, AuditOutcome, SanctuaryCaseStatus, WebhookDeliveryStatus
from api.services.shared import idempotency
from api.settings import Settings

SYSTEM_ROLE = "SYSTEM"


@dataclass
class Outcome:
    """What one policy removed (or, in a dry run, would remove): a count and, per organization, the ids."""

    policy: str
    fields: tuple[str, ...]
    count: int = 0
    records: dict[uuid.UUID | None, list[uuid.UUID]] = field(default_factory=dict)


Policy = Callable[[AsyncSession, Settings, datetime, bool], Awaitable[Outcome]]


async def purge_reporter_contacts(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Hotline reporter contacts, once the retention window after triage (or close) has passed."""
    cutoff = now - timedelta(hours=settings.retention_reporter_contact_hours)
    incident = RapidResponseIncident
    due = func.coalesce(incident.triaged_at, incident.closed_at) <= cutoff
    return await _erase(session, settings, "reporter_contact", incident, ("reporter_contact",), due, dry_run)


async def coarsen_exact_locations(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Exact incident locations of incidents closed longer than the window; the coarse area stays."""
    cutoff = now - timedelta(days=settings.retention_exact_location_days)
    due = RapidResponseIncident.closed_at <= cutoff
    return await _erase(session, settings, "exact_location", RapidResponseIncident, ("exact_location",), due, dry_run)


async def purge_closed_accompaniment_notes(
    session: AsyncSession, settings: Settings, now: datetime, dry_run: bool
) -> Outcome:
    """Notes of accompaniment requests closed (completed, cancelled, unfilled) longer than the window."""
    cutoff = now - timedelta(days=settings.retention_closed_records_days)
    due = AccompanimentRequest.closed_at <= cutoff
    return await _erase(session, settings, "accompaniment_notes", AccompanimentRequest, ("notes",), due, dry_run)


async def purge_closed_case_details(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Legal status summary and location detail of sanctuary cases closed (or declined) longer than the window."""
    cutoff = now - timedelta(days=settings.retention_closed_records_days)
    case = SanctuaryCase
    due = or_(
        case.closed_at <= cutoff,
        and_(case.closed_at.is_(None), case.status == SanctuaryCaseStatus.DECLINED, case.updated_at <= cutoff),
    )
    columns = ("legal_status_summary", "location_detail")
    return await _erase(session, settings, "sanctuary_case_details", case, columns, due, dry_run)


async def forget_idempotency_keys(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Idempotency keys past their keeping time."""
    outcome = Outcome("idempotency_keys", ("idempotency_key",))
    if dry_run:
        outcome.count = await _count(session, IdempotencyKey, IdempotencyKey.expires_at < now)
    else:
        outcome.count = await idempotency.forget_expired(session, now)
        outcome.records = {None: []} if outcome.count else {}
    return outcome


async def forget_revoked_tokens(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Revoked-token rows of tokens that have expired anyway."""
    due = RevokedToken.expires_at < now
    outcome = await _delete(session, settings, "revoked_tokens", RevokedToken, RevokedToken.jti, due, dry_run)
    outcome.records = {None: []} if outcome.count else {}  # jtis are not record ids
    return outcome


async def forget_burn_requests(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Case burn requests that expired without a second org admin's confirmation."""
    due = CaseBurnRequest.expires_at < now
    return await _delete(session, settings, "burn_requests", CaseBurnRequest, CaseBurnRequest.id, due, dry_run)


async def forget_events(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Events of the outbox older than the window: consumers can no longer resume from before it."""
    due = DomainEvent.occurred_at < now - timedelta(days=settings.retention_events_days)
    # event ids are not record ids
    return _anonymous(await _delete(session, settings, "events", DomainEvent, DomainEvent.id, due, dry_run))


async def forget_oauth_codes(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Authorization codes (hashes) once the longest chain their exchange could have started has ended: until
    then a replay is recognized and ends that chain."""
    due = OAuthAuthorizationCode.expires_at < now - timedelta(days=settings.refresh_token_days)
    model, key = OAuthAuthorizationCode, OAuthAuthorizationCode.id
    return _anonymous(await _delete(session, settings, "oauth_codes", model, key, due, dry_run))


async def forget_oauth_refresh_tokens(
    session: AsyncSession, settings: Settings, now: datetime, dry_run: bool
) -> Outcome:
    """Refresh tokens (hashes, spent or not) past the end of their chain."""
    due = OAuthRefreshToken.expires_at < now
    model, key = OAuthRefreshToken, OAuthRefreshToken.id
    return _anonymous(await _delete(session, settings, "oauth_refresh_tokens", model, key, due, dry_run))


async def forget_oauth_device_codes(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Device authorizations (hashes of their codes) that expired."""
    due = OAuthDeviceCode.expires_at < now
    model, key = OAuthDeviceCode, OAuthDeviceCode.id
    return _anonymous(await _delete(session, settings, "oauth_device_codes", model, key, due, dry_run))


def _anonymous(outcome: Outcome) -> Outcome:
    """An outcome audited without record ids (events, rows of credentials' hashes: not records anyone reads)."""
    outcome.records = {None: []} if outcome.count else {}
    return outcome


async def forget_webhook_deliveries(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool) -> Outcome:
    """Webhook deliveries no longer pending, older than the events' window (their event is gone too)."""
    due = and_(
        WebhookDelivery.created_at < now - timedelta(days=settings.retention_events_days),
        WebhookDelivery.status != WebhookDeliveryStatus.PENDING,
    )
    return await _delete(session, settings, "webhook_deliveries", WebhookDelivery, WebhookDelivery.id, due, dry_run)


POLICIES: tuple[Policy, ...] = (
    purge_reporter_contacts,
    coarsen_exact_locations,
    purge_closed_accompaniment_notes,
    purge_closed_case_details,
    forget_idempotency_keys,
    forget_revoked_tokens,
    forget_burn_requests,
    forget_events,
    forget_oauth_codes,
    forget_oauth_refresh_tokens,
    forget_oauth_device_codes,
    forget_webhook_deliveries,
)


async def apply(session: AsyncSession, settings: Settings, now: datetime, dry_run: bool = False) -> dict[str, int]:
    """Apply every policy; the count per policy. A dry run removes nothing and counts what would go."""
    report: dict[str, int] = {}
    for policy in POLICIES:
        outcome = await policy(session, settings, now, dry_run)
        report[outcome.policy] = outcome.count
        if not dry_run:
            session.add_all(_audit_events(outcome))
    await session.flush()
    return report


async def _erase(
    session: AsyncSession,
    settings: Settings,
    policy: str,
    model: Any,
    columns: tuple[str, ...],
    due: ColumnElement[bool],
    dry_run: bool,
) -> Outcome:
    """Set ``columns`` to NULL on due rows that still hold a value, a batch at a time."""
    outcome = Outcome(policy, tuple(storage_name(getattr(model, name)) for name in columns))
    condition = and_(due, or_(*(getattr(model, name).is_not(None) for name in columns)))
    if dry_run:
        outcome.count = await _count(session, model, condition)
        return outcome
    batch = settings.purge_batch_size
    chosen = select(model.id).where(condition).limit(batch).with_for_update(skip_locked=True)
    statement = (
        update(model)
        .where(model.id.in_(chosen))
        .values(dict.fromkeys(columns) | {"version": model.version + 1})
        .returning(model.id, model.organization_id)
        .execution_options(synchronize_session=False)
    )
    while True:
        rows = (await session.execute(statement)).all()
        for record_id, organization_id in rows:
            outcome.records.setdefault(organization_id, []).append(record_id)
        outcome.count += len(rows)
        if len(rows) < batch:  # erased rows no longer match: the next batch is new rows
            return outcome


async def _delete(
    session: AsyncSession,
    settings: Settings,
    policy: str,
    model: Any,
    key: Any,
    due: ColumnElement[bool],
    dry_run: bool,
) -> Outcome:
    """Delete due rows, a batch at a time; records their ids (by organization, when the rows have one)."""
    outcome = Outcome(policy, (model.__tablename__,))
    if dry_run:
        outcome.count = await _count(session, model, due)
        return outcome
    batch = settings.purge_batch_size
    organization = getattr(model, "organization_id", None)
    returning = (key, organization) if organization is not None else (key,)
    chosen = select(key).where(due).limit(batch).with_for_update(skip_locked=True)
    statement = delete(model).where(key.in_(chosen)).returning(*returning).execution_options(synchronize_session=False)
    while True:
        rows = (await session.execute(statement)).all()
        for row in rows:
            if len(row) == 2 and isinstance(row[0], uuid.UUID):
                outcome.records.setdefault(row[1], []).append(row[0])
        outcome.count += len(rows)
        if len(rows) < batch:
            return outcome


async def _count(session: AsyncSession, model: Any, condition: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(condition)) or 0)


def _audit_events(outcome: Outcome) -> list[AuditEvent]:
    """One event per organization whose records the policy changed; ids and field names, never values."""
    return [
        AuditEvent(
            organization_id=organization_id,
            actor_member_id=None,
            roles=[SYSTEM_ROLE],
            action=AuditAction.MUTATION,
            outcome=AuditOutcome.ALLOWED,
            operation_name=f"retention.{outcome.policy}",
            record_ids=sorted(record_ids),
            fields=list(outcome.fields),
        )
        for organization_id, record_ids in outcome.records.items()
    ]
