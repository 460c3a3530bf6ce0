"""Key rotation and re-encryption keep every sealed value readable, on a committed demo network.

These commands commit batch by batch, so each test gets its own fresh database (not the session's
rolled-back one) seeded with the demo network, whose values fill every sealed column across several
organizations.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from api.auth.signing import SigningKeys
from api.crypto import DecryptionError, Sealer, parse_master_keys
from api.models import DataKey, Person, SigningKey
from api.services.protection.keys import KeyRotationError, rewrap_all
from api.services.protection.reencrypt import (
    count_stale,
    reencrypt,
    reseal,
    retire_data_keys,
    rotate_data_keys,
    sealed_columns,
)
from api.services.protection.reindex import reindex
from tests.canaries import canary
from tests.database import MigratedTemplate
from tests.keyring import Network, new_kek, read_all, seeded_network

NOW = timedelta(0)


@pytest.fixture
async def network(template: MigratedTemplate) -> AsyncIterator[Network]:
    async with seeded_network(template, new_kek()) as net:
        yield net


async def _key_ids(net: Network, *, active: bool | None = None) -> set[uuid.UUID]:
    async with net.sessions() as session:
        statement = select(DataKey.id).where(DataKey.purpose == "DATA")
        if active is not None:
            statement = statement.where(DataKey.active.is_(active))
        return set((await session.scalars(statement)).all())


async def _named_key_ids(net: Network) -> set[uuid.UUID]:
    async with net.sessions() as session:
        found: set[uuid.UUID] = set()
        for _table, columns in sealed_columns():
            for column in columns:
                values = (await session.scalars(select(column).where(column.is_not(None)))).all()
                found |= {uuid.UUID(bytes=value[1:17]) for value in values}
        return found


async def test_every_sealed_column_is_filled_across_several_organizations(network: Network) -> None:
    async with network.sessions() as session:
        for table, columns in sealed_columns():
            for column in columns:
                orgs = await session.scalar(
                    select(func.count(table.c.organization_id.distinct())).where(column.is_not(None))
                )
                assert orgs, f"{table.name}.{column.name} is empty in the demo"
        assert len(await _key_ids(network)) >= 2
    assert await read_all(network, Sealer([network.kek])) == Counter(network.plaintexts)


async def test_rotation_rewraps_every_key_so_the_new_kek_alone_reads_everything(network: Network) -> None:
    old, new = network.kek, new_kek()
    both = Sealer([new, old])
    assert await read_all(network, both) == Counter(network.plaintexts)  # an instance on (new, old) before

    report = await rewrap_all(network.sessions, [new, old], batch=2)
    async with network.sessions() as session:
        every_key = await session.scalar(select(func.count()).select_from(DataKey))  # data and blind-index keys
    assert (report.data_keys, report.signing_keys, report.remaining) == (every_key, 1, 0)
    assert "Rewrapped" in str(report)

    assert await read_all(network, both) == Counter(network.plaintexts)  # the same instance, after
    assert await read_all(network, Sealer([new])) == Counter(network.plaintexts)
    async with network.sessions() as session:
        assert await SigningKeys(Sealer([new])).signing_key(session) is not None
        assert set((await session.scalars(select(SigningKey.kek_id))).all()) == {new.kek_id}
    with pytest.raises(DecryptionError):
        await read_all(network, Sealer([old]))

    again = await rewrap_all(network.sessions, [new, old])  # idempotent
    assert (again.data_keys, again.signing_keys, again.remaining) == (0, 0, 0)


async def test_rotation_refuses_keys_wrapped_by_a_kek_it_does_not_have(network: Network) -> None:
    with pytest.raises(KeyRotationError):
        await rewrap_all(network.sessions, [new_kek()])
    assert await read_all(network, Sealer([network.kek])) == Counter(network.plaintexts)


async def test_reencryption_moves_every_value_to_new_keys_and_retires_the_old(network: Network) -> None:
    old_keys = await _key_ids(network)
    stamps = await _versions(network)
    sealer = Sealer([network.kek])

    report = await reencrypt(network.sessions, sealer, retire=True, grace=NOW, batch=7)

    assert report.new_keys == len(old_keys)
    assert report.rows == sum(len(rows) for rows in stamps.values())  # every row holding a sealed value
    assert (report.retired, report.still_used) == (len(old_keys), 0)
    assert not old_keys & await _key_ids(network)  # the old data keys are gone from the table
    assert await _named_key_ids(network) <= await _key_ids(network, active=True)
    assert await read_all(network, Sealer([network.kek])) == Counter(network.plaintexts)
    assert await _versions(network) == stamps  # version and updated_at untouched: the records did not change


async def _versions(net: Network) -> dict[str, Counter[tuple[uuid.UUID, int, object]]]:
    async with net.sessions() as session:
        found: dict[str, Counter[tuple[uuid.UUID, int, object]]] = {}
        for table, columns in sealed_columns():
            filled = func.coalesce(*columns).is_not(None)
            rows = await session.execute(select(table.c.id, table.c.version, table.c.updated_at).where(filled))
            found[table.name] = Counter((row.id, row.version, row.updated_at) for row in rows)
        return found


async def test_an_interrupted_reencryption_resumes_and_finishes(network: Network) -> None:
    old_keys = await _key_ids(network)
    sealer = Sealer([network.kek])
    assert await rotate_data_keys(network.sessions, sealer) == len(old_keys)
    async with network.sessions() as session:
        before = await count_stale(session)
    resealed = await reseal(network.sessions, sealer, batch=5, max_batches=1)  # stopped after one window
    assert 0 < resealed <= 5  # the window's 5 rows, those holding sealed values
    async with network.sessions() as session:
        assert await count_stale(session) == before - resealed

    report = await reencrypt(network.sessions, Sealer([network.kek]), resume=True, retire=True, grace=NOW)

    assert (report.new_keys, report.rows, report.retired) == (0, before - resealed, len(old_keys))
    async with network.sessions() as session:
        assert await count_stale(session) == 0
    assert await read_all(network, Sealer([network.kek])) == Counter(network.plaintexts)


async def test_old_keys_still_named_by_a_value_or_within_the_grace_period_are_kept(network: Network) -> None:
    old_keys = await _key_ids(network)
    await rotate_data_keys(network.sessions, Sealer([network.kek]))
    assert await retire_data_keys(network.sessions, timedelta(hours=1)) == (0, 0)  # just deactivated
    assert await retire_data_keys(network.sessions, NOW) == (0, len(old_keys))  # values still use them
    assert old_keys <= await _key_ids(network)
    assert await read_all(network, Sealer([network.kek])) == Counter(network.plaintexts)


async def _only_the_locked_row_is_left(network: Network, task: asyncio.Task[int]) -> None:
    """Return once every stale person but the one a writer holds is re-sealed, with ``task`` still retrying."""
    async with network.sessions() as observer:
        for _ in range(1000):
            assert not task.done(), "the re-encryption ended instead of waiting for the locked row"
            if await count_stale(observer, "person") == 1:
                return
            await observer.rollback()  # a new snapshot for the next count
            await asyncio.sleep(0.01)
    raise AssertionError("the re-encryption did not get past the other persons within 10 s")


async def test_a_live_writer_holding_a_row_is_not_clobbered(network: Network) -> None:
    sealer = Sealer([network.kek])
    async with network.sessions() as writer:
        person = await writer.scalar(select(Person).where(Person.legal_name.is_not(None)).with_for_update().limit(1))
        assert person is not None
        old_key = uuid.UUID(bytes=(person.legal_name or b"")[1:17])
        await rotate_data_keys(network.sessions, sealer)
        task = asyncio.create_task(reseal(network.sessions, sealer, batch=50))
        await _only_the_locked_row_is_left(network, task)  # the re-encryption skipped it and now waits for it
        written = canary("Writer Revised Legal-Name")
        assert written is not None
        stale = Sealer([network.kek])  # an instance that still seals with the old key
        await stale.load(writer, old_key)
        value = stale.seal_with(old_key, person.organization_id, person.id, "person.legal_name", written)
        await writer.execute(update(Person).where(Person.id == person.id).values(legal_name=value))
        await writer.commit()
    await asyncio.wait_for(task, 30)
    async with network.sessions() as session:
        row = await session.get(Person, person.id)
        assert row is not None
        assert row.legal_name is not None
        assert uuid.UUID(bytes=row.legal_name[1:17]) in await _key_ids(network, active=True)
        assert await sealer.open(session, row.organization_id, row.id, "person.legal_name", row.legal_name) == written


async def test_blind_index_rotation_recomputes_every_index(network: Network) -> None:
    async with network.sessions() as session:
        before = {row.id: row.a_number_index for row in await session.execute(select(Person.id, Person.a_number_index))}
        old_key = await session.scalar(select(DataKey.id).where(DataKey.purpose == "BLIND_INDEX"))
    sealer = Sealer([network.kek])

    report = await reindex(network.sessions, sealer, retire=True, grace=NOW, batch=3)

    assert (report.new_keys, report.rows, report.retired) == (1, sum(v is not None for v in before.values()), 1)
    fresh = Sealer([network.kek])
    async with network.sessions() as session:
        assert await session.get(DataKey, old_key) is None
        for person in (await session.scalars(select(Person))).all():
            a_number = await fresh.open(session, person.organization_id, person.id, "person.a_number", person.a_number)
            if a_number is None:
                assert person.a_number_index is None
                continue
            assert person.a_number_index == await fresh.blind_index(session, a_number)
            assert person.a_number_index != before[person.id]


async def test_running_instances_pick_up_a_rotation_once_their_cache_expires(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = Sealer([network.kek])
    async with network.sessions() as session:
        org_id = await session.scalar(select(Person.organization_id).limit(1))
        assert org_id is not None
        before = await running.active_key_id(session, org_id)
        await rotate_data_keys(network.sessions, Sealer([network.kek]))
        assert await running.active_key_id(session, org_id) == before  # cached for ACTIVE_KEY_TTL
        monkeypatch.setattr("api.crypto.ACTIVE_KEY_TTL", 0.0)
        assert await running.active_key_id(session, org_id) in await _key_ids(network, active=True)


def test_master_keys_are_separated_by_commas_or_lines() -> None:
    assert parse_master_keys(" a,b\n") == ["a", "b"]
    assert parse_master_keys("a\nb\n\n") == ["a", "b"]


async def test_reencryption_with_a_wrong_kek_changes_nothing(network: Network) -> None:
    keys = await _key_ids(network)
    with pytest.raises(KeyRotationError):
        await reencrypt(network.sessions, Sealer([new_kek()]), retire=True, grace=NOW)
    with pytest.raises(KeyRotationError):
        await reindex(network.sessions, Sealer([new_kek()]), grace=NOW)
    assert await _key_ids(network) == keys
    assert await read_all(network, Sealer([network.kek])) == Counter(network.plaintexts)
