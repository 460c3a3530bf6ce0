"""Regions, organizations and congregations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from api.auth.access import readable
from api.models import CaseSupporter as CaseSupporterRow
from api.models import Congregation as CongregationRow
from api.models import Organization as OrganizationRow
from api.models import Region as RegionRow
from api.models import SanctuaryCase as CaseRow
from api.models.base import Tier
from api.models.enums import Commitment, OrganizationKind
from api.schema.engine.bounded import LIST_DEFAULT, ListFirstArg, first_children
from api.schema.engine.context import Info
from api.schema.engine.fields import plain, tiered
from api.schema.engine.filters import RegionArg, UpdatedSinceArg, apply_in, apply_region, apply_updated_since
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
    from api.schema.sanctuary.types import CaseSupporter, SanctuaryCase


@node_type(RegionRow, floor=Tier.T0, description="Coarse geography (a county or metro area) for routing and alerts.")
class Region(Node):
    name: str = plain(RegionRow.name, "Name of the region.")
    code: str = plain(RegionRow.code, "Short stable code of the region.")
    version = tiered(RegionRow.version, "Version for optimistic concurrency; pass it back as `expectedVersion`.")

    @strawberry.field(
        description="The RAPID_RESPONSE organization the hub made responsible for the region (its dispatchers "
        "dispatch there; detentions in the region are routed to it), if any.",
        metadata=to_one(OrganizationRow, "rapid_response_organization_id"),
    )
    def rapid_response_organization(self, root: strawberry.Parent[RegionRow], info: Info) -> Organization | None:
        return related(info, OrganizationRow, root.rapid_response_organization_id)


@node_type(OrganizationRow, floor=Tier.T1, description="A member organization of the network.")
class Organization(Node):
    name: str = plain(OrganizationRow.name, "Name of the organization.")
    kind: OrganizationKind = plain(OrganizationRow.kind, "What kind of organization this is.")
    version: int = plain(
        OrganizationRow.version, "Version for optimistic concurrency; pass it back as `expectedVersion`."
    )

    @strawberry.field(description="The region the organization works in.", metadata=to_one(RegionRow, "region_id"))
    def region(self, root: strawberry.Parent[OrganizationRow], info: Info) -> Region | None:
        return related(info, RegionRow, root.region_id)


@node_type(
    CongregationRow,
    floor=Tier.T0,
    description="A congregation's sanctuary profile. Anonymous viewers see only publicly declared congregations.",
)
class Congregation(Node):
    public_name: str = plain(CongregationRow.public_name, "The congregation's public name.")
    faith_tradition: str = plain(CongregationRow.faith_tradition, "Faith tradition.")
    city: str = plain(CongregationRow.city, "City.")
    commitment: Commitment = plain(CongregationRow.commitment, "Sanctuary commitment.")
    public_declaration: bool = plain(
        CongregationRow.public_declaration, "True when the congregation declared its commitment publicly."
    )
    capacity = tiered(CongregationRow.capacity, "How many guests it can shelter.")
    accessibility_notes = tiered(CongregationRow.accessibility_notes, "Accessibility of the space.")
    contact_name = tiered(CongregationRow.contact_name, "Sanctuary contact person.")
    contact_phone = tiered(CongregationRow.contact_phone, "Sanctuary contact phone.")
    contact_email = tiered(CongregationRow.contact_email, "Sanctuary contact email.")
    version = tiered(CongregationRow.version, "Version for optimistic concurrency; pass it back as `expectedVersion`.")

    @strawberry.field(
        description="The organization this profile belongs to. Network (T1).",
        metadata=to_one(OrganizationRow, "organization_id"),
    )
    def organization(self, root: strawberry.Parent[CongregationRow], info: Info) -> Organization | None:
        return related(info, OrganizationRow, root.organization_id)

    @strawberry.field(
        description="Sanctuary cases this congregation hosts that you may read.",
        metadata=to_many(CaseRow.host_congregation_id),
    )
    def hosted_cases(
        self, root: strawberry.Parent[CongregationRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[Annotated[SanctuaryCase, strawberry.lazy("api.schema.sanctuary.types")]]:
        return first_children(info, CaseRow.host_congregation_id, root.id, first)

    @strawberry.field(
        description="Cases this congregation supports, with its roles in each, that you may read.",
        metadata=to_many(CaseSupporterRow.congregation_id),
    )
    def supporting(
        self, root: strawberry.Parent[CongregationRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[Annotated[CaseSupporter, strawberry.lazy("api.schema.sanctuary.types")]]:
        return first_children(info, CaseSupporterRow.congregation_id, root.id, first)


@strawberry.type
class NetworkQueries:
    @strawberry.field(description="Regions of the network.")
    async def regions(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
    ) -> Connection[Region]:  # fmt: skip
        statement = readable(info.context.viewer, RegionRow)
        return await paginate(
            info, statement, RegionRow, name="regions", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip

    @strawberry.field(description="Member organizations of the network (members only).")
    async def organizations(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        kind: Annotated[list[OrganizationKind] | None, strawberry.argument(description="Only these kinds.")] = None,
        region: RegionArg = None, updated_since: UpdatedSinceArg = None,
    ) -> Connection[Organization]:  # fmt: skip
        statement = readable(info.context.viewer, OrganizationRow)
        statement = apply_in(statement, info.context.viewer, OrganizationRow.kind, kind, "kind")
        statement = apply_region(statement, OrganizationRow.region_id, region)
        statement = apply_updated_since(statement, info.context.viewer, OrganizationRow, updated_since)
        return await paginate(
            info, statement, OrganizationRow, name="organizations", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip

    @strawberry.field(description="Congregations; anonymous viewers see only publicly declared ones.")
    async def congregations(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        commitment: Annotated[
            list[Commitment] | None, strawberry.argument(description="Only these commitments.")
        ] = None,
        region: RegionArg = None, updated_since: UpdatedSinceArg = None,
    ) -> Connection[Congregation]:  # fmt: skip
        statement = readable(info.context.viewer, CongregationRow)
        statement = apply_in(statement, info.context.viewer, CongregationRow.commitment, commitment, "commitment")
        if region is not None:
            in_region = apply_region(
                readable(info.context.viewer, OrganizationRow), OrganizationRow.region_id, region
            ).with_only_columns(OrganizationRow.id)
            statement = statement.where(CongregationRow.organization_id.in_(in_region))
        statement = apply_updated_since(statement, info.context.viewer, CongregationRow, updated_since)
        return await paginate(
            info, statement, CongregationRow, name="congregations", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
