"""Read-only row objects: what queries return to resolvers, without ORM instance bookkeeping.

Building an ORM entity per row (instance state, identity map) was a third of the service's CPU
on a 100-row page. Reads select the table's columns and wrap each row in a slotted record
with the same attribute names as the model; writes keep using ORM entities. Types accept both.
"""

from __future__ import annotations

from typing import Any

_RECORDS: dict[type[Any], type[Any]] = {}
_PARTIAL: dict[tuple[type[Any], tuple[str, ...]], type[Any]] = {}


class Record:
    """Base of the per-model record classes; ``__model__`` names the model a record was read from and
    ``_loaded`` the columns it holds (all of them, except in a partial record)."""

    __slots__ = ()
    __model__: type[Any]
    _loaded: frozenset[str]
    _complete: bool


def record_class(model: type[Any]) -> type[Any]:
    """The record class of ``model`` (created once): slots named like the model's columns."""
    existing = _RECORDS.get(model)
    if existing is not None:
        return existing
    keys = tuple(column.key for column in model.__table__.columns)
    namespace = _holding(keys, complete=True) | {"__slots__": keys, "__model__": model}
    cls = type(f"{model.__name__}Record", (Record,), namespace)
    _RECORDS[model] = cls
    return cls


def partial_record_class(model: type[Any], keys: tuple[str, ...]) -> type[Any]:
    """A record class of ``model`` holding only ``keys`` (in table order); reading any other column raises
    AttributeError, so a resolver that needs an unread column fails loudly instead of seeing null."""
    existing = _PARTIAL.get((model, keys))
    if existing is not None:
        return existing
    full = record_class(model)
    namespace = _holding(keys, complete=frozenset(keys) == full._loaded) | {"__slots__": ()}
    cls = type(f"{model.__name__}PartialRecord", (full,), namespace)
    _PARTIAL[(model, keys)] = cls
    return cls


def _holding(keys: tuple[str, ...], *, complete: bool) -> dict[str, Any]:
    """The class attributes of a record holding ``keys``: an ``__init__`` taking them in order, and what it holds."""
    namespace: dict[str, Any] = {"_keys": keys, "_loaded": frozenset(keys), "_complete": complete}
    body = "\n".join(f"    self.{key} = {key}" for key in keys)
    exec(f"def __init__(self, {', '.join(keys)}):\n{body}", namespace)  # noqa: S102 (generated from column names)
    return namespace


def holds(row: Any, needs: frozenset[str] | None) -> bool:
    """Whether ``row`` (a record, or None for an unreadable one) has the columns ``needs`` (None: all)."""
    if row is None:
        return True
    return bool(row._complete) if needs is None else needs <= row._loaded


def model_of(row: Any) -> type[Any]:
    """The model a row belongs to, whether it is an ORM entity or a record."""
    return row.__model__ if isinstance(row, Record) else type(row)
