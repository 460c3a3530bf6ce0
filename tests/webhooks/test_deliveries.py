"""Deliveries to a real receiver on loopback: signed per Standard Webhooks (checked with the reference library),
computed as the app at delivery time, retried under the same webhook-id, never more than the app may read."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from api.crypto import Sealer
from api.models import AuditEvent, WebhookDelivery
from api.models.enums import AuditAction, Role
from api.schema.engine.ids import decode_global_id
from api.settings import Settings
from tests.graphql import gql
from tests.rapid_response import factories as rr
from tests.rapid_response import test_workflow_rapid_response as rapid
from tests.webhooks.helpers import app, one_pass, registered
from tests.webhooks.receiver import Receiver
from tests.workflow import ok

DELIVERIES = """query D($id: ID!) { node(id: $id) { ... on WebhookEndpoint { consecutiveFailures lastError
  disabledAt disabledReason deliveries(first: 10) { nodes { webhookId eventKind status attempts lastResponseCode
  lastError deliveredAt nextAttemptAt } } } } }"""


async def _team(sessions: async_sessionmaker[AsyncSession]) -> rr.Team:
    async with sessions() as session:
        crew = await rr.team(session, name=f"Hooks {uuid.uuid4().hex[:6]}")
        await session.commit()
    return crew


async def _report(client: httpx.AsyncClient, crew: rr.Team) -> dict[str, str]:
    values = rapid._report(crew)
    reported = await ok(client, "incidentReport", values, crew.dispatcher, "incident { id }")
    return {"id": reported["incident"]["id"], "exactLocation": values["exactLocation"]}


async def _deliveries(sessions: async_sessionmaker[AsyncSession], endpoint: str) -> list[WebhookDelivery]:
    async with sessions() as session:
        rows = await session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.endpoint_id == decode_global_id(endpoint)[1])
        )
        return list(rows)


async def test_a_delivery_verifies_with_the_reference_library_and_carries_what_the_app_reads(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    crew = await _team(live_sessions)
    partner = await app(hook_client, live_sessions, crew.org, [Role.RR_DISPATCHER])
    endpoint, secret = await registered(hook_client, partner.token, partner.gid, receiver.url, ["INCIDENT_REPORTED"])
    incident = await _report(hook_client, crew)

    done = await one_pass(live_sessions, live_sealer, hook_settings)

    assert done.attempted == 1
    [request] = receiver.requests
    sent = Webhook(secret).verify(request.body, request.headers)
    assert sent["type"] == "INCIDENT_REPORTED"
    assert sent["data"]["node"] == {
        "id": incident["id"], "kind": "WORKPLACE_RAID", "status": "OPEN", "exactLocation": incident["exactLocation"]
    }  # fmt: skip
    assert "withheld" not in sent
    body = await gql(hook_client, DELIVERIES, {"id": endpoint}, token=partner.token)
    [delivery] = body["data"]["node"]["deliveries"]["nodes"]
    assert delivery["webhookId"] == request.headers["webhook-id"]
    assert (delivery["status"], delivery["attempts"], delivery["lastResponseCode"]) == ("SUCCEEDED", 1, 200)
    async with live_sessions() as session:  # the app's read of a T3 field is audited as the app's
        reads = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.READ, AuditEvent.actor_client_id
                                     == partner.row.client_id)
        )  # fmt: skip
        [read] = list(reads)
    assert read.fields == ["RapidResponseIncident.exactLocation"]
    assert read.record_ids == [decode_global_id(incident["id"])[1]]
