"""Rapid-response mutations: dispatchers take reports, verify, dispatch, broadcast and close; responders report in."""

from __future__ import annotations

import uuid
from typing import Annotated

import strawberry

from api.models import IncidentDispatch as DispatchRow
from api.models import IncidentTimelineEvent as TimelineRow
from api.models import RapidResponseIncident as IncidentRow
from api.schema.engine.context import Info
from api.schema.engine.mutation_support import TRANSITION_CODES, Done, codes, mutation
from api.schema.engine.relay import parse_id
from api.schema.rapid_response.inputs import (
    IncidentBroadcastInput,
    IncidentBroadcastRetractInput,
    IncidentDispatchArriveInput,
    IncidentDispatchInput,
    IncidentDispatchReleaseInput,
    IncidentReportInput,
    IncidentTimelineAddInput,
    IncidentTransitionInput,
    IncidentVerificationRecordInput,
    IncidentVerificationStartInput,
)
from api.schema.rapid_response.types import IncidentDispatch, IncidentTimelineEvent, RapidResponseIncident
from api.services.rapid_response import dispatch as incident_dispatch
from api.services.rapid_response import incidents as rapid_response

_INCIDENT = ("incident", RapidResponseIncident, "The incident as it is now.")
_DISPATCH = ("incident_dispatch", IncidentDispatch, "The dispatch as it is now.")


def _incident_id(value: strawberry.ID) -> uuid.UUID:
    return parse_id(value, "RapidResponseIncident")


