"""The demo network and the benchmark scale seed, on a real PostgreSQL."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.tokens import viewer_for_personal_token
from api.crypto import FORMAT_VERSION, Sealer
from api.db import create_engine, session_factory
from api.models import (
    AccompanimentAssignment,
    AccompanimentRequest,
    AdvocacyAction,
    Base,
    Organization,
    Person,
    RapidResponseIncident,
    SanctuaryCase,
    Training,
)
from api.models.enums import OrganizationKind, Role, SanctuaryCaseStatus, TrainingKind, Verification
from api.seed.demo import DemoSeed, demo_email, seed_demo
from api.seed.scale import asyncpg_dsn, seed_scale
from tests.canaries import canary
from tests.database import MigratedTemplate

SEALED = {
    table.name: [column for column in table.columns if column.info.get("sealed")]
    for table in Base.metadata.sorted_tables
}
SEALED = {name: columns for name, columns in SEALED.items() if columns}
# critical values the demo leaves empty on purpose: a citizen child's A-number, the room of guests not in
# sanctuary, and the reporter contact of incidents past triage (purged)
MAY_BE_EMPTY = {
    ("person", "a_number"),
    ("sanctuary_case", "location_detail"),
    ("rapid_response_incident", "reporter_contact"),
}


async def _seeded(db: AsyncSession, sealer: Sealer) -> DemoSeed:
    seeded = await seed_demo(db, sealer)
    assert seeded is not None
    for value in [*seeded.sealed_plaintexts, *seeded.tokens.values()]:
        canary(value)  # never to appear in a log line (checked at the end of the session)
    return seeded


async def test_demo_gives_a_working_token_per_role_and_runs_once(db: AsyncSession, sealer: Sealer) -> None:
    seeded = await _seeded(db, sealer)
    assert set(seeded.tokens) == {role.value for role in Role}
    for role, secret in seeded.tokens.items():
        viewer = await viewer_for_personal_token(db, secret)
        assert viewer is not None
        assert viewer.roles == frozenset({Role(role)})
        assert seeded.emails[role] == demo_email(Role(role))
    assert await seed_demo(db, sealer) is None
    assert seeded.counts["organization"] == await db.scalar(select(func.count()).select_from(Organization))


async def test_demo_network_has_the_documented_shape(db: AsyncSession, sealer: Sealer) -> None:
    await _seeded(db, sealer)
    kinds = Counter((await db.scalars(select(Organization.kind))).all())
    assert kinds[OrganizationKind.CONGREGATION] == 4
    assert kinds[OrganizationKind.LEGAL_AID] == 2
    assert kinds[OrganizationKind.NETWORK_HUB] == kinds[OrganizationKind.RAPID_RESPONSE] == 1
    statuses = set((await db.scalars(select(SanctuaryCase.status))).all())
    assert SanctuaryCaseStatus.IN_SANCTUARY in statuses
    linked = (
        await db.scalars(select(AdvocacyAction.sanctuary_case_id).where(AdvocacyAction.sanctuary_case_id.is_not(None)))
    ).all()
    assert len(linked) == 1
    assert (await db.get(SanctuaryCase, linked[0])).public_story_consent  # type: ignore[union-attr]
    assert await db.scalar(select(func.count()).select_from(AccompanimentRequest)) == 12
    broadcast = (await db.execute(select(RapidResponseIncident.verification, RapidResponseIncident.broadcast_at))).all()
    assert all((when is not None) == (verification is Verification.CONFIRMED) for verification, when in broadcast)


async def test_demo_assigns_only_volunteers_with_a_current_accompaniment_training(
    db: AsyncSession, sealer: Sealer
) -> None:
    await _seeded(db, sealer)
    trained = (
        select(Training.member_id)
        .where(Training.kind == TrainingKind.ACCOMPANIMENT, Training.expires_at > func.now())
        .scalar_subquery()
    )
    assignments = select(func.count()).select_from(AccompanimentAssignment)
    assert (await db.scalar(assignments) or 0) > 0
    assert await db.scalar(assignments.where(AccompanimentAssignment.member_id.not_in(trained))) == 0


async def test_demo_seals_every_critical_value(db: AsyncSession, sealer: Sealer) -> None:
    seeded = await _seeded(db, sealer)
    opened: list[str] = []
    empty: set[tuple[str, str]] = set()
    for table_name, columns in SEALED.items():
        table = Base.metadata.tables[table_name]
        for row in (await db.execute(select(table.c.id, table.c.organization_id, *columns))).mappings():
            for column in columns:
                value = row[column.name]
                if value is None:
                    empty.add((table_name, column.name))
                    continue
                assert value[0] == FORMAT_VERSION
                qualified = f"{table_name}.{column.name}"
                opened.append(await sealer.open(db, row["organization_id"], row["id"], qualified, value))  # type: ignore[arg-type]
    assert empty <= MAY_BE_EMPTY
    assert Counter(opened) == Counter(seeded.sealed_plaintexts)
    assert len(seeded.sealed_plaintexts) >= 50


async def test_no_sealed_plaintext_is_stored_in_clear(db: AsyncSession, sealer: Sealer) -> None:
    seeded = await _seeded(db, sealer)
    everything: list[str] = []
    for table in Base.metadata.sorted_tables:
        everything += (await db.scalars(select(table.table_valued().cast(Text)))).all()
    assert any("Renata Solis-Whitcombe" in row for row in everything)  # a member's legal name (T2) is in clear
    for row in everything:
        leaked = [value for value in seeded.sealed_plaintexts if value in row]
        assert not leaked, leaked


async def test_scale_seed_writes_the_documented_counts_next_to_the_demo(
    template: MigratedTemplate, sealer: Sealer
) -> None:
    own_sealer = Sealer(sealer.keks)  # a fresh key cache: this database is not the session's
    async with template.copy() as url:
        engine = create_engine(url, pool_size=1)
        try:
            async with session_factory(engine)() as session:
                assert await seed_demo(session, own_sealer) is not None
                await session.commit()
            first = await seed_scale(url, own_sealer, 200, progress=False)
            second = await seed_scale(url, own_sealer, 200, progress=False)
            assert first.requests == second.requests == 200
            assert first.incidents == second.incidents == 2000
            assert first.run != second.run
            assert "2,000" in str(first)
            await _check_scale(engine, own_sealer, first.counts)
        finally:
            await engine.dispose()


async def _check_scale(engine: object, sealer: Sealer, counts: dict[str, int]) -> None:
    async with session_factory(engine)() as session:  # type: ignore[arg-type]
        requests = await session.scalar(select(func.count()).select_from(AccompanimentRequest))
        incidents = await session.scalar(select(func.count()).select_from(RapidResponseIncident))
        assert requests == 2 * 200 + 12
        assert incidents == 2 * 2000 + 8
        assert counts["person"] == 100
        assert counts["accompaniment_assignment"] > 0
        incident = await session.scalar(
            select(RapidResponseIncident).order_by(RapidResponseIncident.created_at).limit(1)
        )
        assert incident is not None
        column = "rapid_response_incident.exact_location"
        location = await sealer.open(session, incident.organization_id, incident.id, column, incident.exact_location)
        assert location is not None
        assert incident.coarse_area in location
        person = await session.scalar(select(Person).where(Person.a_number.is_not(None)).limit(1))
        assert person is not None
        a_number = await sealer.open(session, person.organization_id, person.id, "person.a_number", person.a_number)
        assert a_number is not None
        assert person.a_number_index == await sealer.blind_index(session, a_number)


def test_asyncpg_dsn_drops_the_driver() -> None:
    assert asyncpg_dsn("postgresql+asyncpg://u:p@h:5432/d") == "postgresql://u:p@h:5432/d"
    socket = "postgresql://postgres:@/postgres?host=/tmp/x"
    assert asyncpg_dsn(socket) == socket
