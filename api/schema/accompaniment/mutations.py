"""Accompaniment mutations: legal aid submits, coordinators triage, match and confirm, volunteers answer.

Every payload carries the request as it is now (``accompanimentRequest``); the volunteers'
answers also carry their ``accompanimentAssignment``.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.models import AccompanimentRequest as RequestRow
from api.schema.accompaniment.inputs import (
    AcceptInput,
    CancelInput,
    CompleteInput,
    ConfirmInput,
    DeclineInput,
    OfferInput,
    SubmitInput,
    TriageInput,
)
from api.schema.accompaniment.types import AccompanimentAssignment, AccompanimentRequest
from api.schema.engine.context import Info
from api.schema.engine.mutation_support import TRANSITION_CODES, Done, codes, mutation
from api.schema.engine.relay import parse_id
from api.services.accompaniment import matching as accompaniment_matching
from api.services.accompaniment import requests as accompaniment
from api.services.rapid_response.detention import NO_HOLDER, NO_HOLDER_MESSAGE

_RETURNS = ("accompaniment_request", AccompanimentRequest, "The request as it is now.")
_ANSWER = {"accompaniment_assignment": (AccompanimentAssignment, "Your assignment as it is now.")}
_VOLUNTEER_CODES = {
    "VOLUNTEER_NOT_FOUND": "A volunteer is not an active accompanier of your organization.",
    "TRAINING_REQUIRED": "A volunteer has no accompaniment training valid on the day of the appointment.",
    "LANGUAGE_MISMATCH": "A volunteer speaks none of the languages the request needs.",
    "ALREADY_OFFERED": "A volunteer was already offered this request (whatever the answer).",
}


@strawberry.type
class AccompanimentMutations:
    @mutation(
        "accompanimentRequestSubmit",
        "Ask the network to accompany a person of your organization to an appointment (status SUBMITTED).",
        returns=_RETURNS,
        errors=codes(
            "INVALID_INPUT",
            "IDEMPOTENCY_KEY_REUSED",
            PERSON_NOT_FOUND="No person of your organization has this id.",
            REGION_NOT_FOUND="No region has this id.",
        ),
        creates=RequestRow,
    )
    async def accompaniment_request_submit(
        self, info: Info, input: Annotated[SubmitInput, strawberry.argument(description="The request.")]
    ) -> RequestRow:
        submission = accompaniment.Submission(
            person_id=parse_id(input.person_id, "Person"), kind=input.kind, appointment_at=input.appointment_at,
            place=input.place, languages_needed=tuple(input.languages_needed or ()), urgency=input.urgency,
            notes=input.notes, region_id=parse_id(input.region_id, "Region") if input.region_id else None,
        )  # fmt: skip
        context = info.context
        return await accompaniment.submit(context.session, context.viewer, context.sealer, submission)

    @mutation(
        "accompanimentRequestTriage",
        "Triage a SUBMITTED request routed to your congregation or the network: route it, grade its urgency.",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES, CONGREGATION_NOT_FOUND="No congregation of the network has this id."),
    )
    async def accompaniment_request_triage(
        self, info: Info, input: Annotated[TriageInput, strawberry.argument(description="The triage.")]
    ) -> RequestRow:
        congregation_id = parse_id(input.congregation_id, "Congregation") if input.congregation_id else None
        return await accompaniment.triage(
            info.context.session, info.context.viewer, parse_id(input.id, "AccompanimentRequest"),
            input.expected_version, congregation_id=congregation_id, urgency=input.urgency,
        )  # fmt: skip

    @mutation(
        "accompanimentRequestOffer",
        "Invite trained accompaniers of your organization to a TRIAGED or MATCHING request (all or none).",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES, "INVALID_INPUT", **_VOLUNTEER_CODES),
    )
    async def accompaniment_request_offer(
        self, info: Info, input: Annotated[OfferInput, strawberry.argument(description="The volunteers.")]
    ) -> Done:
        volunteers = [
            accompaniment_matching.Volunteer(parse_id(v.member_id, "Member"), v.role) for v in input.volunteers
        ]
        request, assignments = await accompaniment_matching.offer(
            info.context.session, info.context.viewer, parse_id(input.id, "AccompanimentRequest"), volunteers,
            input.expected_version,
        )  # fmt: skip
        return Done(request, record_ids=[request.id, *(a.id for a in assignments)])

    @mutation(
        "accompanimentRequestConfirm",
        "Confirm a MATCHING request once at least one volunteer accepted.",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES, NO_ACCEPTED_VOLUNTEER="No volunteer has accepted yet."),
    )
    async def accompaniment_request_confirm(
        self, info: Info, input: Annotated[ConfirmInput, strawberry.argument(description="The request.")]
    ) -> RequestRow:
        return await accompaniment.confirm(
            info.context.session, info.context.viewer, parse_id(input.id, "AccompanimentRequest"),
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "accompanimentRequestComplete",
        "Record how a CONFIRMED accompaniment went; DETAINED opens a rapid-response incident in its region.",
        returns=_RETURNS,
        errors=codes(
            *TRANSITION_CODES,
            "INVALID_INPUT",
            ASSIGNMENT_NOT_FOUND="A no-show is not a volunteer on this request.",
            **{NO_HOLDER: NO_HOLDER_MESSAGE},
        ),
    )
    async def accompaniment_request_complete(
        self, info: Info, input: Annotated[CompleteInput, strawberry.argument(description="The outcome.")]
    ) -> Done:
        completion = accompaniment.Completion(
            outcome=input.outcome, debrief=input.debrief_notes,
            no_show_ids=tuple(parse_id(i, "AccompanimentAssignment") for i in input.no_show_assignment_ids or ()),
        )  # fmt: skip
        context = info.context
        request = await accompaniment.complete(
            context.session, context.viewer, context.sealer, parse_id(input.id, "AccompanimentRequest"), completion,
            input.expected_version,
        )  # fmt: skip
        return Done(request, record_ids=[request.id, *([request.incident_id] if request.incident_id else [])])

    @mutation(
        "accompanimentRequestCancel",
        "Cancel an open request (coordinators: routed to them; legal advocates: their organization's).",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES),
    )
    async def accompaniment_request_cancel(
        self, info: Info, input: Annotated[CancelInput, strawberry.argument(description="The request.")]
    ) -> RequestRow:
        return await accompaniment.cancel(
            info.context.session, info.context.viewer, parse_id(input.id, "AccompanimentRequest"),
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "accompanimentAssignmentAccept",
        "Accept your invitation to a request that is MATCHING or CONFIRMED.",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES),
        extra=_ANSWER,
    )
    async def accompaniment_assignment_accept(
        self, info: Info, input: Annotated[AcceptInput, strawberry.argument(description="Your answer.")]
    ) -> Done:
        request, assignment = await accompaniment_matching.accept(
            info.context.session, info.context.viewer, parse_id(input.id, "AccompanimentAssignment"),
            input.expected_version,
        )  # fmt: skip
        return Done(request, {"accompaniment_assignment": assignment}, [assignment.id, request.id])

    @mutation(
        "accompanimentAssignmentDecline",
        "Decline (or withdraw from) a request that is MATCHING or CONFIRMED; a confirmed request left without "
        "accepted volunteers goes back to MATCHING.",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES),
        extra=_ANSWER,
    )
    async def accompaniment_assignment_decline(
        self, info: Info, input: Annotated[DeclineInput, strawberry.argument(description="Your answer.")]
    ) -> Done:
        request, assignment = await accompaniment_matching.decline(
            info.context.session, info.context.viewer, parse_id(input.id, "AccompanimentAssignment"),
            input.expected_version,
        )  # fmt: skip
        return Done(request, {"accompaniment_assignment": assignment}, [assignment.id, request.id])
