"""Advocacy actions: vigils, rallies, call-ins, meetings with officials."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.auth.access import readable
from api.models import AdvocacyAction as ActionRow
from api.models import AdvocacyOrganizer as OrganizerRow
from api.models import Organization as OrganizationRow
from api.models import SanctuaryCase as CaseRow
from api.models.base import Tier
from api.models.enums import AdvocacyKind, AdvocacyLevel, AdvocacyStatus, Visibility
from api.schema.engine.bounded import LIST_DEFAULT, ListFirstArg, first_children
from api.schema.engine.context import Info
from api.schema.engine.fields import plain, tiered
from api.schema.engine.filters import UpdatedSinceArg, apply_in, apply_range, apply_updated_since
from api.schema.engine.lookup import related, to_one
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
    from api.schema.network.organizations import Organization
    from api.schema.sanctuary.types import SanctuaryCase

OrganizationRef = Annotated["Organization", strawberry.lazy("api.schema.network.organizations")]


@node_type(
    ActionRow,
    floor=Tier.T0,
    description="An advocacy action. PUBLIC actions are visible to anyone once announced, NETWORK ones to "
    "members, ORG ones to the organizing organizations.",
)
class AdvocacyAction(Node):
    title: str = plain(ActionRow.title, "Title of the action.")
    kind: AdvocacyKind = plain(ActionRow.kind, "What kind of action.")
    level: AdvocacyLevel = plain(ActionRow.level, "The level of government it targets.")
    target: str | None = plain(ActionRow.target, "Who the action addresses (an official, an agency).")
    starts_at: datetime = plain(ActionRow.starts_at, "When it starts.")
    place: str | None = plain(ActionRow.place, "Where it happens.")
    visibility: Visibility = plain(ActionRow.visibility, "Who may see it.")
    status: AdvocacyStatus = plain(ActionRow.status, "Where the action is in its lifecycle.")
    version = tiered(ActionRow.version, "Version for optimistic concurrency; pass it back as `expectedVersion`.")

    @strawberry.field(
        description="The lead organizing organization (members only).",
        metadata=to_one(OrganizationRow, "organization_id"),
    )
    def organization(self, root: strawberry.Parent[ActionRow], info: Info) -> OrganizationRef | None:
        return related(info, OrganizationRow, root.organization_id)

    @strawberry.field(description="Co-organizing organizations (members only).")
    async def co_organizers(
        self, root: strawberry.Parent[ActionRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[OrganizationRef]:
        links = first_children(info, OrganizerRow.action_id, root.id, first)
        links = links if isinstance(links, list) else await links
        loaded = await info.context.loaders.by_id(OrganizationRow).load_many([link.organization_id for link in links])
        return [org for org in loaded if org is not None]

    @strawberry.field(
        description="The sanctuary case whose public story the action tells, when you may read it.",
        metadata=to_one(CaseRow, "sanctuary_case_id"),
    )
    def sanctuary_case(
        self, root: strawberry.Parent[ActionRow], info: Info
    ) -> Annotated[SanctuaryCase, strawberry.lazy("api.schema.sanctuary.types")] | None:
        return related(info, CaseRow, root.sanctuary_case_id)


@strawberry.type
class AdvocacyQueries:
    @strawberry.field(description="Advocacy actions you may see (public ones for anyone).")
    async def advocacy_actions(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        status: Annotated[list[AdvocacyStatus] | None, strawberry.argument(description="Only these states.")] = None,
        level: Annotated[list[AdvocacyLevel] | None, strawberry.argument(description="Only these levels.")] = None,
        starts_from: Annotated[datetime | None, strawberry.argument(description="Starting at or after.")] = None,
        starts_before: Annotated[datetime | None, strawberry.argument(description="Starting before.")] = None,
        updated_since: UpdatedSinceArg = None,
    ) -> Connection[AdvocacyAction]:  # fmt: skip
        statement = apply_in(
            readable(info.context.viewer, ActionRow), info.context.viewer, ActionRow.status, status, "status"
        )
        statement = apply_in(statement, info.context.viewer, ActionRow.level, level, "level")
        statement = apply_range(
            statement, info.context.viewer, ActionRow.starts_at, starts_from, starts_before, "starts"
        )
        statement = apply_updated_since(statement, info.context.viewer, ActionRow, updated_since)
        return await paginate(
            info, statement, ActionRow, name="advocacyActions", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
