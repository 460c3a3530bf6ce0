"""Input limits and record loading shared by the services: each failure is a user error naming the field.

Free text is stored as given (trimmed of surrounding blanks) and never interpreted; its length is
bounded. Lists hold at most :data:`MAX_ITEMS` items. Times must carry a time zone and fall in a
sensible window. Error messages never echo the value.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.viewer import Viewer
from api.auth.writable import writable
from api.services.shared.errors import UserFacingError

MAX_ITEMS = 100
T = TypeVar("T")


def invalid(field: str, message: str) -> UserFacingError:
    """An INVALID_INPUT user error for ``field``."""
    return UserFacingError("INVALID_INPUT", message, field)


def text(value: str, field: str, *, max_length: int, min_length: int = 1) -> str:
    """A required free-text value, trimmed, between ``min_length`` and ``max_length`` characters."""
    trimmed = value.strip()
    if not min_length <= len(trimmed) <= max_length:
        raise invalid(field, f"Give {min_length} to {max_length} characters.")
    return trimmed


def optional_text(value: str | None, field: str, *, max_length: int) -> str | None:
    """An optional free-text value: None or blank means none."""
    if value is None or not value.strip():
        return None
    return text(value, field, max_length=max_length)


def no_nul(value: Any, field: str) -> None:
    """INVALID_INPUT when any text in ``value`` (a string, list or input object) holds a NUL character,
    which PostgreSQL cannot store."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                raise invalid(field, "Text may not contain the NUL character.")
        elif isinstance(current, list | tuple):
            stack.extend(current)
        elif dataclasses.is_dataclass(current) and not isinstance(current, type):
            stack.extend(getattr(current, item.name) for item in dataclasses.fields(current))


def items(values: Sequence[T] | None, field: str, *, max_items: int = MAX_ITEMS, min_items: int = 0) -> list[T]:
    """A list of at most ``max_items`` distinct items."""
    values = list(values or [])
    if not min_items <= len(values) <= max_items:
        raise invalid(field, f"Give {min_items} to {max_items} items.")
    if len(set(values)) != len(values):
        raise invalid(field, "Give each item once.")
    return values


def languages(values: Sequence[str] | None, field: str = "languages") -> list[str]:
    """Language codes (BCP 47 tags such as ``es`` or ``pt-BR``), at most 20."""
    codes = [value.strip() for value in items(values, field, max_items=20)]
    if any(not 2 <= len(code) <= 16 or not code.replace("-", "").isalnum() for code in codes):
        raise invalid(field, "Give language tags such as `es` or `pt-BR`.")
    return codes


def moment(
    value: datetime, field: str, *, past: timedelta = timedelta(days=366), future: timedelta = timedelta(days=3 * 366)
) -> datetime:
    """A time with a time zone, no further than ``past`` before and ``future`` after now."""
    if value.tzinfo is None:
        raise invalid(field, "Give a time with a time zone offset.")
    now = datetime.now(UTC)
    if not now - past <= value <= now + future:
        raise invalid(field, "The time is outside the accepted range.")
    return value


def touch(row: Any) -> None:
    """Make the row's version move although only its children changed (a supporter, a sign-up, an offer), so
    partners that sync with ``updatedSince`` and writers holding the old ``expectedVersion`` see the change."""
    row.updated_at = datetime.now(UTC)


def expect_version(row: Any, expected: int | None) -> None:
    """CONFLICT when the caller read an older version of ``row`` than the one stored."""
    if expected is not None and expected != row.version:
        raise UserFacingError(
            "CONFLICT", "Someone changed the record since you read it: read it again and retry.", "expectedVersion"
        )


async def load_for_change(
    session: AsyncSession,
    viewer: Viewer,
    model: type[T],
    mutation: str,
    record_id: uuid.UUID,
    field: str = "id",
    *,
    expected_version: int | None = None,
) -> T:
    """The row the viewer may change through ``mutation``, locked; NOT_FOUND otherwise (same as no row),
    CONFLICT when the caller read an older version than ``expected_version``."""
    row = await session.scalar(writable(viewer, model, mutation).where(model.id == record_id))  # type: ignore[attr-defined]
    if row is None:
        raise UserFacingError("NOT_FOUND", "No record you may change has this id.", field)
    expect_version(row, expected_version)
    return row  # type: ignore[no-any-return]
