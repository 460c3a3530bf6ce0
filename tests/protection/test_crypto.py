"""Sealed (T3) values: round trip, binding to their row, and the blind index."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import DecryptionError, Kek, Sealer, generate_master_key
from api.models import DataKey, Organization, Region
from api.models.enums import OrganizationKind


async def _org(db: AsyncSession) -> Organization:
    region = Region(id=uuid.uuid4(), name="Test County", code=f"test-{uuid.uuid4().hex[:6]}")
    org = Organization(id=uuid.uuid4(), name="Test Org", kind=OrganizationKind.LEGAL_AID, region_id=region.id)
    db.add_all([region, org])
    await db.flush()
    return org


async def test_sealed_value_round_trips_and_hides_plaintext(db: AsyncSession, sealer: Sealer) -> None:
    org = await _org(db)
    record = uuid.uuid4()
    sealed = await sealer.seal(db, org.id, record, "person.legal_name", "Canary Quetzal-Ruiz")
    assert sealed is not None
    assert b"Canary" not in sealed
    assert await sealer.open(db, org.id, record, "person.legal_name", sealed) == "Canary Quetzal-Ruiz"


@pytest.mark.parametrize("move", ["record", "column", "organization"])
async def test_ciphertext_moved_elsewhere_fails_to_decrypt(db: AsyncSession, sealer: Sealer, move: str) -> None:
    org, other = await _org(db), await _org(db)
    record = uuid.uuid4()
    sealed = await sealer.seal(db, org.id, record, "person.legal_name", "secret")
    target = {
        "record": (org.id, uuid.uuid4(), "person.legal_name"),
        "column": (org.id, record, "person.a_number"),
        "organization": (other.id, record, "person.legal_name"),
    }[move]
    with pytest.raises(DecryptionError):
        await sealer.open(db, *target, sealed)


async def test_tampered_ciphertext_fails(db: AsyncSession, sealer: Sealer) -> None:
    org = await _org(db)
    record = uuid.uuid4()
    sealed = bytearray(await sealer.seal(db, org.id, record, "x.y", "secret") or b"")
    sealed[-1] ^= 1
    with pytest.raises(DecryptionError):
        await sealer.open(db, org.id, record, "x.y", bytes(sealed))


async def test_blind_index_matches_normalised_a_numbers_only(db: AsyncSession, sealer: Sealer) -> None:
    a = await sealer.blind_index(db, "A-123-456-789")
    assert a == await sealer.blind_index(db, "a123456789")
    assert a != await sealer.blind_index(db, "A-123-456-780")


async def test_a_new_data_key_is_wrapped_by_the_newest_key_encryption_key(db: AsyncSession) -> None:
    new, old = Kek.from_text(generate_master_key()), Kek.from_text(generate_master_key())
    org = await _org(db)
    rotating = Sealer([new, old])  # newest first, while the operator rotates the key-encryption key
    sealed = await rotating.seal(db, org.id, uuid.uuid4(), "person.legal_name", "Canary Quetzal-Ruiz")
    assert sealed is not None
    key = await db.scalar(select(DataKey).where(DataKey.organization_id == org.id, DataKey.active))
    assert key is not None
    assert key.kek_id == new.kek_id
    new.unwrap(key.wrapped_key, key.id)  # the new key alone opens it
