"""The worker runs inside the service: started in the lifespan, woken by the instance's EventHub."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from api.settings import Settings
from tests.live.harness import WAIT_S, serving
from tests.rapid_response import test_workflow_rapid_response as rapid
from tests.webhooks.helpers import hooked
from tests.webhooks.receiver import Receiver
from tests.workflow import ok


async def test_the_services_own_worker_delivers_when_the_hub_hands_it_an_event(
    live_engine: AsyncEngine, live_sessions: async_sessionmaker[AsyncSession], hook_settings: Settings,
    hook_client: httpx.AsyncClient, receiver: Receiver,
) -> None:  # fmt: skip
    url = live_engine.url.render_as_string(hide_password=False)
    # the timer is far away: only the hub's wake-up can deliver within the wait
    settings = hook_settings.model_copy(update={"database_url": url, "webhooks_interval_s": 600.0})
    hook = await hooked(hook_client, live_sessions, receiver.url)
    with serving(settings) as served:
        async with httpx.AsyncClient(base_url=served.http) as client:
            await asyncio.sleep(0.5)  # lets the start-up round end first, so that the hub's wake-up delivers
            await ok(client, "incidentReport", rapid._report(hook.crew), hook.crew.dispatcher, "incident { id }")
            assert await asyncio.to_thread(receiver.arrived.wait, WAIT_S)  # a bound on waiting, not a timing
    [request] = receiver.requests
    assert Webhook(hook.secret).verify(request.body, request.headers)["type"] == "INCIDENT_REPORTED"
