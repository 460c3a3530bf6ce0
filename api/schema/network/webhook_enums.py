"""GraphQL enums of webhooks: delivery states and why an endpoint is disabled (event kinds: api/schema/enums.py)."""

from __future__ import annotations

import enum

import strawberry

from api.models.enums import WebhookDeliveryStatus, WebhookDisabledReason

_ENUMS: dict[type[enum.Enum], tuple[str, dict[str, str]]] = {
    WebhookDeliveryStatus: (
        "Where a webhook delivery stands.",
        {
            "PENDING": "Due at `nextAttemptAt` (first attempt or a retry).",
            "SUCCEEDED": "The receiver answered 2xx.",
            "FAILED": "Retries are exhausted (at least 24 hours), or the payload is over the size cap.",
            "DROPPED": "Not sent: the app was disabled or lost the right to read it, or its document no longer holds.",
            "NOT_VISIBLE": "Not sent: the app may not read the record (never listed).",
        },
    ),
    WebhookDisabledReason: (
        "Why a webhook endpoint is disabled.",
        {
            "MANUAL": "An admin, or the app, disabled it.",
            "FAILING": "It kept failing (see `failingSince`, `consecutiveFailures` and `lastError`).",
        },
    ),
}


def register_webhook_enums() -> None:
    """Register the enums with strawberry, with their descriptions (once; skipped when already registered)."""
    for enum_cls, (description, values) in _ENUMS.items():
        if hasattr(enum_cls, "__strawberry_definition__"):
            continue
        strawberry.enum(enum_cls, description=description)
        for value in enum_cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
            value.description = values[value.name]
