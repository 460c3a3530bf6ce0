"""Database engine and session factory, and what counts as the database being unavailable."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from api.settings import Settings

# SQLSTATEs of a server that cannot serve now: class 08 (connection exceptions) by prefix, plus too many
# connections, out of resources, administrator/crash shutdown, starting up or shutting down, and a statement
# cancelled by the statement timeout (the database is too slow to answer in time).
_UNAVAILABLE_SQLSTATES = frozenset({"53000", "53300", "57P01", "57P02", "57P03", "57014"})
_SET_STATEMENT_TIMEOUT = text("SELECT set_config('statement_timeout', :milliseconds, true)")


class DatabaseUnavailable(Exception):
    """The database could not serve a request (raised where the original failure was already handled)."""


def async_url(url: str) -> str:
    """Normalise any PostgreSQL URL to the asyncpg driver."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    statement_timeout_ms: int = 15_000,
    pool_timeout_s: float = 3.0,
    connect_timeout_s: float = 3.0,
) -> AsyncEngine:
    """An async engine on asyncpg with a server-side statement timeout; waiting for a connection fails fast."""
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout_s,
        pool_pre_ping=False,
        hide_parameters=True,  # exception messages never carry SQL parameter values
        connect_args={
            "timeout": connect_timeout_s,
            "server_settings": {"statement_timeout": str(statement_timeout_ms)},
        },
    )


def engine_from_settings(
    settings: Settings, url: str, *, maintenance: bool, pool_size: int | None = None
) -> AsyncEngine:
    """The service's engine (the short read statement timeout) or a maintenance engine (the longer one)."""
    return create_engine(
        url,
        pool_size=pool_size or settings.db_pool_size,
        statement_timeout_ms=settings.db_statement_timeout_ms if maintenance else settings.db_read_statement_timeout_ms,
        pool_timeout_s=settings.db_pool_timeout_s,
        connect_timeout_s=settings.db_connect_timeout_s,
    )


async def allow_maintenance_statements(session: AsyncSession | AsyncConnection, settings: Settings) -> None:
    """For the rest of this transaction, statements may run as long as maintenance work may."""
    await session.execute(_SET_STATEMENT_TIMEOUT, {"milliseconds": str(settings.db_statement_timeout_ms)})


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) means the database cannot serve now, rather than a bug."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 8:
        if isinstance(current, DatabaseUnavailable | PoolTimeoutError | OSError):  # OSError: refused, timed out
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:  # the connection was lost
            return True
        sqlstate = str(getattr(current, "sqlstate", "") or "")
        if sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES:
            return True
        current, seen = current.__cause__ or current.__context__, seen + 1
    return False


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that never expire loaded objects on commit (async-safe)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
