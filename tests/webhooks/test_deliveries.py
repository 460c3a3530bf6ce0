"""Deliveries to a real receiver on loopback: signed per Standard Webhooks (checked with the reference library),
computed as the app at delivery time, retried under the same webhook-id, never more than the app may read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from api.crypto import Sealer
from api.models import AuditEvent, OAuthClient
from api.models.enums import AuditAction, EventKind, Role, Verification, WebhookDeliveryStatus
from api.schema.engine.ids import decode_global_id
from api.services.shared import events
from api.settings import Settings
from api.webhooks.fanout import fan_out
from tests.graphql import gql
from tests.rapid_response import factories as rr
from tests.rapid_response import test_workflow_rapid_response as rapid
from tests.webhooks.helpers import (
    INCIDENT_DOCUMENT,
    REPORTED,
    App,
    app,
    deliveries,
    hooked,
    one_pass,
    register,
    registered,
    team,
)
from tests.webhooks.receiver import Receiver
from tests.workflow import ok

DELIVERIES = """query D($id: ID!) { node(id: $id) { ... on WebhookEndpoint { consecutiveFailures lastError
  disabledAt disabledReason deliveries(first: 10) { nodes { webhookId eventKind status attempts lastResponseCode
  lastError deliveredAt nextAttemptAt } } } } }"""


async def _report(client: httpx.AsyncClient, crew: rr.Team) -> dict[str, str]:
    values = rapid._report(crew)
    reported = await ok(client, "incidentReport", values, crew.dispatcher, "incident { id }")
    return {"id": reported["incident"]["id"], "exactLocation": values["exactLocation"]}


async def test_a_delivery_verifies_with_the_reference_library_and_carries_what_the_app_reads(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    incident = await _report(hook_client, hook.crew)

    done = await one_pass(live_sessions, live_sealer, hook_settings)

    assert done.attempted == 1
    [request] = receiver.requests
    sent = Webhook(hook.secret).verify(request.body, request.headers)
    assert sent["type"] == "INCIDENT_REPORTED"
    assert sent["data"]["incidentEvents"]["kind"] == "INCIDENT_REPORTED"
    assert sent["data"]["incidentEvents"]["incident"] == {
        "id": incident["id"], "kind": "WORKPLACE_RAID", "status": "OPEN", "exactLocation": incident["exactLocation"]
    }  # fmt: skip
    assert "withheld" not in sent
    body = await gql(hook_client, DELIVERIES, {"id": hook.endpoint}, token=hook.partner.token)
    [delivery] = body["data"]["node"]["deliveries"]["nodes"]
    assert delivery["webhookId"] == request.headers["webhook-id"]
    assert (delivery["status"], delivery["attempts"], delivery["lastResponseCode"]) == ("SUCCEEDED", 1, 200)
    async with live_sessions() as session:  # the app's read of a T3 field is audited as the app's
        reads = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.READ, AuditEvent.actor_client_id
                                     == hook.partner.row.client_id)
        )  # fmt: skip
        [read] = list(reads)
    assert read.fields == ["RapidResponseIncident.exactLocation"]
    assert read.record_ids == [decode_global_id(incident["id"])[1]]


async def test_a_receiver_failing_three_times_gets_the_same_webhook_id_until_it_succeeds(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    receiver.script = [500, 503, 500]
    await _report(hook_client, hook.crew)
    now = datetime.now(UTC)

    for hour in range(4):  # each pass an hour later: whatever the backoff drew, the retry is due
        await one_pass(live_sessions, live_sealer, hook_settings, now + timedelta(hours=hour))

    assert len(receiver.requests) == 4
    assert len(set(receiver.ids())) == 1
    assert all(Webhook(hook.secret).verify(r.body, r.headers) for r in receiver.requests)
    [delivery] = await deliveries(live_sessions, hook.endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == (
        WebhookDeliveryStatus.SUCCEEDED,
        4,
        200,
    )
    body = await gql(hook_client, DELIVERIES, {"id": hook.endpoint}, token=hook.partner.token)
    assert (body["data"]["node"]["consecutiveFailures"], body["data"]["node"]["lastError"]) == (0, None)


async def test_retries_back_off_exponentially_with_jitter_for_at_least_a_day_then_give_up(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    receiver.default = 500
    await _report(hook_client, hook.crew)
    now, gaps = datetime.now(UTC), []
    while True:
        await one_pass(live_sessions, live_sealer, hook_settings, now)
        [delivery] = await deliveries(live_sessions, hook.endpoint)
        if delivery.next_attempt_at is None:
            break
        gaps.append((delivery.next_attempt_at - now).total_seconds())
        now = delivery.next_attempt_at
    assert delivery.status == WebhookDeliveryStatus.FAILED
    assert now - delivery.created_at >= timedelta(hours=24)  # the last attempt came a day or more after the event
    base = hook_settings.webhooks_backoff_base_s
    assert [round(g / (base * 2**i), 2) for i, g in enumerate(gaps[:5])] != [1.0] * 5  # jittered ...
    assert all(0.75 * base * 2**i <= g < 1.25 * base * 2**i for i, g in enumerate(gaps[:10]))  # ... around 2^n
    assert max(gaps) < 1.25 * hook_settings.webhooks_backoff_max_s
    assert len(receiver.requests) == len(gaps) + 1
    assert len(set(receiver.ids())) == 1


async def test_a_refused_mutation_delivers_nothing(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    refused = await gql(
        hook_client, "mutation Do($input: IncidentReportInput!) { incidentReport(input: $input) { userErrors { code } } }",
        {"input": rapid._report(hook.crew, observedAt=future)}, token=hook.crew.dispatcher.token,
    )  # fmt: skip
    assert refused["data"]["incidentReport"]["userErrors"], refused  # the write and its event were rolled back

    done = await one_pass(live_sessions, live_sealer, hook_settings)

    assert (done.created, receiver.requests, await deliveries(live_sessions, hook.endpoint)) == (0, [], [])


async def _broadcast(sessions: async_sessionmaker[AsyncSession], sealer: Sealer, crew: rr.Team) -> str:
    """A confirmed, broadcast incident of the team with its INCIDENT_BROADCAST event; its exact location."""
    location = f"Back door, 9 Quarry Ln {uuid.uuid4().hex[:6]}"
    async with sessions() as session:
        row = await rr.incident(session, sealer, crew, exact_location=location, verification=Verification.CONFIRMED,
                                broadcast_at=datetime.now(UTC))  # fmt: skip
        await events.record(session, None, EventKind.INCIDENT_BROADCAST, row)
        await session.commit()
    return location


async def test_a_payload_never_exceeds_the_apps_ceiling(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    crew = await team(live_sessions)
    alerts = ["INCIDENT_BROADCAST"]
    # public alerts carry what anyone may read, whoever receives them: a responder app's exact location is withheld
    responder = await app(hook_client, live_sessions, crew.org, [Role.RR_RESPONDER])
    exact = "subscription { broadcastAlerts { kind incident { id exactLocation } } }"
    await registered(hook_client, responder.token, responder.gid, receiver.url + "/responder", alerts, exact)
    # an organizer app has neither the dispatchers' subscription nor exact locations in its schema: refused at
    # registration; the public alerts with their coarse area are fine
    organizer = await app(hook_client, live_sessions, crew.org, [Role.ORGANIZER])
    assert await _register_error(hook_client, organizer, receiver, INCIDENT_DOCUMENT) == "INVALID_DOCUMENT"
    assert await _register_error(hook_client, organizer, receiver, exact, alerts) == "INVALID_DOCUMENT"
    coarse = "subscription { broadcastAlerts { kind incident { status coarseArea } } }"
    assert await _register_error(hook_client, organizer, receiver, coarse) == "INVALID_EVENT_KINDS"
    await registered(hook_client, organizer.token, organizer.gid, receiver.url + "/organizer", alerts, coarse)
    # a dispatcher app of another region's team: the incident is not in its regions, nothing is sent or listed
    stranger = await hooked(hook_client, live_sessions, receiver.url + "/stranger")
    location = await _broadcast(live_sessions, live_sealer, crew)
    await _report(hook_client, crew)

    await one_pass(live_sessions, live_sealer, hook_settings)

    sent = {r.path.rsplit("/", 1)[-1]: orjson.loads(r.body) for r in receiver.requests}
    assert sorted(sent) == ["organizer", "responder"]
    assert sent["responder"]["data"]["broadcastAlerts"]["incident"]["exactLocation"] is None
    assert sent["responder"]["withheld"] == [
        {"path": ["broadcastAlerts", "incident", "exactLocation"], "reason": "PUBLIC_ONLY"}
    ]
    assert sent["organizer"]["data"]["broadcastAlerts"]["incident"] == {  # the status is for members: not public
        "status": None,
        "coarseArea": "Mill district, Alder County",
    }
    assert sent["organizer"]["withheld"] == [
        {"path": ["broadcastAlerts", "incident", "status"], "reason": "PUBLIC_ONLY"}
    ]
    assert location not in b"".join(r.body for r in receiver.requests).decode()
    [hidden] = await deliveries(live_sessions, stranger.endpoint)
    assert hidden.status == WebhookDeliveryStatus.NOT_VISIBLE
    listed = await gql(hook_client, DELIVERIES, {"id": stranger.endpoint}, token=stranger.partner.token)
    assert listed["data"]["node"]["deliveries"]["nodes"] == []


async def _register_error(
    client: httpx.AsyncClient, partner: App, receiver: Receiver, document: str,
    kinds: tuple[str, ...] | list[str] = ("INCIDENT_REPORTED",),
) -> str:  # fmt: skip
    payload = await register(client, partner.token, partner.gid, receiver.url, list(kinds), document)
    [error] = payload["userErrors"]
    return str(error["code"])


async def test_an_app_whose_ceiling_was_narrowed_or_that_was_disabled_gets_nothing_more(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    crew = await team(live_sessions)
    narrowed = await app(hook_client, live_sessions, crew.org, [Role.RR_DISPATCHER])
    disabled = await app(hook_client, live_sessions, crew.org, [Role.RR_DISPATCHER])
    first, _ = await registered(hook_client, narrowed.token, narrowed.gid, receiver.url, REPORTED)
    second, _ = await registered(hook_client, disabled.token, disabled.gid, receiver.url, REPORTED)
    await _report(hook_client, crew)
    async with live_sessions() as session:  # the events are fanned out; then the rights change
        assert await fan_out(session) == 2
        await session.execute(
            update(OAuthClient).where(OAuthClient.id == narrowed.row.id).values(max_roles=["ORGANIZER"])
        )
        await session.execute(
            update(OAuthClient).where(OAuthClient.id == disabled.row.id).values(disabled_at=datetime.now(UTC))
        )
        await session.commit()  # fmt: skip

    await one_pass(live_sessions, live_sealer, hook_settings)
    await _report(hook_client, crew)
    await one_pass(live_sessions, live_sealer, hook_settings)

    assert receiver.requests == []
    gone = await deliveries(live_sessions, first)  # its document reads a field its ceiling no longer has
    assert [(d.status, d.last_error, d.attempts) for d in gone] == [
        (WebhookDeliveryStatus.DROPPED, "DOCUMENT_INVALID", 1)
    ] * 2
    [off] = await deliveries(live_sessions, second)  # and no delivery at all for the later event
    assert (off.status, off.last_error) == (WebhookDeliveryStatus.DROPPED, "APP_DISABLED")
