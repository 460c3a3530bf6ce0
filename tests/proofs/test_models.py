"""Every column declares its tier; every T3 column is sealed (encrypted in the application)."""

from __future__ import annotations

from sqlalchemy import LargeBinary

from api.models import Base
from api.models.base import Tier


def test_every_column_declares_a_tier() -> None:
    missing = [f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns if "tier" not in c.info]
    assert missing == []


def test_every_t3_column_is_sealed_ciphertext() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if column.info.get("tier") == Tier.T3:
                assert column.info.get("sealed"), f"{table.name}.{column.name}"
                assert isinstance(column.type, LargeBinary), f"{table.name}.{column.name}"
