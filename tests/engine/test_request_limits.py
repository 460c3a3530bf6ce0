"""What one request may cost: the body, the document, the variables, directives and errors are bounded."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from graphql.language.parser import Parser
from strawberry.http.base import BaseView

from api.schema.engine.ids import encode_global_id
from api.schema.engine.limits import DEFAULT_LIMITS
from api.settings import Settings
from tests.graphql import error_codes, gql

CHUNK = 64 * 1024


class Sender:
    """A streamed request body that counts how much of it the server consumed."""

    def __init__(self, total: int) -> None:
        self.total, self.consumed = total, 0

    async def chunks(self) -> AsyncIterator[bytes]:
        head = b'{"query":"#'
        self.consumed += len(head)
        yield head
        while self.consumed < self.total:
            self.consumed += CHUNK
            yield b"x" * CHUNK
        yield b'\\n{__typename}"}'


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
async def test_a_large_body_is_refused_before_it_is_read_whole(client: httpx.AsyncClient, declared: bool) -> None:
    sender = Sender(5 * DEFAULT_LIMITS.body_bytes)
    headers = {"content-type": "application/json"}
    if declared:
        headers["content-length"] = str(sender.total + 16)
    started = time.perf_counter()
    response = await client.post("/graphql", content=sender.chunks(), headers=headers)
    assert response.status_code == 413
    assert error_codes(response.json()) == ["PAYLOAD_TOO_LARGE"]
    assert sender.consumed <= (0 if declared else DEFAULT_LIMITS.body_bytes + 2 * CHUNK)
    assert time.perf_counter() - started < 2


async def test_a_document_of_comments_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    comments = ("#" + "x" * 98 + "\n") * (DEFAULT_LIMITS.document_chars // 100 + 1)
    body = await gql(client, comments + "{ __typename }")
    assert error_codes(body) == ["DOCUMENT_TOO_LARGE"]
    assert "characters" in body["errors"][0]["message"]
    assert body["data"] is None
    blanks = await gql(client, "{" + " " * DEFAULT_LIMITS.document_chars + "__typename }")
    assert error_codes(blanks) == ["DOCUMENT_TOO_LARGE"]


async def test_a_body_is_decoded_and_its_document_parsed_once(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []
    original = Parser.parse_document

    def counting(parser: Parser) -> object:
        parses.append(parser._lexer.source.body)
        return original(parser)

    decodes: list[object] = []
    original_decode = BaseView.decode_json

    def counting_decode(view: BaseView[Any], data: str | bytes) -> object:
        decodes.append(data)
        return original_decode(view, data)

    monkeypatch.setattr(Parser, "parse_document", counting)
    monkeypatch.setattr(BaseView, "decode_json", counting_decode)
    document = f"query Once{uuid.uuid4().hex} {{ __typename }}"  # never seen before: no cache
    assert (await gql(client, document))["data"] == {"__typename": "Query"}
    assert parses == [document]
    assert decodes == []  # strawberry got the body the view decoded


@pytest.mark.parametrize(
    "variables",
    [
        {"ids": ["x" * (DEFAULT_LIMITS.variables_bytes + 1)]},
        {"ids": [encode_global_id("Region", uuid.uuid4()) for _ in range(DEFAULT_LIMITS.variables_values + 1)]},
        {"ids": ["x"], "deep": [[[[[[[[[[["x"]]]]]]]]]]]},
    ],
    ids=["bytes", "values", "depth"],
)
async def test_oversize_variables_are_refused(client: httpx.AsyncClient, variables: dict[str, object]) -> None:
    body = await gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", variables)
    assert error_codes(body) == ["VARIABLES_TOO_LARGE"]


async def test_directives_are_capped(client: httpx.AsyncClient) -> None:
    overloaded = await gql(client, "{ __typename " + "@aa " * 1000 + "}")
    assert error_codes(overloaded) == ["TOO_MANY_DIRECTIVES"]
    eleven = await gql(client, "{ __typename " + "@include(if: true) " * 11 + "}")
    assert error_codes(eleven) == ["TOO_MANY_DIRECTIVES"]
    ten = "{ " + " ".join(f"a{i}: __typename @include(if: true)" for i in range(10)) + " }"
    assert (await gql(client, ten))["data"]["a9"] == "Query"


async def test_errors_per_response_are_capped(client: httpx.AsyncClient) -> None:
    body = await gql(client, "{ " + " ".join(f"unknownField{i}" for i in range(20)) + " }")
    assert len(body["errors"]) == DEFAULT_LIMITS.errors
    assert body["extensions"]["omittedErrors"] == 20 - DEFAULT_LIMITS.errors


def test_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANCTUARY_GRAPHQL_LIMITS", orjson.dumps({"body_bytes": 2_000_000}).decode())
    limits = Settings().graphql_limits
    assert (limits.body_bytes, limits.directives) == (2_000_000, DEFAULT_LIMITS.directives)
