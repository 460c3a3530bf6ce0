"""Inserting a row whose unique values may be taken concurrently: the database decides, the caller gets a user error.

A service checks uniqueness first (the common case), but two requests may pass that check at once.
The second INSERT then waits on the unique index until the first commits and fails; here that
failure becomes the user error the service chose for the constraint, and the savepoint keeps the
request's transaction usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.services.shared.errors import UserFacingError

UNIQUE_VIOLATION = "23505"


async def insert_unique(session: AsyncSession, row: Any, errors: Mapping[str, UserFacingError]) -> None:
    """Add and flush ``row``; a unique violation of a constraint named in ``errors`` raises that error."""
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as error:
        constraint = _violated_constraint(error)
        if constraint is not None and constraint in errors:
            raise errors[constraint] from None
        raise


def _violated_constraint(error: IntegrityError) -> str | None:
    """The name of the unique constraint ``error`` violated (asyncpg reports it on the cause)."""
    cause = getattr(error.orig, "__cause__", None)
    if getattr(cause, "sqlstate", None) != UNIQUE_VIOLATION:
        return None
    name = getattr(cause, "constraint_name", None)
    return name if isinstance(name, str) else None
