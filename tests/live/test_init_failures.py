"""A connection the service cannot initialise because its database failed (a statement cancelled while the
credential is looked up, or while the connection is admitted) is closed 1013, "try again later": told apart from
a refused credential (4401/4403), logged with the exception's type only.

The failures are real: the instance's statements give up after ``STATEMENT_MS`` (its read statement timeout) and
the test holds the lock the statement waits for, as an overloaded database would make it wait."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Executable, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.crypto import Sealer
from api.models.enums import OrganizationKind, Role
from api.ratelimit.connections import KEY_LABEL, LOCK_CLASS, lock_id, member_key
from api.settings import Settings
from tests import factories as f
from tests.live.harness import Served, open_live, serving

STATEMENT_MS = 300
TRY_AGAIN_LATER = 1013
Sessions = async_sessionmaker[AsyncSession]


@dataclass
class Caller:
    """A member's token and the advisory lock its admits take."""

    token: str
    lock: int


@pytest.fixture(scope="module")
def impatient(live_settings: Settings) -> Iterator[Served]:
    """An instance whose service statements are cancelled after ``STATEMENT_MS``."""
    with serving(live_settings.model_copy(update={"db_read_statement_timeout_ms": STATEMENT_MS})) as running:
        yield running


@pytest.fixture
async def caller(live_sessions: Sessions, live_sealer: Sealer) -> Caller:
    async with live_sessions() as db:
        who = await f.member(db, await f.organization(db, OrganizationKind.RAPID_RESPONSE), Role.RR_DISPATCHER)
        token = await f.token_for(db, who)
        await db.commit()
    return Caller(token, lock_id(member_key(live_sealer.derived_key(KEY_LABEL), who.id)))


def failure_logged(caplog: pytest.LogCaptureFixture, token: str) -> None:
    """One warning naming the exception's type (nothing of its message, no traceback), and no token anywhere."""
    warnings = [r for r in caplog.records if r.name == "api.live" and r.levelno == logging.WARNING]
    assert [re.fullmatch(r"live connection not initialised: \w+", r.getMessage()) is not None for r in warnings] == [
        True
    ], [r.getMessage() for r in warnings]
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]  # e.g. uvicorn's
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records), "a traceback was logged"
    assert token not in caplog.text


async def _closed_1013_while_held(
    served: Served, caller: Caller, sessions: Sessions, caplog: pytest.LogCaptureFixture, hold: Executable
) -> None:
    """Connect while another transaction holds what the instance's statement waits for (``hold``): closed 1013,
    the failure logged by its type alone."""
    async with sessions() as holder:  # the statement waits until it is cancelled, then the hold is let go
        await holder.execute(hold)
        with caplog.at_level(logging.INFO):
            live = await open_live(served.url, caller.token, ack=False)
            assert await live.closed_with() == TRY_AGAIN_LATER
            assert live.ws.close_reason == "Internal error: try again later"
        await holder.rollback()
    failure_logged(caplog, caller.token)


async def test_a_database_error_while_admitting_closes_1013(
    impatient: Served, caller: Caller, live_sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    member_lock = select(func.pg_advisory_xact_lock(LOCK_CLASS, caller.lock))  # the admit waits for it
    await _closed_1013_while_held(impatient, caller, live_sessions, caplog, member_lock)
    again = await open_live(impatient.url, caller.token)  # the database answers again: admitted
    await again.close()


async def test_a_database_error_while_authenticating_closes_1013_not_4401(
    impatient: Served, caller: Caller, live_sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    tokens_locked = text("LOCK TABLE personal_access_token IN ACCESS EXCLUSIVE MODE")  # the token's lookup waits
    await _closed_1013_while_held(impatient, caller, live_sessions, caplog, tokens_locked)
    refused = await open_live(impatient.url, "snt_pat_" + "x" * 43, ack=False)  # a refusal keeps its code
    assert await refused.closed_with() == 4401
