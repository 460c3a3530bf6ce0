"""Inputs of the accompaniment mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.models.enums import AccompanimentKind, AccompanimentOutcome, AssignmentRole, Urgency
from api.schema.engine.mutation_support import expected_version_field, idempotency_key_field


@strawberry.input(
    name="AccompanimentRequestSubmitInput", description="A request to accompany a person of your organization."
)
class SubmitInput:
    person_id: strawberry.ID = strawberry.field(description="The person to accompany (of your organization).")
    kind: AccompanimentKind = strawberry.field(description="What the accompaniment is for.")
    appointment_at: datetime = strawberry.field(
        description="When the appointment is (with a time zone; in the future, at most 3 years ahead)."
    )
    place: str | None = strawberry.field(
        default=None, description="Where the appointment is: court, office, address (up to 300 characters)."
    )
    languages_needed: list[str] | None = strawberry.field(
        default=None, description="Languages the volunteers need (BCP 47 tags such as `es`; at most 20)."
    )
    urgency: Urgency = strawberry.field(default=Urgency.ROUTINE, description="How urgent the request is.")
    notes: str | None = strawberry.field(
        default=None, description="Notes for the coordinators who match it (up to 4000 characters; encrypted)."
    )
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="The region of the appointment (default: your organization's region)."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(name="AccompanimentRequestTriageInput", description="Triage of a SUBMITTED request.")
class TriageInput:
    id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = expected_version_field()
    congregation_id: strawberry.ID | None = strawberry.field(
        default=None, description="Route it to this congregation's accompaniment team (default: the whole network)."
    )
    urgency: Urgency | None = strawberry.field(default=None, description="A new urgency (default: unchanged).")


@strawberry.input(name="AccompanimentVolunteerInput", description="A volunteer to invite, in a role.")
class VolunteerInput:
    member_id: strawberry.ID = strawberry.field(description="The member (an accompanier of your organization).")
    role: AssignmentRole = strawberry.field(description="The role offered.")


@strawberry.input(name="AccompanimentRequestOfferInput", description="Volunteers to invite to a request.")
class OfferInput:
    id: strawberry.ID = strawberry.field(description="The request.")
    volunteers: list[VolunteerInput] = strawberry.field(description="1 to 10 volunteers, each once.")
    expected_version: int | None = expected_version_field()


@strawberry.input(name="AccompanimentRequestConfirmInput", description="The request to confirm.")
class ConfirmInput:
    id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = expected_version_field()


@strawberry.input(name="AccompanimentRequestCancelInput", description="The request to cancel.")
class CancelInput:
    id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = expected_version_field()


@strawberry.input(name="AccompanimentRequestCompleteInput", description="How a confirmed accompaniment went.")
class CompleteInput:
    id: strawberry.ID = strawberry.field(description="The request.")
    outcome: AccompanimentOutcome = strawberry.field(description="What happened at the appointment.")
    debrief_notes: str | None = strawberry.field(
        default=None, description="A debrief appended to the request's notes (up to 4000 characters; encrypted)."
    )
    no_show_assignment_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Accepted volunteers who did not come (at most 10); the others completed it."
    )
    expected_version: int | None = expected_version_field()


@strawberry.input(name="AccompanimentAssignmentAcceptInput", description="Your acceptance of an invitation.")
class AcceptInput:
    id: strawberry.ID = strawberry.field(description="Your assignment.")
    expected_version: int | None = expected_version_field()


@strawberry.input(name="AccompanimentAssignmentDeclineInput", description="Your refusal, or withdrawal.")
class DeclineInput:
    id: strawberry.ID = strawberry.field(description="Your assignment.")
    expected_version: int | None = expected_version_field()
