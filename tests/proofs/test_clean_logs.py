"""Logs and error messages never carry values: database error details, literals, tokens, query strings.

Each test pushes a registered canary value (tests/canaries.py) through a path that used to, or could,
leak it; the session-wide check in tests/conftest.py fails if any log record still carries one.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api.auth.clients import create_client
from api.logs import JsonFormatter, TextFormatter
from api.models import Member
from api.models.enums import OrganizationKind, Role
from api.schema.engine.ids import encode_global_id
from api.services.sanctuary import burn
from tests import factories
from tests.canaries import canary
from tests.workflow import actor, call


def _email() -> str:
    return canary(f"ana.{uuid.uuid4().hex}@example.test") or ""


def _formatted(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record as both formatters write it, plus what the record itself still holds."""
    lines = []
    for record in caplog.records:
        lines += [JsonFormatter().format(record), TextFormatter().format(record), repr(record.args)]
        lines.append(str(record.exc_info))
    return "\n".join(lines)


async def _database_error(db: AsyncSession, value: str) -> DBAPIError:
    """A real database error whose message quotes ``value`` (as asyncpg's and PostgreSQL's often do)."""
    try:
        async with db.begin_nested():
            await db.execute(text("SELECT CAST(CAST(:v AS text) AS integer)"), {"v": value})
    except DBAPIError as error:
        return error
    raise AssertionError("no database error")


async def test_a_unique_violation_detail_reaches_neither_a_log_line_nor_the_response(
    client: httpx.AsyncClient, db: AsyncSession, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    email = _email()
    admin = await actor(db, await factories.organization(db), Role.ORG_ADMIN)
    await factories.member(db, await factories.organization(db), email=email)

    async def colliding(session: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        member = await session.get_one(Member, admin.id)
        await session.execute(insert(Member).values(organization_id=member.organization_id, email=email, alias="x"))

    monkeypatch.setattr(burn, "burn", colliding)
    with caplog.at_level(logging.DEBUG):
        body = await call(client, "sanctuaryCaseBurn", {"id": encode_global_id("SanctuaryCase", uuid.uuid4())}, admin)
    assert body["errors"][0]["message"].startswith("Internal server error")
    assert email not in orjson.dumps(body).decode()
    assert "unexpected IntegrityError" in caplog.text
    assert email not in _formatted(caplog)


async def test_the_detail_of_a_unique_violation_is_never_logged(
    db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    email = _email()
    org = await factories.organization(db)
    await factories.member(db, org, email=email)
    with pytest.raises(IntegrityError) as raised:
        async with db.begin_nested():
            await db.execute(insert(Member).values(organization_id=org.id, email=email, alias="Twin", roles=[]))
    error = raised.value
    assert email in str(getattr(error.orig, "__cause__", None).detail)  # type: ignore[union-attr]
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=error)
        logging.getLogger("api.selftest").error("DETAIL:  Key (email)=(%s) already exists.", "x")
    text = _formatted(caplog)
    assert email not in text
    assert "Key (email)" not in "".join(JsonFormatter().format(r) for r in caplog.records)


async def test_an_exception_logged_with_its_traceback_keeps_frames_and_types_but_not_its_message(
    db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    email = _email()
    error = await _database_error(db, email)
    assert email in str(error)  # the gap: the message quotes the value, parameters hidden or not
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("uvicorn.error").error("Exception in ASGI application", exc_info=error)
        logging.getLogger("api.selftest").error("failed: %s", error)
        logging.getLogger("api.selftest").error(error)
    text = _formatted(caplog)
    assert email not in text
    assert "DBAPIError (message withheld)" in text
    assert "_database_error" in text  # the frames stay, for debugging


def test_the_access_log_drops_query_strings_and_client_addresses(caplog: pytest.LogCaptureFixture) -> None:
    secret = canary(f"tok{uuid.uuid4().hex}") or ""
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.9:5555", "GET", f"/graphql?access_token={secret}", "1.1", 200
        )
    text = _formatted(caplog)
    assert secret not in text
    assert "203.0.113.9" not in text
    assert '"GET /graphql HTTP/1.1" 200' in caplog.messages[0]


def test_the_access_log_drops_invitation_tokens(caplog: pytest.LogCaptureFixture) -> None:
    secret = canary(f"sninv_{uuid.uuid4().hex}") or ""
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "203.0.113.9:5555", "POST", f"/signin/invitation/{secret}/options", "1.1", 200
        )
    assert secret not in _formatted(caplog)
    assert '"POST /signin/invitation/[redacted]/options HTTP/1.1" 200' in caplog.messages[0]


@pytest.mark.parametrize(
    "document",
    [
        '{ congregations(first: "%s") { nodes { id } } }',
        '{ congregations(first: 1, updatedSince: "%s") { nodes { id } } }',
        "{ congregations(first: 1, orderBy: %s) { nodes { id } } }",
    ],
)
async def test_literals_of_the_document_are_not_echoed_in_errors(client: httpx.AsyncClient, document: str) -> None:
    secret = canary(f"SECRET{uuid.uuid4().hex}") or ""
    response = await client.post("/graphql", json={"query": document % secret})
    assert response.json()["errors"]
    assert secret not in response.text


async def test_an_unknown_operation_name_is_not_echoed_or_logged(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    secret = canary(f"Secret {uuid.uuid4().hex}\nforged log line") or ""
    with caplog.at_level(logging.INFO):
        response = await client.post("/graphql", json={"query": "query A { __typename }", "operationName": secret})
    assert response.status_code == 400
    assert secret not in response.text
    assert secret not in _formatted(caplog)
    lines = [getattr(r, "fields", {}) for r in caplog.records if r.name == "api.request"]
    assert any(line["status"] == 400 and line["operation"] is None for line in lines)


async def test_issued_access_tokens_and_client_secrets_are_never_logged(
    client: httpx.AsyncClient, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    row, secret = await create_client(db, org, name="Partner app", scopes=["read"], max_roles=["LEGAL_ADVOCATE"])
    canary(secret)
    with caplog.at_level(logging.DEBUG):
        response = await client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret)
        )
        token = canary(response.json()["access_token"]) or ""
        await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": f"Bearer {token}"})
    text = _formatted(caplog)
    assert token not in text
    assert secret not in text


def test_sql_is_never_echoed_with_its_parameters(engine: AsyncEngine) -> None:
    assert not engine.sync_engine.echo
    assert engine.sync_engine.hide_parameters is True
    for name in ("sqlalchemy.engine", "authlib", "httpx"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING
