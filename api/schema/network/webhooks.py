"""Webhook endpoints of partner apps and their deliveries (org admins; an app with the `webhooks` scope: its own)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.auth.access import readable
from api.models import OAuthClient as AppRow
from api.models import WebhookDelivery as DeliveryRow
from api.models import WebhookEndpoint as EndpointRow
from api.models.base import Tier
from api.models.enums import EventKind, WebhookDeliveryStatus, WebhookDisabledReason
from api.schema.engine.context import Info
from api.schema.engine.fields import plain
from api.schema.engine.lookup import related, to_one
from api.schema.engine.relay import (
    AfterArg,
    BeforeArg,
    Connection,
    ConnectionOrder,
    FirstArg,
    LastArg,
    Node,
    OrderArg,
    Page,
    keyset_page,
    node_type,
    paginate,
    parse_id,
)
from api.schema.network.credentials import PartnerApp
from api.schema.network.webhook_enums import register_webhook_enums
from api.webhooks import signing

register_webhook_enums()

_WHO = "Org admins of the app's organization, and the app itself with the `webhooks` scope."


@node_type(
    EndpointRow, floor=Tier.T1,
    description=f"Where a partner app receives signed webhooks (Standard Webhooks), for some event kinds. {_WHO} "
    "The signing secret is never shown again after its creation or rotation.",
)  # fmt: skip
class WebhookEndpoint(Node):
    url: str = plain(EndpointRow.url, "Where deliveries are POSTed (https).")
    document: str = plain(
        EndpointRow.document,
        "The subscription document selecting each delivery's payload.",
    )
    description: str | None = plain(EndpointRow.description, "What the endpoint is for.")
    created_at: datetime = plain(EndpointRow.created_at, "When it was registered.")
    secret_rotated_at: datetime | None = plain(EndpointRow.secret_rotated_at, "When its secret was last rotated.")
    previous_secret_expires_at: datetime | None = plain(
        EndpointRow.previous_secret_expires_at, "Until when the previous secret also signs (the rotation's overlap)."
    )
    disabled_at: datetime | None = plain(EndpointRow.disabled_at, "When it was disabled, if it is: nothing is sent.")
    disabled_reason: WebhookDisabledReason | None = plain(EndpointRow.disabled_reason, "Why it is disabled.")
    consecutive_failures: int = plain(EndpointRow.consecutive_failures, "Failed attempts in a row (0 after a success).")
    failing_since: datetime | None = plain(EndpointRow.failing_since, "When the current run of failures began.")
    last_error: str | None = plain(
        EndpointRow.last_error, "Class of the last failure (TIMEOUT, CONNECT, TLS, HTTP_STATUS, REDIRECT, "
        "ADDRESS_REFUSED, DNS, PROTOCOL).",
    )  # fmt: skip
    version: int = plain(EndpointRow.version, "Version for optimistic concurrency.")

    @strawberry.field(description="The event kinds it receives. Network (T1): members of the network.")
    def event_kinds(self, root: strawberry.Parent[EndpointRow]) -> list[EventKind]:
        return [EventKind(kind) for kind in root.event_kinds]

    @strawberry.field(description="The partner app it belongs to (org admins).", metadata=to_one(AppRow, "app_id"))
    def app(self, root: strawberry.Parent[EndpointRow], info: Info) -> PartnerApp | None:
        return related(info, AppRow, root.app_id)

    @strawberry.field(description="Its deliveries, newest first (never their body, never the secret).")
    async def deliveries(
        self, root: strawberry.Parent[EndpointRow], info: Info, first: FirstArg = None, after: AfterArg = None,
        last: LastArg = None, before: BeforeArg = None,
        status: Annotated[
            list[WebhookDeliveryStatus] | None, strawberry.argument(description="Only deliveries in these states.")
        ] = None,
    ) -> Connection[WebhookDelivery]:  # fmt: skip
        statement = readable(info.context.viewer, DeliveryRow).where(DeliveryRow.endpoint_id == root.id)
        if status:
            statement = statement.where(DeliveryRow.status.in_(status[: len(WebhookDeliveryStatus)]))
        page = Page("webhookDeliveries", first, after, last, before)
        return await keyset_page(info, statement, DeliveryRow, DeliveryRow.created_at, page, newest_first=True)


@node_type(
    DeliveryRow, floor=Tier.T1,
    description=f"One event for one webhook endpoint: its state and attempts (never the body). {_WHO}",
)  # fmt: skip
class WebhookDelivery(Node):
    event_kind: str = plain(DeliveryRow.event_kind, "The kind of event delivered.")
    status: WebhookDeliveryStatus = plain(DeliveryRow.status, "Where the delivery stands.")
    attempts: int = plain(DeliveryRow.attempts, "Attempts made so far (replays included).")
    next_attempt_at: datetime | None = plain(DeliveryRow.next_attempt_at, "When the next attempt is due, if any.")
    last_attempt_at: datetime | None = plain(DeliveryRow.last_attempt_at, "When the last attempt started.")
    last_response_code: int | None = plain(DeliveryRow.last_response_code, "HTTP status of the last answer, if any.")
    last_error: str | None = plain(
        DeliveryRow.last_error, "Class of the last failure, or why it was not sent (APP_DISABLED, DOCUMENT_INVALID, "
        "EVENT_EXPIRED, PAYLOAD_TOO_LARGE).",
    )  # fmt: skip
    delivered_at: datetime | None = plain(DeliveryRow.delivered_at, "When the receiver accepted it (2xx).")
    created_at: datetime = plain(DeliveryRow.created_at, "When the event was queued for this endpoint.")

    @strawberry.field(description="The `webhook-id` header: the same on every attempt and replay. Network (T1).")
    def webhook_id(self, root: strawberry.Parent[DeliveryRow]) -> str:
        return signing.webhook_id(root.id)

    @strawberry.field(description="The outbox event's id (its position among events). Network (T1).")
    def event_id(self, root: strawberry.Parent[DeliveryRow]) -> str:
        return str(root.event_id)

    @strawberry.field(description="The endpoint it was sent to.", metadata=to_one(EndpointRow, "endpoint_id"))
    def endpoint(self, root: strawberry.Parent[DeliveryRow], info: Info) -> WebhookEndpoint | None:
        return related(info, EndpointRow, root.endpoint_id)


@strawberry.type
class WebhookQueries:
    @strawberry.field(description=f"Webhook endpoints of partner apps. {_WHO}")
    async def webhook_endpoints(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None,
        order_by: OrderArg = ConnectionOrder.CREATED_AT,
        app_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this app's (its id).")] = None,
    ) -> Connection[WebhookEndpoint]:  # fmt: skip
        statement = readable(info.context.viewer, EndpointRow)
        if app_id is not None:
            statement = statement.where(EndpointRow.app_id == parse_id(app_id, "PartnerApp"))
        return await paginate(
            info, statement, EndpointRow, name="webhookEndpoints", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
