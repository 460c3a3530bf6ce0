"""The demo's partner app with a webhook endpoint: a hotline dashboard of the rapid-response team.

The endpoint is registered disabled (nothing is sent until someone gives it a URL of theirs and enables it),
in the middle of a secret rotation (both its secrets are sealed, as in a real rotation's overlap).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from api.auth.clients import create_client
from api.models import WebhookEndpoint
from api.models.enums import WebhookDisabledReason
from api.seed.builder import DemoBuilder
from api.webhooks import signing

DOCUMENT = "subscription { incidentEvents { kind occurredAt incident { id kind status coarseArea } } }"


async def seed_webhooks(b: DemoBuilder) -> None:
    """A dispatcher app of the rapid-response team (scopes read, webhooks) and its disabled endpoint."""
    org = b.orgs["rapid"]
    app, _secret = await create_client(
        b.session, org, name="Hotline dashboard", scopes=["read", "webhooks"], max_roles=["RR_DISPATCHER"]
    )
    b.counts["oauth_client"] += 1
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(), organization_id=org.id, app_id=app.id, url="https://hooks.example.org/quillmere-hotline",
        event_kinds=["INCIDENT_REPORTED", "INCIDENT_BROADCAST"], document=DOCUMENT,
        description="Demo: give it a URL of yours and enable it", disabled_at=b.now,
        disabled_reason=WebhookDisabledReason.MANUAL, secret_rotated_at=b.now,
        previous_secret_expires_at=b.now + timedelta(hours=24),
    )  # fmt: skip
    endpoint.secret = await b.seal(org.id, endpoint.id, "webhook_endpoint.secret", signing.new_secret())
    endpoint.previous_secret = await b.seal(
        org.id, endpoint.id, "webhook_endpoint.previous_secret", signing.new_secret()
    )
    b.add(endpoint)
    await b.flush()
