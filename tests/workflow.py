"""Helpers for workflow tests: members with tokens, mutation calls over HTTP, committed (live) data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.permissions import MUTATIONS
from api.models import AuditEvent, Member, Organization
from api.models.enums import AuditAction, AuditOutcome, Role
from tests import factories
from tests.graphql import gql


@dataclass
class Actor:
    """A member of an organization and a personal token acting as it."""

    member: Member
    token: str

    @property
    def id(self) -> Any:
        return self.member.id


async def actor(db: AsyncSession, org: Organization, *roles: Role, **values: Any) -> Actor:
    """A new member of ``org`` with ``roles`` and a token."""
    who = await factories.member(db, org, *roles, **values)
    return Actor(who, await factories.token_for(db, who))


def document(name: str, selection: str) -> str:
    """``mutation($input: NameInput!) { name(input: $input) { selection userErrors {..} } }``."""
    input_type = name[0].upper() + name[1:] + "Input"
    return (
        f"mutation Do($input: {input_type}!) {{ {name}(input: $input) {{ {selection} "
        "userErrors { code field message } } }"
    )


async def call(
    client: httpx.AsyncClient, name: str, values: dict[str, Any], who: Actor | None, selection: str = ""
) -> dict[str, Any]:
    """Run one mutation; returns the full response body."""
    return await gql(client, document(name, selection), {"input": values}, token=who.token if who else None)


async def ok(
    client: httpx.AsyncClient, name: str, values: dict[str, Any], who: Actor, selection: str = ""
) -> dict[str, Any]:
    """Run one mutation that must succeed; returns its payload."""
    body = await call(client, name, values, who, selection)
    assert "errors" not in body, body["errors"]
    payload: dict[str, Any] = body["data"][name]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def user_error(
    client: httpx.AsyncClient, name: str, values: dict[str, Any], who: Actor, selection: str = ""
) -> dict[str, Any]:
    """Run one mutation that must fail with a user error; returns that error (code, field, message)."""
    body = await call(client, name, values, who, selection)
    assert "errors" not in body, body["errors"]
    payload = body["data"][name]
    assert len(payload["userErrors"]) == 1, payload
    assert all(value is None for key, value in payload.items() if key != "userErrors"), payload
    error: dict[str, Any] = payload["userErrors"][0]
    return error


async def forbidden(client: httpx.AsyncClient, name: str, values: dict[str, Any], who: Actor) -> None:
    """The mutation is refused: absent from the viewer's schema, or FORBIDDEN for its roles or scopes."""
    assert name in MUTATIONS, f"no mutation named {name}"  # a misspelled name would be 'refused' too
    body = await call(client, name, values, who)
    assert body.get("data") is None or body["data"].get(name) is None, body
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    messages = {error["message"] for error in body.get("errors", [])}
    absent = {
        f"Cannot query field '{name}' on type 'Mutation'.",
        "The mutation operation is not supported by the schema.",
    }
    assert codes == ["FORBIDDEN"] or messages & absent, body


async def mutation_audit(db: AsyncSession, who: Actor) -> list[tuple[str, AuditOutcome, list[Any]]]:
    """(mutation, outcome, record ids) of the mutation audit events of ``who`` (one transaction: unordered)."""
    rows = await db.execute(
        select(AuditEvent.fields, AuditEvent.outcome, AuditEvent.record_ids)
        .where(AuditEvent.action == AuditAction.MUTATION, AuditEvent.actor_member_id == who.id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    return [(next(f for f in fields if "." not in f), outcome, ids) for fields, outcome, ids in rows.all()]