@strawberry.type
class RapidResponseMutations:
    @mutation(
        "incidentReport",
        "Take down a report in one of your regions: UNVERIFIED and OPEN, held by your organization. The exact "
        "location and reporter contact are sealed; members and the public see only the coarse area.",
        returns=_INCIDENT,
        errors=codes("INVALID_INPUT", "IDEMPOTENCY_KEY_REUSED"),
        creates=IncidentRow,
    )
    async def incident_report(
        self, info: Info, input: Annotated[IncidentReportInput, strawberry.argument(description="The report.")]
    ) -> IncidentRow:
        given = rapid_response.Report(
            kind=input.kind, intake_channel=input.intake_channel, region_id=parse_id(input.region_id, "Region"),
            exact_location=input.exact_location, latitude=input.latitude, longitude=input.longitude,
            reporter_contact=input.reporter_contact, size=input.size, actions=input.actions, uniform=input.uniform,
            observed_at=input.observed_at, equipment=input.equipment,
        )  # fmt: skip
        context = info.context
        return await rapid_response.report(
            context.session, context.viewer, context.sealer, given, grid_decimals=context.settings.coarse_grid_decimals
        )

    @mutation(
        "incidentVerificationStart",
        "Start verifying a report of your region (UNVERIFIED -> VERIFYING).",
        returns=_INCIDENT,
        errors=codes(*TRANSITION_CODES),
    )
    async def incident_verification_start(
        self, info: Info, input: Annotated[IncidentVerificationStartInput, strawberry.argument(description="Which.")]
    ) -> IncidentRow:
        context = info.context
        return await rapid_response.start_verification(
            context.session, context.viewer, context.sealer, _incident_id(input.id), input.expected_version
        )

    @mutation(
        "incidentVerificationRecord",
        "Record what verifying a report found (VERIFYING -> the result).",
        returns=_INCIDENT,
        errors=codes(*TRANSITION_CODES),
    )
    async def incident_verification_record(
        self, info: Info, input: Annotated[IncidentVerificationRecordInput, strawberry.argument(description="Result.")]
    ) -> IncidentRow:
        context = info.context
        return await rapid_response.record_verification(
            context.session, context.viewer, context.sealer, _incident_id(input.id), input.result,
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "incidentDispatch",
        "Send a responder of your organization to an incident of your region that is not closed; the first "
        "dispatch activates an OPEN incident.",
        returns=_DISPATCH,
        errors=codes(
            "NOT_FOUND",
            "ILLEGAL_TRANSITION",
            "IDEMPOTENCY_KEY_REUSED",
            "INVALID_INPUT",
            MEMBER_NOT_FOUND="No member of your organization has this id.",
            MEMBER_NOT_ELIGIBLE="The member is inactive or is neither a responder nor a dispatcher.",
            TRAINING_REQUIRED="A legal observer needs an unexpired LEGAL_OBSERVER training.",
            ALREADY_DISPATCHED="The member is already on this incident (not released).",
        ),
        creates=DispatchRow,
    )
    async def incident_dispatch(
        self, info: Info, input: Annotated[IncidentDispatchInput, strawberry.argument(description="The dispatch.")]
    ) -> Done:
        context = info.context
        row, incident = await incident_dispatch.dispatch(
            context.session, context.viewer, context.sealer, _incident_id(input.incident_id),
            parse_id(input.member_id, "Member"), input.role,
        )  # fmt: skip
        return Done(row, record_ids=[row.id, incident.id])

    @mutation(
        "incidentDispatchArrive",
        "Record that a responder arrived on site: your own dispatch, or any of your region as its dispatcher.",
        returns=_DISPATCH,
        errors=codes(*TRANSITION_CODES, ALREADY_ARRIVED="The arrival is already recorded."),
    )
    async def incident_dispatch_arrive(
        self, info: Info, input: Annotated[IncidentDispatchArriveInput, strawberry.argument(description="Which.")]
    ) -> DispatchRow:
        context = info.context
        return await incident_dispatch.arrive(
            context.session, context.viewer, context.sealer, parse_id(input.id, "IncidentDispatch"),
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "incidentDispatchRelease",
        "Release a responder (after arriving or instead): your own dispatch, or any of your region as its dispatcher.",
        returns=_DISPATCH,
        errors=codes("NOT_FOUND", "CONFLICT", ALREADY_RELEASED="The responder is already released."),
    )
    async def incident_dispatch_release(
        self, info: Info, input: Annotated[IncidentDispatchReleaseInput, strawberry.argument(description="Which.")]
    ) -> DispatchRow:
        context = info.context
        return await incident_dispatch.release(
            context.session, context.viewer, context.sealer, parse_id(input.id, "IncidentDispatch"),
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "incidentBroadcast",
        "Broadcast a public alert for a CONFIRMED incident once a verifier has arrived. The alert carries the "
        "coarse area only, never the exact location.",
        returns=_INCIDENT,
        errors=codes(
            *TRANSITION_CODES,
            NOT_CONFIRMED="Only a CONFIRMED report may be broadcast.",
            NO_VERIFIER_ARRIVED="No VERIFIER dispatched to the incident has arrived yet.",
        ),
    )
    async def incident_broadcast(
        self, info: Info, input: Annotated[IncidentBroadcastInput, strawberry.argument(description="Which.")]
    ) -> IncidentRow:
        context = info.context
        return await rapid_response.broadcast(
            context.session, context.viewer, context.sealer, _incident_id(input.id), input.expected_version
        )

    @mutation(
        "incidentBroadcastRetract",
        "Withdraw an incident's public alert.",
        returns=_INCIDENT,
        errors=codes(*TRANSITION_CODES),
    )
    async def incident_broadcast_retract(
        self, info: Info, input: Annotated[IncidentBroadcastRetractInput, strawberry.argument(description="Which.")]
    ) -> IncidentRow:
        context = info.context
        return await rapid_response.retract(
            context.session, context.viewer, context.sealer, _incident_id(input.id), input.expected_version
        )

    @mutation(
        "incidentTransition",
        "Activate, stabilize or close an incident of your region.",
        returns=_INCIDENT,
        errors=codes(*TRANSITION_CODES),
    )
    async def incident_transition(
        self, info: Info, input: Annotated[IncidentTransitionInput, strawberry.argument(description="The move.")]
    ) -> IncidentRow:
        context = info.context
        return await rapid_response.transition(
            context.session, context.viewer, context.sealer, _incident_id(input.id), input.action,
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "incidentTimelineAdd",
        "Add a note or debrief (sealed) to the timeline of an incident of your region, or one you were sent to.",
        returns=("timeline_event", IncidentTimelineEvent, "The new timeline entry."),
        errors=codes("NOT_FOUND", "INVALID_INPUT", "IDEMPOTENCY_KEY_REUSED"),
        creates=TimelineRow,
    )
    async def incident_timeline_add(
        self, info: Info, input: Annotated[IncidentTimelineAddInput, strawberry.argument(description="The entry.")]
    ) -> TimelineRow:
        context = info.context
        return await incident_dispatch.add_entry(
            context.session, context.viewer, context.sealer, _incident_id(input.incident_id), input.kind,
            input.note, input.occurred_at,
        )  # fmt: skip
