"""Declarative base, common columns and the per-column sensitivity declaration.

Every column declares its tier exactly once, through :func:`field` or :func:`sealed`.
The tier drives field access, audit, encryption and retention; ``tests/proofs/test_models.py``
fails when a column has none or when a T3 column is not sealed (encrypted).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Enum, Integer, LargeBinary, MetaData, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Tier(enum.IntEnum):
    """Sensitivity tier of a stored value (see the domain specification)."""

    T0 = 0  # public
    T1 = 1  # any authenticated member of the network
    T2 = 2  # the owning organization and those assigned
    T3 = 3  # critical: encrypted at rest, every read audited


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def field(tier: Tier, *args: Any, **kwargs: Any) -> Any:
    """A column with its sensitivity tier declared. T3 values must use :func:`sealed`."""
    if tier is Tier.T3:
        raise ValueError("T3 columns are encrypted: declare them with sealed()")
    info = kwargs.pop("info", {})
    return mapped_column(*args, info={**info, "tier": tier}, **kwargs)


def column_tier(column: Any) -> Tier:
    """The tier declared on a mapped column attribute (e.g. ``Person.legal_name``)."""
    return Tier(column.property.columns[0].info["tier"])


def storage_name(column: Any) -> str:
    """The ``table.column`` name of a column: it binds a sealed value to its column (it is part of the
    ciphertext's associated data, see ``api.crypto``) and is the key the field rule's ``GRANTS`` use.

    Accepts a mapped attribute (e.g. ``Person.legal_name``) or a Core ``Column``.
    """
    col = column.property.columns[0] if hasattr(column, "property") else column
    return f"{col.table.name}.{col.name}"


def sealed(**kwargs: Any) -> Any:
    """A T3 column: AES-256-GCM ciphertext produced by ``api.crypto`` before it reaches the database."""
    return mapped_column(LargeBinary, nullable=True, info={"tier": Tier.T3, "sealed": True}, **kwargs)


def enum_column(enum_cls: type[enum.StrEnum], tier: Tier, **kwargs: Any) -> Any:
    """An enum stored as text with a CHECK constraint (adding a value needs no type migration)."""
    column_type = Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=32,
        name=_snake(enum_cls.__name__),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
    return field(tier, column_type, **kwargs)


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


class Entity(Base):
    """Random UUID id, created/updated timestamps and a version for optimistic locking."""

    __abstract__ = True

    id: Mapped[uuid.UUID] = field(
        Tier.T0,
        UUID(as_uuid=True),
        primary_key=True,
        default=uuid.uuid4,
        server_default=text("gen_random_uuid()"),
    )
    created_at: Mapped[datetime] = field(Tier.T1, DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = field(
        Tier.T1, DateTime(timezone=True), nullable=False, server_default=func.now(), onupdate=func.now()
    )
    version: Mapped[int] = field(Tier.T1, Integer, nullable=False, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


def uuid_fk(target: str, tier: Tier = Tier.T1, *, nullable: bool = False, **kwargs: Any) -> Any:
    """A foreign key column to ``target`` (``table.id``), indexed."""
    from sqlalchemy import ForeignKey

    ondelete = kwargs.pop("ondelete", "RESTRICT")
    return field(
        tier,
        UUID(as_uuid=True),
        ForeignKey(target, ondelete=ondelete),
        nullable=nullable,
        index=True,
        **kwargs,
    )
