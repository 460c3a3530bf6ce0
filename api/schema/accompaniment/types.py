"""Accompaniment: requests from legal aid groups and the volunteers matched to them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.auth.access import readable
from api.models import AccompanimentAssignment as AssignmentRow
from api.models import AccompanimentRequest as RequestRow
from api.models import Congregation as CongregationRow
from api.models import Member as MemberRow
from api.models import Organization as OrganizationRow
from api.models import Person as PersonRow
from api.models import RapidResponseIncident as IncidentRow
from api.models import Region as RegionRow
from api.models.base import Tier
from api.models.enums import (
    AccompanimentKind,
    AccompanimentStatus,
    AssignmentRole,
    AssignmentStatus,
    Urgency,
)
from api.schema.engine.bounded import LIST_DEFAULT, ListFirstArg, first_children
from api.schema.engine.context import Info
from api.schema.engine.fields import plain, tiered
from api.schema.engine.filters import (
    RegionArg,
    UpdatedSinceArg,
    apply_in,
    apply_range,
    apply_region,
    apply_updated_since,
)
from api.schema.engine.lookup import related, to_many, to_one
from api.schema.engine.relay import (
    AfterArg,
    BeforeArg,
    Connection,
    ConnectionOrder,
    FirstArg,
    LastArg,
    Node,
    OrderArg,
    node_type,
    paginate,
)

if TYPE_CHECKING:
    from api.schema.network.organizations import Congregation, Organization, Region
    from api.schema.network.people import Member, Person
    from api.schema.rapid_response.types import RapidResponseIncident


@node_type(
    RequestRow,
    floor=Tier.T1,
    description="A request that trained volunteers go with a person to an appointment or help them reach "
    "services. Visible to the requesting organization and the congregation it is routed to.",
)
class AccompanimentRequest(Node):
    version: int = plain(RequestRow.version, "Version for optimistic concurrency; pass it back when updating.")
    kind: AccompanimentKind = plain(RequestRow.kind, "What the accompaniment is for.")
    urgency: Urgency = plain(RequestRow.urgency, "How urgent the request is.")
    status: AccompanimentStatus = plain(RequestRow.status, "Where the request is in its lifecycle.")
    languages_needed: list[str] = plain(RequestRow.languages_needed, "Languages the volunteers need (BCP 47).")
    created_at: datetime = plain(RequestRow.created_at, "When the request was submitted.")
    updated_at: datetime = plain(RequestRow.updated_at, "When the request last changed.")
    closed_at: datetime | None = plain(RequestRow.closed_at, "When it was completed, cancelled or went unfilled.")
    outcome = tiered(RequestRow.outcome, "What happened (set when COMPLETED).")
    appointment_at = tiered(RequestRow.appointment_at, "When the appointment is.")
    place = tiered(RequestRow.place, "Where the appointment is (court, office, address).")
    notes = tiered(RequestRow.notes, "Notes from the requesting organization.")

    @strawberry.field(description="The person to accompany.", metadata=to_one(PersonRow, "person_id"))
    def person(
        self, root: strawberry.Parent[RequestRow], info: Info
    ) -> Annotated[Person, strawberry.lazy("api.schema.network.people")] | None:
        return related(info, PersonRow, root.person_id)

    @strawberry.field(
        description="The organization that submitted the request.", metadata=to_one(OrganizationRow, "organization_id")
    )
    def requesting_organization(
        self, root: strawberry.Parent[RequestRow], info: Info
    ) -> Annotated[Organization, strawberry.lazy("api.schema.network.organizations")] | None:
        return related(info, OrganizationRow, root.organization_id)

    @strawberry.field(
        description="The congregation whose accompaniment team the request is routed to.",
        metadata=to_one(CongregationRow, "congregation_id"),
    )
    def congregation(
        self, root: strawberry.Parent[RequestRow], info: Info
    ) -> Annotated[Congregation, strawberry.lazy("api.schema.network.organizations")] | None:
        return related(info, CongregationRow, root.congregation_id)

    @strawberry.field(description="The region of the appointment.", metadata=to_one(RegionRow, "region_id"))
    def region(
        self, root: strawberry.Parent[RequestRow], info: Info
    ) -> Annotated[Region, strawberry.lazy("api.schema.network.organizations")] | None:
        return related(info, RegionRow, root.region_id)

    @strawberry.field(
        description="Volunteers invited or confirmed, oldest first.", metadata=to_many(AssignmentRow.request_id)
    )
    def assignments(
        self, root: strawberry.Parent[RequestRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[AccompanimentAssignment]:
        return first_children(info, AssignmentRow.request_id, root.id, first)

    @strawberry.field(
        description="The rapid-response incident opened when the person was detained.",
        metadata=to_one(IncidentRow, "incident_id"),
    )
    def incident(
        self, root: strawberry.Parent[RequestRow], info: Info
    ) -> Annotated[RapidResponseIncident, strawberry.lazy("api.schema.rapid_response.types")] | None:
        return related(info, IncidentRow, root.incident_id)


@node_type(AssignmentRow, floor=Tier.T1, description="A volunteer invited to, or confirmed on, a request.")
class AccompanimentAssignment(Node):
    version: int = plain(AssignmentRow.version, "Version for optimistic concurrency; pass it back when answering.")
    role: AssignmentRole = plain(AssignmentRow.role, "The volunteer's role.")
    status: AssignmentStatus = plain(AssignmentRow.status, "The volunteer's answer and attendance.")

    @strawberry.field(description="The request.", metadata=to_one(RequestRow, "request_id"))
    def request(self, root: strawberry.Parent[AssignmentRow], info: Info) -> AccompanimentRequest | None:
        return related(info, RequestRow, root.request_id)

    @strawberry.field(description="The volunteer.", metadata=to_one(MemberRow, "member_id"))
    def member(
        self, root: strawberry.Parent[AssignmentRow], info: Info
    ) -> Annotated[Member, strawberry.lazy("api.schema.network.people")] | None:
        return related(info, MemberRow, root.member_id)


@strawberry.type
class AccompanimentQueries:
    @strawberry.field(
        description="Accompaniment requests your organization submitted or that are routed to your congregation."
    )
    async def accompaniment_requests(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        status: Annotated[
            list[AccompanimentStatus] | None, strawberry.argument(description="Only requests in these states.")
        ] = None,
        kind: Annotated[list[AccompanimentKind] | None, strawberry.argument(description="Only these kinds.")] = None,
        region: RegionArg = None,
        appointment_from: Annotated[
            datetime | None,
            strawberry.argument(description="Only appointments at or after this time (among those you may read)."),
        ] = None,
        appointment_before: Annotated[
            datetime | None,
            strawberry.argument(description="Only appointments before this time (among those you may read)."),
        ] = None,
        updated_since: UpdatedSinceArg = None,
    ) -> Connection[AccompanimentRequest]:  # fmt: skip
        statement = readable(info.context.viewer, RequestRow)
        statement = apply_in(statement, info.context.viewer, RequestRow.status, status, "status")
        statement = apply_in(statement, info.context.viewer, RequestRow.kind, kind, "kind")
        statement = apply_region(statement, RequestRow.region_id, region)
        statement = apply_range(
            statement,
            info.context.viewer,
            RequestRow.appointment_at,
            appointment_from,
            appointment_before,
            "appointment",
        )
        statement = apply_updated_since(statement, info.context.viewer, RequestRow, updated_since)
        return await paginate(
            info, statement, RequestRow, name="accompanimentRequests", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
