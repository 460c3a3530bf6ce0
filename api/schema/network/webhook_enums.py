"""GraphQL enums of webhooks: event kinds (registered here unless another module already did), delivery states."""

from __future__ import annotations

import enum

import strawberry

from api.models.enums import EventKind, WebhookDeliveryStatus, WebhookDisabledReason

_ENUMS: dict[type[enum.Enum], tuple[str, dict[str, str]]] = {
    EventKind: (
        "What happened to a record (an event of the outbox). An event names the record, never its values.",
        {
            "INCIDENT_REPORTED": "A rapid-response incident was reported.",
            "INCIDENT_VERIFICATION_CHANGED": "An incident's verification started or concluded.",
            "INCIDENT_STATUS_CHANGED": "An incident became active or stable.",
            "INCIDENT_CLOSED": "An incident was closed.",
            "INCIDENT_BROADCAST": "A confirmed incident was broadcast as an alert.",
            "INCIDENT_RETRACTED": "An incident's broadcast was retracted.",
            "RESPONDER_DISPATCHED": "A responder was dispatched to an incident.",
            "RESPONDER_ARRIVED": "A dispatched responder arrived.",
            "RESPONDER_RELEASED": "A dispatched responder was released.",
            "REQUEST_SUBMITTED": "An accompaniment request was submitted.",
            "REQUEST_TRIAGED": "An accompaniment request was triaged.",
            "REQUEST_MATCHING": "An accompaniment request is being matched (offered, or reopened).",
            "REQUEST_CONFIRMED": "An accompaniment request was confirmed.",
            "REQUEST_COMPLETED": "An accompaniment request was completed.",
            "REQUEST_CANCELLED": "An accompaniment request was cancelled.",
            "ASSIGNMENT_OFFERED": "An accompaniment assignment was offered to a volunteer.",
            "ASSIGNMENT_ACCEPTED": "A volunteer accepted an accompaniment assignment.",
            "ASSIGNMENT_DECLINED": "A volunteer declined an accompaniment assignment.",
            "SHIFT_CREATED": "A hospitality shift was created.",
            "SHIFT_FILLED": "A hospitality shift has all the volunteers it needs.",
            "SHIFT_NEEDS_VOLUNTEERS": "A hospitality shift needs volunteers again.",
            "SHIFT_COMPLETED": "A hospitality shift was completed.",
            "SHIFT_MISSED": "A hospitality shift was missed.",
            "CASE_OPENED": "A sanctuary case was opened.",
            "CASE_STATUS_CHANGED": "A sanctuary case moved in its lifecycle.",
            "BURN_REQUESTED": "A sanctuary case burn awaits a second org admin.",
            "BURN_CONFIRMED": "A sanctuary case burn was confirmed.",
            "ADVOCACY_ANNOUNCED": "An advocacy action was announced.",
            "ADVOCACY_HELD": "An advocacy action took place.",
            "ADVOCACY_CANCELLED": "An advocacy action was cancelled.",
            "MEMBER_DEACTIVATED": "A member was deactivated.",
        },
    ),
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
