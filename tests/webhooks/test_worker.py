"""The worker: several instances deliver each event once, a failing endpoint is disabled with a visible reason,
rotation signs with both secrets during the overlap, a replay resends the same webhook-id, the SSRF guard holds."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from api.crypto import Sealer, sealer_from_settings
from api.db import create_engine
from api.models import AuditEvent
from api.models.enums import AuditAction, Role, WebhookDeliveryStatus
from api.schema.engine.ids import decode_global_id
from api.settings import Settings
from api.webhooks.fanout import fan_out
from api.webhooks.worker import Pass
from tests.graphql import gql
from tests.webhooks.helpers import REPORTED, app, deliveries, hooked, incidents, one_pass, register, registered, team
from tests.webhooks.receiver import Receiver
from tests.workflow import actor, ok

ENDPOINT = """query E($id: ID!) { node(id: $id) { ... on WebhookEndpoint { disabledAt disabledReason failingSince
  consecutiveFailures lastError deliveries(first: 5) { nodes { id webhookId status attempts lastError } } } } }"""


@pytest.fixture
async def second_instance(
    live_engine: AsyncEngine, settings: Settings
) -> AsyncIterator[tuple[async_sessionmaker[AsyncSession], Sealer]]:
    """Another instance of the service on the same database: its own engine and sealer."""
    engine = create_engine(live_engine.url.render_as_string(hide_password=False), pool_size=5)
    yield (
        async_sessionmaker(engine, expire_on_commit=False, autoflush=False),
        sealer_from_settings(None, settings.resolved_key_file),
    )
    await engine.dispose()


async def test_two_instances_racing_deliver_each_event_exactly_once(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver, second_instance: tuple[async_sessionmaker[AsyncSession], Sealer],
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    await incidents(live_sessions, live_sealer, hook.crew, 30)
    async with live_sessions() as session:  # the deliveries exist before the race: every pass can claim from the start
        assert await fan_out(session, batch=100_000) == 30
        await session.commit()
    small = hook_settings.model_copy(update={"webhooks_batch": 3, "webhooks_concurrency": 2})
    start = asyncio.Event()

    async def racer(sessions: async_sessionmaker[AsyncSession], sealer: Sealer) -> Pass:
        await start.wait()
        return await one_pass(sessions, sealer, small, rounds=3)  # at most 3 claims of 3: 9 of the 30 deliveries

    racing = [asyncio.create_task(racer(*instance)) for instance in [(live_sessions, live_sealer), second_instance] * 2]
    start.set()
    passes = await asyncio.gather(*racing)

    assert sum(p.attempted for p in passes) == 30
    assert all(p.attempted for p in passes)  # no three passes could take them all (27 < 30): all four shared them
    assert Counter(receiver.ids()).most_common(1)[0][1] == 1
    assert len(receiver.ids()) == 30
    rows = await deliveries(live_sessions, hook.endpoint)
    assert {(d.status, d.attempts) for d in rows} == {(WebhookDeliveryStatus.SUCCEEDED, 1)}


async def test_an_endpoint_that_keeps_failing_is_disabled_and_its_admin_sees_why(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    crew = await team(live_sessions)
    async with live_sessions() as session:
        admin = await actor(session, crew.org, Role.ORG_ADMIN)
        await session.commit()
    partner = await app(hook_client, live_sessions, crew.org, [Role.RR_DISPATCHER])
    endpoint, _secret = await registered(hook_client, admin.token, partner.gid, receiver.url, REPORTED)
    receiver.default = 500
    strict = hook_settings.model_copy(update={"webhooks_disable_after_failures": 3, "webhooks_disable_after_hours": 1})
    await incidents(live_sessions, live_sealer, crew, 1)
    now = datetime.now(UTC)
    for hour in range(5):
        await one_pass(live_sessions, live_sealer, strict, now + timedelta(hours=hour))

    assert len(receiver.requests) == 3  # disabled at the third failure, two hours into the run: nothing more
    seen = (await gql(hook_client, ENDPOINT, {"id": endpoint}, token=admin.token))["data"]["node"]
    assert (seen["disabledReason"], seen["consecutiveFailures"], seen["lastError"]) == ("FAILING", 3, "HTTP_STATUS")
    assert seen["disabledAt"] is not None
    assert seen["failingSince"] is not None
    [delivery] = seen["deliveries"]["nodes"]
    assert (delivery["status"], delivery["attempts"]) == ("PENDING", 3)

    receiver.default = 200  # the receiver is mended; the admin enables the endpoint: what was pending goes out
    update = {"id": endpoint, "enabled": True}
    await ok(hook_client, "webhookEndpointUpdate", update, admin, "webhookEndpoint { disabledAt consecutiveFailures }")
    await one_pass(live_sessions, live_sealer, strict, now + timedelta(hours=6))
    assert len(receiver.requests) == 4
    assert len(set(receiver.ids())) == 1


async def test_rotation_signs_with_both_secrets_during_the_overlap_then_only_the_new_one(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    partner, old = hook.partner, hook.secret
    rotate = """mutation R($input: WebhookEndpointRotateSecretInput!) { webhookEndpointRotateSecret(input: $input) {
      secret webhookEndpoint { previousSecretExpiresAt } userErrors { code } } }"""
    rotated = await gql(hook_client, rotate, {"input": {"id": hook.endpoint, "overlapHours": 1}}, token=partner.token)
    new = rotated["data"]["webhookEndpointRotateSecret"]["secret"]
    assert new.startswith("whsec_")
    assert new != old
    await incidents(live_sessions, live_sealer, hook.crew, 1)
    await one_pass(live_sessions, live_sealer, hook_settings)

    [during] = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(during.body, during.headers)
    assert Webhook(old).verify(during.body, during.headers)

    latest = await gql(hook_client, rotate, {"input": {"id": hook.endpoint, "overlapHours": 0}}, token=partner.token)
    newest = latest["data"]["webhookEndpointRotateSecret"]["secret"]
    await incidents(live_sessions, live_sealer, hook.crew, 1)
    await one_pass(live_sessions, live_sealer, hook_settings)
    after = receiver.requests[1]
    assert Webhook(newest).verify(after.body, after.headers)
    for stale in (old, new):
        with pytest.raises(WebhookVerificationError):
            Webhook(stale).verify(after.body, after.headers)


async def test_a_replay_resends_the_same_webhook_id_and_is_audited_without_secrets(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    partner, secret = hook.partner, hook.secret
    await incidents(live_sessions, live_sealer, hook.crew, 1)
    await one_pass(live_sessions, live_sealer, hook_settings)
    seen = await gql(hook_client, ENDPOINT, {"id": hook.endpoint}, token=partner.token)
    [delivery] = seen["data"]["node"]["deliveries"]["nodes"]

    replay = """mutation P($input: WebhookDeliveryReplayInput!) { webhookDeliveryReplay(input: $input) {
      webhookDelivery { status } userErrors { code } } }"""
    stranger = await app(hook_client, live_sessions, (await team(live_sessions)).org, [Role.RR_DISPATCHER])
    refused = await gql(hook_client, replay, {"input": {"id": delivery["id"]}}, token=stranger.token)
    assert refused["data"]["webhookDeliveryReplay"] == {"webhookDelivery": None, "userErrors": [{"code": "NOT_FOUND"}]}
    body = await gql(hook_client, replay, {"input": {"id": delivery["id"]}}, token=partner.token)
    assert body["data"]["webhookDeliveryReplay"] == {"webhookDelivery": {"status": "PENDING"}, "userErrors": []}
    await one_pass(live_sessions, live_sealer, hook_settings)

    assert receiver.ids() == [delivery["webhookId"]] * 2
    assert all(Webhook(secret).verify(r.body, r.headers) for r in receiver.requests)
    async with live_sessions() as session:
        audited = list(await session.scalars(select(AuditEvent).where(
            AuditEvent.actor_client_id == partner.row.client_id, AuditEvent.action == AuditAction.MUTATION)))  # fmt: skip
    assert sorted(str(e.operation_name) for e in audited) == ["M", "P"]
    assert decode_global_id(delivery["id"])[1] in next(e for e in audited if e.operation_name == "P").record_ids
    assert secret not in repr([(e.fields, e.operation_name, e.record_ids) for e in audited])


async def test_private_and_loopback_receivers_are_refused_and_redirects_never_followed(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    await incidents(live_sessions, live_sealer, hook.crew, 1)
    guarded = hook_settings.model_copy(update={"webhooks_allow_private": False})  # as in production

    await one_pass(live_sessions, live_sealer, guarded)
    assert receiver.requests == []
    [refused] = await deliveries(live_sessions, hook.endpoint)
    assert (refused.status, refused.last_error, refused.last_response_code) == (
        WebhookDeliveryStatus.PENDING,
        "ADDRESS_REFUSED",
        None,
    )

    receiver.script = [302]  # allowed again (tests), the receiver redirects to itself: not followed
    await one_pass(live_sessions, live_sealer, hook_settings, datetime.now(UTC) + timedelta(hours=1))
    assert [r.path for r in receiver.requests] == ["/hooks"]
    [redirected] = await deliveries(live_sessions, hook.endpoint)
    assert (redirected.last_error, redirected.last_response_code) == ("REDIRECT", 302)


async def test_a_slow_receiver_times_out(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    hook = await hooked(hook_client, live_sessions, receiver.url)
    await incidents(live_sessions, live_sealer, hook.crew, 1)
    receiver.delay_s = 2.0
    await one_pass(live_sessions, live_sealer, hook_settings.model_copy(update={"webhooks_timeout_s": 0.5}))
    [slow] = await deliveries(live_sessions, hook.endpoint)
    assert (slow.status, slow.last_error) == (WebhookDeliveryStatus.PENDING, "TIMEOUT")


async def test_an_app_without_the_webhooks_scope_or_of_another_organization_manages_nothing(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], receiver: Receiver
) -> None:
    hook = await hooked(hook_client, live_sessions, receiver.url)
    crew, partner = hook.crew, hook.partner
    sibling = await app(hook_client, live_sessions, crew.org, [Role.RR_DISPATCHER])
    reader = await app(hook_client, live_sessions, crew.org, [Role.RR_DISPATCHER], scopes=("read", "write"))
    stranger = await app(hook_client, live_sessions, (await team(live_sessions)).org, [Role.RR_DISPATCHER])
    for caller, target in ((partner, sibling), (stranger, partner)):  # another app's, another organization's
        payload = await register(hook_client, caller.token, target.gid, receiver.url, REPORTED)
        assert [e["code"] for e in payload["userErrors"]] == ["APP_NOT_FOUND"]
    for caller in (sibling, stranger, reader):  # another app's endpoint reads like a missing one
        seen = await gql(hook_client, ENDPOINT, {"id": hook.endpoint}, token=caller.token)
        assert seen["data"] is None or seen["data"]["node"] is None, seen
    body = await gql(hook_client, "{ webhookEndpoints(first: 5) { nodes { id } } }", token=reader.token)
    assert "Cannot query field 'webhookEndpoints'" in body["errors"][0]["message"]


async def test_a_payload_over_the_size_cap_is_never_sent(
    hook_client: httpx.AsyncClient, live_sessions: async_sessionmaker[AsyncSession], live_sealer: Sealer,
    hook_settings: Settings, receiver: Receiver,
) -> None:  # fmt: skip
    wide = " ".join(f"a{n}: coarseArea b{n}: id" for n in range(14))  # about 2 KiB of answer
    document = f"subscription {{ incidentEvents {{ incident {{ {wide} }} }} }}"
    hook = await hooked(hook_client, live_sessions, receiver.url, document)
    await incidents(live_sessions, live_sealer, hook.crew, 1)

    await one_pass(live_sessions, live_sealer, hook_settings.model_copy(update={"webhooks_max_body_bytes": 1024}))

    assert receiver.requests == []
    [capped] = await deliveries(live_sessions, hook.endpoint)
    assert (capped.status, capped.last_error) == (WebhookDeliveryStatus.FAILED, "PAYLOAD_TOO_LARGE")
