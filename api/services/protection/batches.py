"""Keyset windows and row estimates for maintenance work on large tables.

Every statement of a maintenance run must fit the statement timeout however large the table: work
goes window by window along the primary key (``id > after AND id <= last``: an index range, never an
OFFSET or a scan of the whole table), and progress bars are sized from the catalogue's estimate
(``pg_class.reltuples``), never from ``count(*)``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Table, and_, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

FIRST = uuid.UUID(int=0)  # below every id
_ESTIMATE = text("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(:table)")


async def next_window(session: AsyncSession, table: Table, after: uuid.UUID, size: int) -> tuple[uuid.UUID, int] | None:
    """The last id and the number of the next ``size`` rows after ``after`` (by primary key); None past the end."""
    ids = select(table.c.id).where(table.c.id > after).order_by(table.c.id).limit(size).subquery()
    row = (await session.execute(select(ids.c.id, func.count().over()).order_by(ids.c.id.desc()).limit(1))).first()
    return None if row is None else (row[0], row[1])


def in_window(table: Table, after: uuid.UUID, last: uuid.UUID) -> ColumnElement[bool]:
    """The rows of the window ``(after, last]``."""
    return and_(table.c.id > after, table.c.id <= last)


async def estimated_rows(session: AsyncSession, *tables: Table) -> int | None:
    """The catalogue's estimate of the rows in ``tables`` (for a progress bar); None if never analysed."""
    total = 0
    for table in tables:
        estimate = await session.scalar(_ESTIMATE, {"table": table.name})
        if estimate is None or estimate < 0:
            return None
        total += int(estimate)
    return total
