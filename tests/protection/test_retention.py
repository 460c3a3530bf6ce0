"""Retention: each policy removes exactly the values past its window; a dry run counts the same and removes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.crypto import Sealer
from api.models import (
    AccompanimentRequest,
    AuditEvent,
    CaseBurnRequest,
    DomainEvent,
    IdempotencyKey,
    OAuthAuthorizationCode,
    OAuthDeviceCode,
    OAuthRefreshToken,
    OAuthSession,
    RapidResponseIncident,
    RevokedToken,
    SanctuaryCase,
)
from api.models.enums import AccompanimentStatus, EventKind, IncidentStatus, Role, SanctuaryCaseStatus
from api.services.protection import retention
from api.settings import Settings
from tests import factories
from tests.canaries import canary

NOW = datetime.now(UTC)
EPSILON = timedelta(minutes=1)
CONTACT = timedelta(hours=72)
LOCATION = timedelta(days=30)
CLOSED = timedelta(days=180)
EVENTS = timedelta(days=7)
REFRESH = timedelta(days=30)


@dataclass
class Seeded:
    """Rows just inside (due) and just outside (kept) each window."""

    due: dict[str, list[Any]] = field(default_factory=dict)
    kept: dict[str, list[Any]] = field(default_factory=dict)


async def _sealed(db: AsyncSession, sealer: Sealer, row: Any, column: str, secret: str) -> bytes | None:
    return await sealer.seal(db, row.organization_id, row.id, f"{row.__tablename__}.{column}", canary(secret))


async def _incident(
    db: AsyncSession, sealer: Sealer, org: Any, *, contact: bool = True, **values: Any
) -> RapidResponseIncident:
    row = await factories.incident(db, sealer, org, exact_location=f"12 Elm St {uuid.uuid4().hex}", **values)
    if contact:
        row.reporter_contact = await _sealed(db, sealer, row, "reporter_contact", f"+1 555 {uuid.uuid4().hex}")
    await db.flush()
    return row


async def _case(db: AsyncSession, sealer: Sealer, host: Any, guest: Any, **values: Any) -> SanctuaryCase:
    row = await factories.sanctuary_case(db, sealer, host, guest, location_detail=f"Room {uuid.uuid4().hex}")
    row.legal_status_summary = await _sealed(db, sealer, row, "legal_status_summary", f"Order {uuid.uuid4().hex}")
    for key, value in values.items():
        setattr(row, key, value)
    await db.flush()
    return row


async def _seed(db: AsyncSession, sealer: Sealer) -> Seeded:
    seeded = Seeded()
    org = await factories.organization(db)
    closed: dict[str, Any] = {"status": IncidentStatus.CLOSED}
    seeded.due["reporter_contact"] = [
        await _incident(db, sealer, org, triaged_at=NOW - CONTACT - EPSILON),
        await _incident(db, sealer, org, triaged_at=NOW - CONTACT - EPSILON),
        await _incident(db, sealer, org, closed_at=NOW - CONTACT - EPSILON, **closed),  # closed untriaged
    ]
    seeded.kept["reporter_contact"] = [
        await _incident(db, sealer, org, triaged_at=NOW - CONTACT + EPSILON),
        await _incident(db, sealer, org),
    ]
    closed |= {"contact": False}  # (closed untriaged long ago, its contact would go too)
    seeded.due["exact_location"] = [await _incident(db, sealer, org, closed_at=NOW - LOCATION - EPSILON, **closed)]
    seeded.kept["exact_location"] = [await _incident(db, sealer, org, closed_at=NOW - LOCATION + EPSILON, **closed)]

    guest = await factories.person(db, sealer, org, legal_name=f"Ana {uuid.uuid4().hex}")
    requests = []
    for closed_at in (NOW - CLOSED - EPSILON, NOW - CLOSED + EPSILON, None):
        row = await factories.accompaniment_request(db, sealer, org, guest, notes=f"Notes {uuid.uuid4().hex}")
        row.closed_at, row.status = closed_at, AccompanimentStatus.COMPLETED if closed_at else row.status
        requests.append(row)
    seeded.due["accompaniment_notes"], seeded.kept["accompaniment_notes"] = requests[:1], requests[1:]

    host = await factories.congregation(db, org)
    seeded.due["sanctuary_case_details"] = [
        await _case(db, sealer, host, guest, status=SanctuaryCaseStatus.CLOSED, closed_at=NOW - CLOSED - EPSILON),
        await _case(db, sealer, host, guest, status=SanctuaryCaseStatus.DECLINED, updated_at=NOW - CLOSED - EPSILON),
        await _case(
            db,
            sealer,
            host,
            guest,
            status=SanctuaryCaseStatus.CLOSED,
            closed_at=NOW - CLOSED - EPSILON,
            location_detail=None,
        ),  # its summary goes, although it never had a location detail
    ]
    seeded.kept["sanctuary_case_details"] = [
        await _case(db, sealer, host, guest, status=SanctuaryCaseStatus.CLOSED, closed_at=NOW - CLOSED + EPSILON),
        await _case(db, sealer, host, guest, status=SanctuaryCaseStatus.DECLINED, updated_at=NOW - CLOSED + EPSILON),
        await _case(db, sealer, host, guest, status=SanctuaryCaseStatus.EXITED, exit_outcome="OTHER"),
    ]
    await _housekeeping(db, seeded, org, seeded.due["sanctuary_case_details"][0], seeded.kept["exact_location"][0])
    return seeded


async def _housekeeping(db: AsyncSession, seeded: Seeded, org: Any, case: SanctuaryCase, other: Any) -> None:
    admin = await factories.member(db, org, Role.ORG_ADMIN)
    keys = [
        IdempotencyKey(
            actor=f"member:{admin.id}",
            mutation="personCreate",
            key=uuid.uuid4().hex,
            request_digest=b"d",
            expires_at=NOW + delta,
        )
        for delta in (-EPSILON, EPSILON)
    ]
    tokens = [RevokedToken(jti=uuid.uuid4().hex, expires_at=NOW + delta) for delta in (-EPSILON, EPSILON)]
    kept_case = seeded.kept["sanctuary_case_details"][0]
    burns = [
        CaseBurnRequest(
            id=uuid.uuid4(), case_id=c.id, organization_id=org.id, requested_by_id=admin.id, expires_at=NOW + delta
        )
        for c, delta in ((case, -EPSILON), (kept_case, EPSILON))
    ]
    events = [
        DomainEvent(
            kind=EventKind.MEMBER_DEACTIVATED, record_type="member", record_id=admin.id, organization_ids=[org.id],
            occurred_at=NOW - EVENTS + delta,
        )
        for delta in (-EPSILON, EPSILON)
    ]  # fmt: skip
    db.add_all([*keys, *tokens, *burns, *events])
    await db.flush()
    codes, refresh_tokens, devices = await _oauth_rows(db, org, admin)
    housekeeping = (
        ("idempotency_keys", keys),
        ("revoked_tokens", tokens),
        ("burn_requests", burns),
        ("events", events),
        ("oauth_codes", codes),
        ("oauth_refresh_tokens", refresh_tokens),
        ("oauth_device_codes", devices),
    )
    for name, rows in housekeeping:
        seeded.due[name], seeded.kept[name] = rows[:1], rows[1:]


async def _oauth_rows(db: AsyncSession, org: Any, admin: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """Authorization codes, refresh tokens and device codes just past (due) and just inside (kept) their windows."""
    app, _secret = await create_client(db, org, name="App", scopes=["read"], max_roles=["ORG_ADMIN"],
                                       grants=["authorization_code", "device_code"], redirect_uris=["https://a.example/cb"])  # fmt: skip
    app_session = OAuthSession(id=uuid.uuid4(), member_id=admin.id, client_id=app.id, grant_type="authorization_code")
    db.add(app_session)
    await db.flush()
    codes = [
        OAuthAuthorizationCode(
            id=uuid.uuid4(), code_hash=uuid.uuid4().bytes, member_id=admin.id, client_id=app.id, redirect_uri="x",
            code_challenge="c", auth_time=NOW, expires_at=NOW - REFRESH + delta,
        )
        for delta in (-EPSILON, EPSILON)
    ]  # fmt: skip
    refresh_tokens = [
        OAuthRefreshToken(id=uuid.uuid4(), session_id=app_session.id, token_hash=uuid.uuid4().bytes,
                          expires_at=NOW + delta)
        for delta in (-EPSILON, EPSILON)
    ]  # fmt: skip
    devices = [
        OAuthDeviceCode(id=uuid.uuid4(), device_code_hash=uuid.uuid4().bytes, user_code_hash=uuid.uuid4().bytes,
                        client_id=app.id, expires_at=NOW + delta)
        for delta in (-EPSILON, EPSILON)
    ]  # fmt: skip
    db.add_all([*codes, *refresh_tokens, *devices])
    await db.flush()
    return codes, refresh_tokens, devices


FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "reporter_contact": (RapidResponseIncident, ("reporter_contact",)),
    "exact_location": (RapidResponseIncident, ("exact_location",)),
    "accompaniment_notes": (AccompanimentRequest, ("notes",)),
    "sanctuary_case_details": (SanctuaryCase, ("legal_status_summary", "location_detail")),
}
KEYS: dict[type[Any], Any] = {
    IdempotencyKey: IdempotencyKey.key,
    RevokedToken: RevokedToken.jti,
    CaseBurnRequest: CaseBurnRequest.id,
    DomainEvent: DomainEvent.id,
    OAuthAuthorizationCode: OAuthAuthorizationCode.id,
    OAuthRefreshToken: OAuthRefreshToken.id,
    OAuthDeviceCode: OAuthDeviceCode.id,
}


async def _holds(db: AsyncSession, policy: str, row: Any) -> bool:
    """Whether the row still holds any of its values (data policies) or still exists (housekeeping)."""
    if policy in FIELDS:
        model, columns = FIELDS[policy]
        values = (await db.execute(select(*(getattr(model, c) for c in columns)).where(model.id == row.id))).one()
        return any(value is not None for value in values)
    key = KEYS[type(row)]
    return await db.scalar(select(key).where(key == getattr(row, key.key))) is not None


async def _state(db: AsyncSession, seeded: Seeded) -> dict[str, tuple[list[bool], list[bool]]]:
    return {
        policy: (
            [await _holds(db, policy, row) for row in seeded.due[policy]],
            [await _holds(db, policy, row) for row in seeded.kept[policy]],
        )
        for policy in seeded.due
    }


async def test_a_purge_removes_exactly_what_the_policies_say_and_a_dry_run_counts_the_same(
    db: AsyncSession, sealer: Sealer, settings: Settings
) -> None:
    settings = settings.model_copy(update={"purge_batch_size": 2})  # several batches for the contacts
    baseline = await retention.apply(db, settings, NOW, dry_run=True)  # rows other tests committed
    seeded = await _seed(db, sealer)
    everything_held = {name: ([True] * len(seeded.due[name]), [True] * len(seeded.kept[name])) for name in seeded.due}
    assert await _state(db, seeded) == everything_held

    dry = await retention.apply(db, settings, NOW, dry_run=True)
    expected = {name: len(rows) for name, rows in seeded.due.items()}
    assert {name: dry[name] - baseline[name] for name in dry} == expected
    assert await _state(db, seeded) == everything_held
    assert await db.scalar(select(AuditEvent.id).where(AuditEvent.operation_name.like("retention.%"))) is None

    report = await retention.apply(db, settings, NOW)
    assert report == dry
    after = await _state(db, seeded)
    assert after == {name: ([False] * len(due), [True] * len(seeded.kept[name])) for name, due in seeded.due.items()}
    coarse = await db.scalars(select(RapidResponseIncident.coarse_area).where(
        RapidResponseIncident.id.in_([r.id for r in seeded.due["exact_location"]])
    ))  # fmt: skip
    assert all(coarse.all())  # the coarse area stays
    assert await retention.apply(db, settings, NOW, dry_run=True) == dict.fromkeys(report, 0)


async def test_a_real_run_audits_ids_and_fields_per_policy_never_values(
    db: AsyncSession, sealer: Sealer, settings: Settings
) -> None:
    seeded = await _seed(db, sealer)
    await retention.apply(db, settings, NOW)
    events = (await db.scalars(select(AuditEvent).where(AuditEvent.operation_name.like("retention.%")))).all()
    by_policy: dict[str, list[AuditEvent]] = {}
    for event in events:
        by_policy.setdefault(event.operation_name.removeprefix("retention."), []).append(event)  # type: ignore[union-attr]
    assert set(seeded.due) <= set(by_policy)
    assert all(e.actor_member_id is None and e.roles == [retention.SYSTEM_ROLE] for e in events)
    fields = {
        "reporter_contact": ["rapid_response_incident.reporter_contact"],
        "exact_location": ["rapid_response_incident.exact_location"],
        "accompaniment_notes": ["accompaniment_request.notes"],
        "sanctuary_case_details": ["sanctuary_case.legal_status_summary", "sanctuary_case.location_detail"],
    }
    for name, expected in fields.items():
        recorded = {i for e in by_policy[name] for i in e.record_ids}
        assert {r.id for r in seeded.due[name]} <= recorded
        assert not {r.id for r in seeded.kept[name]} & recorded
        assert all(e.fields == expected for e in by_policy[name])
        org_id = seeded.due[name][0].organization_id
        assert any(e.organization_id == org_id for e in by_policy[name])  # the organization's auditors see it
    burned = {i for e in by_policy["burn_requests"] for i in e.record_ids}
    assert seeded.due["burn_requests"][0].id in burned
