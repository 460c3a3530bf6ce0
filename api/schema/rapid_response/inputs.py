"""Inputs of the rapid-response mutations (translated to service calls in rapid_response_mutations)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.models.enums import DispatchRole, IncidentKind, IntakeChannel, TimelineKind
from api.schema.engine.mutation_support import expected_version_field, idempotency_key_field
from api.services.rapid_response.incidents import VerificationResult
from api.services.shared.lifecycles import IncidentAction


@strawberry.input(
    description="A report taken by a dispatcher (S.A.L.U.T.E.). The exact location and the reporter's contact are "
    "sealed (T3); coordinates are used only to compute the coarse public area and are never stored."
)
class IncidentReportInput:
    kind: IncidentKind = strawberry.field(description="What kind of enforcement action was reported.")
    intake_channel: IntakeChannel = strawberry.field(description="How the report reached the network.")
    region_id: strawberry.ID = strawberry.field(description="The region: one you dispatch for.")
    exact_location: str | None = strawberry.field(
        default=None, description="S.A.L.U.T.E. Location: the exact address or place (up to 500 characters; T3)."
    )
    latitude: float | None = strawberry.field(
        default=None, description="Latitude of the place (-90..90), with longitude; only its coarse cell is kept."
    )
    longitude: float | None = strawberry.field(
        default=None, description="Longitude of the place (-180..180), with latitude; only its coarse cell is kept."
    )
    reporter_contact: str | None = strawberry.field(
        default=None, description="How to reach the reporter (up to 300 characters; T3, purged after triage)."
    )
    size: str | None = strawberry.field(default=None, description="S.A.L.U.T.E. Size (up to 200 characters).")
    actions: str | None = strawberry.field(default=None, description="S.A.L.U.T.E. Actions (up to 2000 characters).")
    uniform: str | None = strawberry.field(default=None, description="S.A.L.U.T.E. Uniform (up to 200 characters).")
    observed_at: datetime | None = strawberry.field(
        default=None, description="S.A.L.U.T.E. Time: when it was seen (with a time zone; within the last 30 days)."
    )
    equipment: str | None = strawberry.field(default=None, description="S.A.L.U.T.E. Equipment (up to 300 characters).")
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="An incident whose verification starts.")
class IncidentVerificationStartInput:
    id: strawberry.ID = strawberry.field(description="The incident.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="What verifying an incident found.")
class IncidentVerificationRecordInput:
    id: strawberry.ID = strawberry.field(description="The incident (in verification).")
    result: VerificationResult = strawberry.field(description="The result.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="A responder to send to an incident.")
class IncidentDispatchInput:
    incident_id: strawberry.ID = strawberry.field(description="The incident (not closed).")
    member_id: strawberry.ID = strawberry.field(
        description="An active responder or dispatcher of your organization, not already on the incident."
    )
    role: DispatchRole = strawberry.field(description="The responder's role (LEGAL_OBSERVER needs the training).")
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="A dispatch whose responder arrived.")
class IncidentDispatchArriveInput:
    id: strawberry.ID = strawberry.field(description="The dispatch.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="A dispatch whose responder is released.")
class IncidentDispatchReleaseInput:
    id: strawberry.ID = strawberry.field(description="The dispatch.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="An incident whose alert to broadcast.")
class IncidentBroadcastInput:
    id: strawberry.ID = strawberry.field(description="The incident (CONFIRMED, with a verifier arrived).")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="An incident whose public alert to withdraw.")
class IncidentBroadcastRetractInput:
    id: strawberry.ID = strawberry.field(description="The incident (broadcast).")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="A move in an incident's response lifecycle.")
class IncidentTransitionInput:
    id: strawberry.ID = strawberry.field(description="The incident.")
    action: IncidentAction = strawberry.field(description="The move to make.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="A note or debrief for an incident's timeline.")
class IncidentTimelineAddInput:
    incident_id: strawberry.ID = strawberry.field(description="The incident.")
    kind: TimelineKind = strawberry.field(description="NOTE or DEBRIEF (the workflow records the other kinds).")
    note: str = strawberry.field(description="The note (1-4000 characters; T3, sealed).")
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened (with a time zone; default now; not in the future)."
    )
    idempotency_key: str | None = idempotency_key_field()
