"""Helpers of the webhook tests: teams with incidents, partner apps with tokens, registration over GraphQL, a team
with an app and its endpoint in one call, one worker pass, an endpoint's deliveries."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.clients import create_client
from api.crypto import Sealer
from api.models import DomainEvent, OAuthClient, Organization, WebhookCursor, WebhookDelivery
from api.models.enums import EventKind, Role
from api.schema.engine.ids import decode_global_id, encode_global_id
from api.services.shared import events
from api.settings import Settings
from api.webhooks.connections import Connections
from api.webhooks.worker import MAX_ROUNDS, Pass, run_pass
from tests.graphql import gql
from tests.rapid_response import factories as rr

REPORTED = ["INCIDENT_REPORTED"]
CREATE = """mutation M($input: WebhookEndpointCreateInput!) { webhookEndpointCreate(input: $input) {
  secret webhookEndpoint { id url eventKinds } userErrors { code field message } } }"""
INCIDENT_DOCUMENT = "subscription { incidentEvents { kind incident { id kind status exactLocation } } }"
COARSE_DOCUMENT = "subscription { incidentEvents { kind incident { id status coarseArea } } }"


async def team(sessions: async_sessionmaker[AsyncSession]) -> rr.Team:
    """A committed rapid-response team in a region of its own."""
    async with sessions() as session:
        crew = await rr.team(session, name=f"Hooks {uuid.uuid4().hex[:6]}")
        await session.commit()
    return crew


async def reported(session: AsyncSession, sealer: Sealer, crew: rr.Team) -> DomainEvent:
    """An incident of the team and its INCIDENT_REPORTED event, flushed (its id drawn), not committed."""
    row = await rr.incident(session, sealer, crew)
    event = await events.record(session, None, EventKind.INCIDENT_REPORTED, row)
    await session.flush()
    return event


async def incidents(sessions: async_sessionmaker[AsyncSession], sealer: Sealer, crew: rr.Team, count: int) -> list[int]:
    """``count`` committed incidents of the team, each with its INCIDENT_REPORTED event; the events' ids."""
    async with sessions() as session:
        written = [await reported(session, sealer, crew) for _ in range(count)]
        await session.commit()
    return [event.id for event in written]


async def fan_out_cursor(sessions: async_sessionmaker[AsyncSession]) -> WebhookCursor:
    """The fan-out's cursor as committed."""
    async with sessions() as session:
        cursor = await session.get(WebhookCursor, "deliveries")
        assert cursor is not None
        return cursor


@dataclass
class App:
    """A partner app row, its secret and an access token."""

    row: OAuthClient
    token: str

    @property
    def gid(self) -> str:
        return gid_app(self.row)


def gid_app(row: OAuthClient) -> str:
    return encode_global_id("PartnerApp", row.id)


async def app(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], org: Organization, roles: list[Role],
    scopes: tuple[str, ...] = ("read", "webhooks"),
) -> App:  # fmt: skip
    """A committed partner app of ``org`` with ``roles`` as its ceiling, and a client-credentials token."""
    async with sessions() as session:
        row, secret = await create_client(
            session, org, name="Partner", scopes=list(scopes), max_roles=[r.value for r in roles]
        )
        await session.commit()
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret)
    )
    assert response.status_code == 200, response.text
    return App(row, response.json()["access_token"])


async def register(
    client: httpx.AsyncClient, token: str, app_gid: str, url: str, kinds: list[str],
    document: str = INCIDENT_DOCUMENT,
) -> dict[str, Any]:  # fmt: skip
    """webhookEndpointCreate's payload (the caller checks userErrors)."""
    variables = {"input": {"appId": app_gid, "url": url, "eventKinds": kinds, "document": document}}
    body = await gql(client, CREATE, variables, token=token)
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["webhookEndpointCreate"]
    return payload


async def registered(client: httpx.AsyncClient, token: str, app_gid: str, url: str, kinds: list[str],
                     document: str = INCIDENT_DOCUMENT) -> tuple[str, str]:  # fmt: skip
    """A registered endpoint's id and secret."""
    payload = await register(client, token, app_gid, url, kinds, document)
    assert payload["userErrors"] == [], payload
    return payload["webhookEndpoint"]["id"], payload["secret"]


async def one_pass(
    sessions: async_sessionmaker[AsyncSession], sealer: Sealer, settings: Settings, now: datetime | None = None,
    connections: Connections | None = None, rounds: int = MAX_ROUNDS,
) -> Pass:  # fmt: skip
    """One round of the worker, as the service runs it (``now``: a later moment, to make retries due;
    ``connections``: a worker's, kept between rounds; ``rounds``: at most this many claims)."""
    return await run_pass(sessions, sealer, settings, now or datetime.now(UTC), connections, rounds)


@dataclass
class Hooked:
    """A team, a dispatcher app of it, and the app's endpoint (INCIDENT_REPORTED) with its secret."""

    crew: rr.Team
    partner: App
    endpoint: str  # its global id
    secret: str


async def hooked(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], url: str,
    document: str = INCIDENT_DOCUMENT,
) -> Hooked:  # fmt: skip
    """A new committed team whose dispatcher app registered an endpoint at ``url`` for ``document``."""
    crew = await team(sessions)
    partner = await app(client, sessions, crew.org, [Role.RR_DISPATCHER])
    endpoint, secret = await registered(client, partner.token, partner.gid, url, REPORTED, document)
    return Hooked(crew, partner, endpoint, secret)


async def deliveries(sessions: async_sessionmaker[AsyncSession], endpoint: str) -> list[WebhookDelivery]:
    """The deliveries of an endpoint (by its global id), as committed."""
    async with sessions() as session:
        statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == decode_global_id(endpoint)[1])
        return list(await session.scalars(statement))
