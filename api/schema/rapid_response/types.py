"""Rapid response: incidents, dispatches of responders and incident timelines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.auth import access
from api.auth.access import readable
from api.models import IncidentDispatch as DispatchRow
from api.models import IncidentTimelineEvent as TimelineRow
from api.models import Member as MemberRow
from api.models import RapidResponseIncident as IncidentRow
from api.models import Region as RegionRow
from api.models.base import Tier
from api.models.enums import DispatchRole, IncidentKind, IncidentStatus, Verification
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
    from api.schema.network.organizations import Region
    from api.schema.network.people import Member

MemberRef = Annotated["Member", strawberry.lazy("api.schema.network.people")]


@node_type(
    IncidentRow,
    floor=Tier.T0,
    description="A reported enforcement action. Members see the network's incidents at coarse precision; "
    "anonymous viewers see only confirmed, broadcast alerts. The exact location is never broadcast.",
)
class RapidResponseIncident(Node):
    kind: IncidentKind = plain(IncidentRow.kind, "What kind of enforcement action was reported.")
    coarse_area: str = plain(IncidentRow.coarse_area, "Coarse public area (district and region), never exact.")
    coarse_latitude: Decimal | None = plain(IncidentRow.coarse_latitude, "Latitude of the coarse grid cell.")
    coarse_longitude: Decimal | None = plain(IncidentRow.coarse_longitude, "Longitude of the coarse grid cell.")
    broadcast_at: datetime | None = plain(IncidentRow.broadcast_at, "When the alert was broadcast, if it was.")
    version = tiered(IncidentRow.version, "Version for optimistic concurrency.")
    verification = tiered(IncidentRow.verification, "Verification state (S.A.L.U.T.E. checked by a verifier).")
    status = tiered(IncidentRow.status, "Where the incident is in its lifecycle.")
    reported_at = tiered(IncidentRow.reported_at, "When the report came in.")
    closed_at = tiered(IncidentRow.closed_at, "When the incident was closed.")
    routing = tiered(
        IncidentRow.routing,
        "How an incident the network opened (a detention) reached its holder: the region's rapid-response team, "
        "the team the hub designated for the region, or the hub when there is neither (null: reported by a "
        "dispatcher).",
    )
    intake_channel = tiered(IncidentRow.intake_channel, "How the report reached the network.")
    size = tiered(IncidentRow.size, "S.A.L.U.T.E. Size: how many agents and vehicles.")
    actions = tiered(IncidentRow.actions, "S.A.L.U.T.E. Actions: what the agents were doing.")
    uniform = tiered(IncidentRow.uniform, "S.A.L.U.T.E. Uniform: markings and clothing.")
    observed_at = tiered(IncidentRow.observed_at, "S.A.L.U.T.E. Time: when it was observed.")
    equipment = tiered(IncidentRow.equipment, "S.A.L.U.T.E. Equipment: vehicles, weapons, gear.")
    exact_location = tiered(IncidentRow.exact_location, "Exact location (S.A.L.U.T.E. Location).")
    reporter_contact = tiered(IncidentRow.reporter_contact, "How to reach the person who reported it.")

    @strawberry.field(description="The region of the incident.", metadata=to_one(RegionRow, "region_id"))
    def region(
        self, root: strawberry.Parent[IncidentRow], info: Info
    ) -> Annotated[Region, strawberry.lazy("api.schema.network.organizations")] | None:
        return related(info, RegionRow, root.region_id)

    @strawberry.field(
        description="Responders dispatched, oldest first, that you may read.", metadata=to_many(DispatchRow.incident_id)
    )
    def dispatches(
        self, root: strawberry.Parent[IncidentRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[IncidentDispatch]:
        return first_children(info, DispatchRow.incident_id, root.id, first)

    @strawberry.field(
        description="The incident's timeline, oldest first: for the holding organization's admins, the dispatchers "
        "of the incident's region and responders on the job.",
        metadata=to_many(TimelineRow.incident_id),
    )
    def timeline(
        self, root: strawberry.Parent[IncidentRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[IncidentTimelineEvent]:
        return first_children(info, TimelineRow.incident_id, root.id, first)


@node_type(DispatchRow, floor=Tier.T1, description="A responder sent to an incident.")
class IncidentDispatch(Node):
    role: DispatchRole = plain(DispatchRow.role, "The responder's role.")
    version: int = plain(DispatchRow.version, "Version for optimistic concurrency (arrival and release change it).")
    dispatched_at = tiered(DispatchRow.dispatched_at, "When the responder was sent.")
    arrived_at = tiered(DispatchRow.arrived_at, "When the responder arrived.")
    released_at = tiered(DispatchRow.released_at, "When the responder was released.")

    @strawberry.field(description="The incident.", metadata=to_one(IncidentRow, "incident_id"))
    def incident(self, root: strawberry.Parent[DispatchRow], info: Info) -> RapidResponseIncident | None:
        return related(info, IncidentRow, root.incident_id)

    @strawberry.field(description="The responder.", metadata=to_one(MemberRow, "member_id"))
    def member(self, root: strawberry.Parent[DispatchRow], info: Info) -> MemberRef | None:
        return related(info, MemberRow, root.member_id)


@node_type(TimelineRow, floor=Tier.T1, description="An entry in an incident's timeline.")
class IncidentTimelineEvent(Node):
    kind = tiered(TimelineRow.kind, "What the entry records.")
    occurred_at = tiered(TimelineRow.occurred_at, "When it happened.")
    note = tiered(TimelineRow.note, "The note or debrief.")

    @strawberry.field(description="The incident.", metadata=to_one(IncidentRow, "incident_id"))
    def incident(self, root: strawberry.Parent[TimelineRow], info: Info) -> RapidResponseIncident | None:
        return related(info, IncidentRow, root.incident_id)

    @strawberry.field(description="Who wrote the entry.", metadata=to_one(MemberRow, "author_id"))
    def author(self, root: strawberry.Parent[TimelineRow], info: Info) -> MemberRef | None:
        return related(info, MemberRow, root.author_id)


IncidentKindArg = Annotated[list[IncidentKind] | None, strawberry.argument(description="Only these kinds.")]
ReportedFromArg = Annotated[
    datetime | None, strawberry.argument(description="Only incidents reported at or after this time.")
]
ReportedBeforeArg = Annotated[datetime | None, strawberry.argument(description="Only incidents reported before this.")]


@strawberry.type
class RapidResponseQueries:
    @strawberry.field(
        description="Rapid-response incidents of the network (coarse for other organizations). Members only.",
        metadata={"tier": Tier.T1},
    )
    async def rapid_response_incidents(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        kind: IncidentKindArg = None,
        status: Annotated[list[IncidentStatus] | None, strawberry.argument(description="Only these states.")] = None,
        verification: Annotated[
            list[Verification] | None, strawberry.argument(description="Only these verification states.")
        ] = None,
        region: RegionArg = None, reported_from: ReportedFromArg = None, reported_before: ReportedBeforeArg = None,
        updated_since: UpdatedSinceArg = None,
    ) -> Connection[RapidResponseIncident]:  # fmt: skip
        statement = readable(info.context.viewer, IncidentRow)
        statement = apply_in(statement, info.context.viewer, IncidentRow.kind, kind, "kind")
        statement = apply_in(statement, info.context.viewer, IncidentRow.status, status, "status")
        statement = apply_in(statement, info.context.viewer, IncidentRow.verification, verification, "verification")
        statement = apply_region(statement, IncidentRow.region_id, region)
        statement = apply_range(
            statement, info.context.viewer, IncidentRow.reported_at, reported_from, reported_before, "reported"
        )
        statement = apply_updated_since(statement, info.context.viewer, IncidentRow, updated_since)
        return await paginate(
            info, statement, IncidentRow, name="rapidResponseIncidents", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip

    @strawberry.field(description="Confirmed incident alerts that were broadcast: coarse area only. Public.")
    async def broadcast_alerts(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, region: RegionArg = None, kind: IncidentKindArg = None,
    ) -> Connection[RapidResponseIncident]:  # fmt: skip
        statement = access.broadcast_alerts(info.context.viewer)
        statement = apply_region(
            apply_in(statement, info.context.viewer, IncidentRow.kind, kind, "kind"), IncidentRow.region_id, region
        )
        return await paginate(
            info, statement, IncidentRow, name="broadcastAlerts", order=ConnectionOrder.CREATED_AT,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
