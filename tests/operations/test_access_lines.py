"""Structured logs: one access line per GraphQL and OAuth request, parsed as JSON, with its fields (never
a value, a variable, a token, or who the caller is beyond its kind)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import create_client
from api.logs import JsonFormatter, TextFormatter
from api.models.enums import OrganizationKind, Role
from tests import factories
from tests.canaries import canary
from tests.workflow import actor

FIELDS = {
    "time", "level", "logger", "event", "message", "request_id", "operation", "document_id", "document_hash",
    "cost_requested", "cost_actual", "outcome", "status", "duration_ms", "caller",
}  # fmt: skip


class _Lines(logging.Handler):
    """The JSON lines the production formatter writes, parsed back."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.text.append(self.format(record))

    def events(self, name: str) -> list[dict[str, Any]]:
        parsed = [orjson.loads(line) for line in self.text]
        return [entry for entry in parsed if entry.get("event") == name]


@pytest.fixture
def lines() -> Iterator[_Lines]:
    handler = _Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


async def _post(client: httpx.AsyncClient, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json=body, headers=headers)


async def test_every_graphql_request_has_one_json_access_line_with_its_fields(
    client: httpx.AsyncClient, db: AsyncSession, lines: _Lines
) -> None:
    member = await actor(db, await factories.organization(db), Role.ORG_ADMIN)
    secret = canary(f"needle-{uuid.uuid4().hex}")
    query = "query Find($after: String) { congregations(first: 3, after: $after) { nodes { id } } }"
    response = await _post(client, {"query": query, "variables": {"after": secret}}, member.token)
    (line,) = lines.events("graphql_request")
    assert set(line) >= FIELDS
    assert line["logger"] == "api.request"
    assert line["level"] == "INFO"
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["operation"] == "Find"
    assert line["document_id"] is None  # a trusted document's id, when the request names one
    assert len(line["document_hash"]) == 16
    assert line["cost_requested"] == response.json()["extensions"]["cost"]["requested"] > 0
    assert line["cost_actual"] == response.json()["extensions"]["cost"]["actual"]
    assert line["outcome"] == "errors"  # the cursor is not one
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert line["caller"] == "member"
    assert str(member.id) not in lines.text[0]
    assert secret not in lines.text[0]


@pytest.mark.parametrize(
    ("body", "token", "outcome", "status", "caller"),
    [
        ({"query": "query Ok { __typename }"}, None, "ok", 200, "anonymous"),
        ({"query": "query Ok { __typename }"}, "snt_pat_not-a-token", "refused", 401, "unauthenticated"),
        ({"query": "query Deep { congregations(first: 100) { nodes { id } } }", "extensions": {}}, None, "ok", 200, "anonymous"),
        ({"query": "{ __typename"}, None, "errors", 200, "anonymous"),
        ({"query": "query A { __typename }", "operationName": "B"}, None, "refused", 400, "anonymous"),
    ],
)  # fmt: skip
async def test_the_outcome_status_and_caller_kind_of_each_kind_of_answer(
    client: httpx.AsyncClient,
    lines: _Lines,
    body: dict[str, Any],
    token: str | None,
    outcome: str,
    status: int,
    caller: str,
) -> None:
    response = await _post(client, body, token)
    assert response.status_code == status
    (line,) = lines.events("graphql_request")
    assert (line["outcome"], line["status"], line["caller"]) == (outcome, status, caller)
    if status != 400:  # (a 400 is strawberry's plain-text answer)
        assert response.headers["x-request-id"] == line["request_id"]


async def test_a_request_refused_before_its_credential_was_looked_at_is_from_an_unknown_caller(
    client: httpx.AsyncClient, lines: _Lines
) -> None:
    response = await client.post(
        "/graphql", content=b"{" * 2_000_000, headers={"Authorization": "Bearer x", "content-type": "application/json"}
    )
    assert response.status_code == 413
    (line,) = lines.events("graphql_request")
    assert (line["outcome"], line["caller"]) == ("refused", "unknown")
    assert response.headers["x-request-id"] == line["request_id"]


async def test_a_document_over_the_cost_limit_is_refused_in_its_line(client: httpx.AsyncClient, lines: _Lines) -> None:
    nested = "query Huge { " + " ".join(
        f"a{i}: congregations(first: 100) {{ nodes {{ id hostedCases(first: 100) {{ nodes {{ id }} }} }} }}" for i in range(2)
    ) + " }"  # fmt: skip
    response = await _post(client, {"query": nested})
    assert response.json()["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED"
    (line,) = lines.events("graphql_request")
    assert line["outcome"] == "refused"
    assert line["operation"] == "Huge"
    assert line["cost_requested"] > 0


async def test_an_app_token_is_logged_as_an_app_and_the_oauth_endpoint_has_its_line(
    client: httpx.AsyncClient, db: AsyncSession, lines: _Lines
) -> None:
    org = await factories.organization(db, OrganizationKind.LEGAL_AID)
    row, secret = await create_client(db, org, name="Partner", scopes=["read"], max_roles=["LEGAL_ADVOCATE"])
    canary(secret)
    issued = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret))
    token = canary(issued.json()["access_token"])
    refused = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, "x"))
    await _post(client, {"query": "query Mine { __typename }"}, token)
    oauth = lines.events("oauth_request")
    assert [(e["endpoint"], e["status"], e["outcome"]) for e in oauth] == [
        ("token", 200, "ok"),
        ("token", 401, "refused"),
    ]
    assert all(isinstance(e["duration_ms"], float) and e["request_id"] for e in oauth)
    assert oauth[1]["request_id"] != oauth[0]["request_id"]
    assert refused.status_code == 401
    (line,) = lines.events("graphql_request")
    assert line["caller"] == "app"
    text = "\n".join(lines.text)
    assert row.client_id not in text  # the kind of caller, not which one
    assert secret not in text


def test_the_text_format_keeps_the_fields_on_one_line() -> None:
    record = logging.LogRecord("api.request", logging.INFO, __file__, 1, "graphql request", None, None)
    record.fields = {"event": "graphql_request", "operation": "Ping", "outcome": "ok", "document_id": None}
    text = TextFormatter().format(record)
    assert text.endswith("graphql request operation=Ping outcome=ok document_id=-")
    assert "\n" not in text
