"""A tiny GraphQL client over the test app."""

from __future__ import annotations

from typing import Any

import httpx

from api.schema.engine.ids import encode_global_id


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
) -> dict[str, Any]:
    """POST a document; asserts HTTP 200 and returns the JSON body."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def error_codes(body: dict[str, Any]) -> list[str]:
    """The extension codes of a response's errors."""
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def gid(row: Any) -> str:
    """The opaque GraphQL id of a row (its GraphQL type is named like its model)."""
    return encode_global_id(type(row).__name__, row.id)
