"""Mutations of webhook endpoints: register, update (disable / enable), delete, rotate the secret, replay."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import strawberry

from api.models import WebhookDelivery as DeliveryRow
from api.models import WebhookEndpoint as EndpointRow
from api.models.enums import EventKind
from api.schema.engine.context import Info
from api.schema.engine.ids import encode_global_id
from api.schema.engine.mutation_support import Done, codes, mutation
from api.schema.engine.relay import parse_id
from api.schema.network.webhooks import WebhookDelivery, WebhookEndpoint
from api.services.shared.errors import UserFacingError
from api.services.webhooks import deliveries, endpoints
from api.services.webhooks.endpoints import Change

_DOCUMENT = (
    "The payload's selection: a subscription of this API (e.g. `subscription { incidentEvents { kind incident { id "
    "status } } }`), checked against the schema of the app's ceiling (a field outside it is refused) and run for "
    "each event at delivery, as the app is then."
)


@strawberry.input(description="A new webhook endpoint of a partner app.")
class WebhookEndpointCreateInput:
    app_id: strawberry.ID = strawberry.field(description="The partner app (its id): one of your organization's.")
    url: str = strawberry.field(description="Where to POST deliveries: an https URL of a public host.")
    event_kinds: list[EventKind] = strawberry.field(description="The kinds of event to receive (one or more).")
    document: str = strawberry.field(description=_DOCUMENT)
    description: str | None = strawberry.field(default=None, description="What it is for (up to 200 characters).")


@strawberry.input(description="Changes to a webhook endpoint; omitted fields are kept.")
class WebhookEndpointUpdateInput:
    id: strawberry.ID = strawberry.field(description="The endpoint (its id).")
    url: str | None = strawberry.field(default=None, description="A new https URL.")
    event_kinds: list[EventKind] | None = strawberry.field(default=None, description="New event kinds.")
    document: str | None = strawberry.field(default=None, description=_DOCUMENT)
    description: str | None = strawberry.field(default=None, description="A new description.")
    enabled: bool | None = strawberry.field(
        default=None, description="false disables it (nothing is sent); true enables it again (and clears failures)."
    )


@strawberry.input(description="The webhook endpoint to delete (with its deliveries).")
class WebhookEndpointDeleteInput:
    id: strawberry.ID = strawberry.field(description="The endpoint (its id).")


@strawberry.input(description="The webhook endpoint whose signing secret to replace.")
class WebhookEndpointRotateSecretInput:
    id: strawberry.ID = strawberry.field(description="The endpoint (its id).")
    overlap_hours: float | None = strawberry.field(
        default=None,
        description="How long the old secret keeps signing too (0-168 hours; default: the service's setting).",
    )


@strawberry.input(description="The delivery to attempt again.")
class WebhookDeliveryReplayInput:
    id: strawberry.ID = strawberry.field(description="The delivery (its id).")


_ENDPOINT = ("webhook_endpoint", WebhookEndpoint, "The endpoint's record.")
_SECRET = {"secret": (str, "The signing secret (`whsec_…`): shown this once, stored sealed.")}
_NOT_FOUND = "No webhook endpoint you manage has this id."
_INPUT_CODES = {
    "INVALID_URL": "Not an https URL of a public host (or malformed).",
    "INVALID_EVENT_KINDS": "No event kind given, or one the subscription never delivers.",
    "INVALID_DOCUMENT": "Not a subscription document valid against the app's ceiling.",
}


@strawberry.type
class WebhookMutations:
    @mutation(
        "webhookEndpointCreate",
        "Register a webhook endpoint for a partner app of your organization (a partner app with the `webhooks` "
        "scope: for itself). `secret` is shown this once.",
        returns=_ENDPOINT,
        errors=codes(
            APP_NOT_FOUND="No partner app whose webhooks you manage has this id.",
            TOO_MANY_ENDPOINTS="The app already has the most endpoints it may have.",
            **_INPUT_CODES,
        ),
        extra=_SECRET,
    )
    async def webhook_endpoint_create(
        self, info: Info, input: Annotated[WebhookEndpointCreateInput, strawberry.argument(description="What.")]
    ) -> Done:
        context = info.context
        change = Change(input.url, list(input.event_kinds)[:100], input.document, input.description)
        row, secret = await endpoints.register(
            context.session, context.sealer, context.settings, context.viewer, parse_id(input.app_id, "PartnerApp"),
            change,
        )  # fmt: skip
        return Done(row, {"secret": secret}, [row.id, row.app_id])

    @mutation(
        "webhookEndpointUpdate",
        "Change a webhook endpoint, or disable / enable it.",
        returns=_ENDPOINT,
        errors=codes("CONFLICT", NOT_FOUND=_NOT_FOUND, APP_NOT_FOUND="The endpoint's app is gone.", **_INPUT_CODES),
    )
    async def webhook_endpoint_update(
        self, info: Info, input: Annotated[WebhookEndpointUpdateInput, strawberry.argument(description="What.")]
    ) -> EndpointRow:
        context = info.context
        kinds = None if input.event_kinds is None else list(input.event_kinds)[:100]
        change = Change(input.url, kinds, input.document, input.description, input.enabled)
        endpoint_id = parse_id(input.id, "WebhookEndpoint")
        return await endpoints.update(context.session, context.settings, context.viewer, endpoint_id, change)

    @mutation(
        "webhookEndpointDelete",
        "Delete a webhook endpoint and its deliveries.",
        returns=("deleted_id", strawberry.ID, "The deleted endpoint's id."),
        errors=codes(NOT_FOUND=_NOT_FOUND),
    )
    async def webhook_endpoint_delete(
        self, info: Info, input: Annotated[WebhookEndpointDeleteInput, strawberry.argument(description="What.")]
    ) -> Done:
        context = info.context
        deleted = await endpoints.delete(context.session, context.viewer, parse_id(input.id, "WebhookEndpoint"))
        return Done(encode_global_id("WebhookEndpoint", deleted), record_ids=[deleted])

    @mutation(
        "webhookEndpointRotateSecret",
        "Replace a webhook endpoint's signing secret; the old one keeps signing too during the overlap (each "
        "delivery then carries both signatures). `secret` is shown this once.",
        returns=_ENDPOINT,
        errors=codes(NOT_FOUND=_NOT_FOUND),
        extra=_SECRET,
    )
    async def webhook_endpoint_rotate_secret(
        self, info: Info, input: Annotated[WebhookEndpointRotateSecretInput, strawberry.argument(description="What.")]
    ) -> Done:
        context = info.context
        hours = context.settings.webhooks_secret_overlap_hours if input.overlap_hours is None else input.overlap_hours
        if not 0 <= hours <= 168:
            raise UserFacingError("INVALID_INPUT", "The overlap lasts 0 to 168 hours.", "overlapHours")
        row, secret = await endpoints.rotate(
            context.session, context.sealer, context.viewer, parse_id(input.id, "WebhookEndpoint"),
            timedelta(hours=hours),
        )  # fmt: skip
        return Done(row, {"secret": secret})

    @mutation(
        "webhookDeliveryReplay",
        "Attempt a delivery again, now, with the same `webhook-id`; its payload is computed anew under the app's "
        "rights of that moment.",
        returns=("webhook_delivery", WebhookDelivery, "The delivery's record."),
        errors=codes(NOT_FOUND="No webhook delivery you manage has this id."),
    )
    async def webhook_delivery_replay(
        self, info: Info, input: Annotated[WebhookDeliveryReplayInput, strawberry.argument(description="What.")]
    ) -> DeliveryRow:
        context = info.context
        return await deliveries.replay(context.session, context.viewer, parse_id(input.id, "WebhookDelivery"))
