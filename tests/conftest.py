"""Fixtures: a real PostgreSQL with the real migrations, one rolled-back transaction per test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.app import configure_state, create_app
from api.crypto import Sealer, sealer_from_settings
from api.db import create_engine
from api.logs import JsonFormatter, configure_logging
from api.ratelimit.policy import Policy, RateLimits
from api.settings import Settings
from tests.canaries import CANARIES
from tests.database import MigratedTemplate, migrated_template, test_server_url


class _Capture(logging.Handler):
    """Keeps every formatted log line of the session."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))
        self.lines.append(repr(record.args))


@pytest.fixture(scope="session", autouse=True)
def log_canaries() -> Iterator[_Capture]:
    """Production logging for the whole session; at the end, no canary value may appear in any line."""
    configure_logging(Settings(environment="production"), level=logging.DEBUG)
    capture = _Capture()
    capture.setFormatter(JsonFormatter())
    logging.getLogger().addHandler(capture)
    logging.getLogger("api.selftest").warning("log capture is active")
    assert capture.lines, "the log capture is not working"
    yield capture
    logging.getLogger().removeHandler(capture)
    text = "\n".join(capture.lines)
    leaked = sum(1 for value in CANARIES if value in text)
    if leaked:  # report the count only: the values themselves must not be printed either
        pytest.fail(f"{leaked} sensitive test values appeared in log output", pytrace=False)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    with test_server_url() as url:
        yield url


@pytest.fixture(scope="session")
async def template(server_url: str) -> AsyncIterator[MigratedTemplate]:
    """Fresh databases at head: copies of one the migrations built for this session."""
    async with migrated_template(server_url) as made:
        yield made


@pytest.fixture(scope="session")
async def database_url(template: MigratedTemplate) -> AsyncIterator[str]:
    async with template.copy() as url:
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    """Settings for the test session; the key-encryption key is generated at run time."""
    data_dir = tmp_path_factory.mktemp("data")
    unlimited = Policy(points=10_000_000)  # tests of the rate limits (tests/operations) set low ones
    limits = RateLimits(
        member=unlimited, app=unlimited, anonymous=unlimited, token_address=unlimited, token_client=unlimited,
        in_flight=10_000,
        signin_address=unlimited, signin_account=unlimited,
    )  # fmt: skip
    return Settings(database_url=database_url, data_dir=data_dir, environment="test", rate_limits=limits)


@pytest.fixture(scope="session")
def sealer(settings: Settings) -> Sealer:
    return sealer_from_settings(None, settings.resolved_key_file)


@pytest.fixture
async def connection(engine: AsyncEngine, sealer: Sealer) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()
            sealer.forget()  # keys created inside the rolled-back transaction are gone


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions joined to the test transaction: their commits become savepoint releases."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def db(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
def app(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings
) -> object:
    app = create_app(settings, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=sessionmaker, sealer=sealer, settings=settings)
    return app


@pytest.fixture
async def client(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


class StatementCounter:
    """Counts SQL statements sent on a connection (for N+1 tests)."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, *args: object) -> None:
        self.statements.append(str(args[2]))

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements(connection: AsyncConnection) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    sync_engine = connection.sync_connection
    assert sync_engine is not None
    event.listen(sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(sync_engine, "before_cursor_execute", counter)


@pytest.fixture(scope="session")
async def live_engine(template: MigratedTemplate) -> AsyncIterator[AsyncEngine]:
    """A second database for tests that really commit (concurrency), so that what they commit never
    shows up in the rolled-back tests' database."""
    async with template.copy() as url:
        engine = create_engine(url, pool_size=5)
        yield engine
        await engine.dispose()


@pytest.fixture
def live_sessions(live_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that really commit, on the live database (dropped at the end of the session)."""
    return async_sessionmaker(live_engine, expire_on_commit=False, autoflush=False)


@pytest.fixture(scope="session")
def live_sealer(settings: Settings) -> Sealer:
    """The live app's own sealer (same key-encryption key): its cached keys belong to the live database."""
    return sealer_from_settings(None, settings.resolved_key_file)


@pytest.fixture
async def live_client(
    live_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer, settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose requests run in their own, committed transactions on the live database."""
    app = create_app(settings, engine=live_engine, sealer=live_sealer)
    configure_state(app, engine=live_engine, sessionmaker=live_sessions, sealer=live_sealer, settings=settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
