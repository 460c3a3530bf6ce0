"""Physical sanctuary: cases, supporting congregations, hospitality shifts and sign-ups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.auth.access import readable
from api.models import CaseSupporter as CaseSupporterRow
from api.models import Congregation as CongregationRow
from api.models import HospitalityShift as ShiftRow
from api.models import Member as MemberRow
from api.models import Person as PersonRow
from api.models import SanctuaryCase as CaseRow
from api.models import ShiftAssignment as ShiftAssignmentRow
from api.models.base import Tier
from api.models.enums import SanctuaryCaseStatus, ShiftAssignmentStatus, ShiftStatus, SupportRole
from api.schema.engine.bounded import LIST_DEFAULT, ListFirstArg, first_children
from api.schema.engine.context import Info
from api.schema.engine.fields import plain, tiered
from api.schema.engine.filters import UpdatedSinceArg, apply_in, apply_range, apply_updated_since
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
    from api.schema.network.organizations import Congregation
    from api.schema.network.people import Member, Person

CongregationRef = Annotated["Congregation", strawberry.lazy("api.schema.network.organizations")]


@node_type(
    CaseRow,
    floor=Tier.T1,
    description="A person sheltered, or being considered for shelter, by a host congregation. Visible to the "
    "host organization and to supporting congregations.",
)
class SanctuaryCase(Node):
    version: int = plain(CaseRow.version, "Version for optimistic concurrency; pass it back when updating.")
    public_story_consent: bool = plain(
        CaseRow.public_story_consent, "True while the guest consents to their story being told publicly."
    )
    status = tiered(CaseRow.status, "Where the case is in its lifecycle.")
    exit_outcome = tiered(CaseRow.exit_outcome, "How the stay ended (set when EXITED).")
    entered_at = tiered(CaseRow.entered_at, "When the guest entered sanctuary.")
    exited_at = tiered(CaseRow.exited_at, "When the guest left sanctuary.")
    closed_at = tiered(CaseRow.closed_at, "When the case was closed.")
    legal_status_summary = tiered(CaseRow.legal_status_summary, "Summary of the immigration case.")
    location_detail = tiered(
        CaseRow.location_detail, "Where on the host's property the guest stays (never coordinates)."
    )

    @strawberry.field(description="The person in (or asking for) sanctuary.", metadata=to_one(PersonRow, "person_id"))
    def person(
        self, root: strawberry.Parent[CaseRow], info: Info
    ) -> Annotated[Person, strawberry.lazy("api.schema.network.people")] | None:
        return related(info, PersonRow, root.person_id)

    @strawberry.field(description="The host congregation.", metadata=to_one(CongregationRow, "host_congregation_id"))
    def host_congregation(self, root: strawberry.Parent[CaseRow], info: Info) -> CongregationRef | None:
        return related(info, CongregationRow, root.host_congregation_id)

    @strawberry.field(
        description="Supporting congregations and their roles.", metadata=to_many(CaseSupporterRow.case_id)
    )
    def supporters(
        self, root: strawberry.Parent[CaseRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[CaseSupporter]:
        return first_children(info, CaseSupporterRow.case_id, root.id, first)

    @strawberry.field(description="Hospitality shifts of this case, oldest first.", metadata=to_many(ShiftRow.case_id))
    def shifts(
        self, root: strawberry.Parent[CaseRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[HospitalityShift]:
        return first_children(info, ShiftRow.case_id, root.id, first)


@node_type(CaseSupporterRow, floor=Tier.T1, description="A congregation supporting a sanctuary case.")
class CaseSupporter(Node):
    @strawberry.field(description="What the congregation does for the case. Network (T1).")
    def roles(self, root: strawberry.Parent[CaseSupporterRow]) -> list[SupportRole]:
        return [SupportRole(role) for role in root.roles]

    @strawberry.field(description="The supporting congregation.", metadata=to_one(CongregationRow, "congregation_id"))
    def congregation(self, root: strawberry.Parent[CaseSupporterRow], info: Info) -> CongregationRef | None:
        return related(info, CongregationRow, root.congregation_id)

    @strawberry.field(description="The supported case.", metadata=to_one(CaseRow, "case_id"))
    def case(self, root: strawberry.Parent[CaseSupporterRow], info: Info) -> SanctuaryCase | None:
        return related(info, CaseRow, root.case_id)


@node_type(ShiftRow, floor=Tier.T1, description="A block of time during which volunteers are present with a guest.")
class HospitalityShift(Node):
    version: int = plain(ShiftRow.version, "Version for optimistic concurrency.")
    needed_volunteers: int = plain(ShiftRow.needed_volunteers, "How many volunteers the shift needs (at least 2).")
    status: ShiftStatus = plain(ShiftRow.status, "Where the shift is in its lifecycle.")
    starts_at = tiered(ShiftRow.starts_at, "Start of the shift.")
    ends_at = tiered(ShiftRow.ends_at, "End of the shift.")

    @strawberry.field(description="The sanctuary case.", metadata=to_one(CaseRow, "case_id"))
    def case(self, root: strawberry.Parent[ShiftRow], info: Info) -> SanctuaryCase | None:
        return related(info, CaseRow, root.case_id)

    @strawberry.field(
        description="The supporting congregation staffing the shift, if any.",
        metadata=to_one(CongregationRow, "supporting_congregation_id"),
    )
    def supporting_congregation(self, root: strawberry.Parent[ShiftRow], info: Info) -> CongregationRef | None:
        return related(info, CongregationRow, root.supporting_congregation_id)

    @strawberry.field(description="Volunteers signed up.", metadata=to_many(ShiftAssignmentRow.shift_id))
    def assignments(
        self, root: strawberry.Parent[ShiftRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[ShiftAssignment]:
        return first_children(info, ShiftAssignmentRow.shift_id, root.id, first)


@node_type(ShiftAssignmentRow, floor=Tier.T1, description="A volunteer's sign-up for a hospitality shift.")
class ShiftAssignment(Node):
    status: ShiftAssignmentStatus = plain(ShiftAssignmentRow.status, "The sign-up's state.")

    @strawberry.field(description="The shift.", metadata=to_one(ShiftRow, "shift_id"))
    def shift(self, root: strawberry.Parent[ShiftAssignmentRow], info: Info) -> HospitalityShift | None:
        return related(info, ShiftRow, root.shift_id)

    @strawberry.field(description="The volunteer.", metadata=to_one(MemberRow, "member_id"))
    def member(
        self, root: strawberry.Parent[ShiftAssignmentRow], info: Info
    ) -> Annotated[Member, strawberry.lazy("api.schema.network.people")] | None:
        return related(info, MemberRow, root.member_id)


@strawberry.type
class SanctuaryQueries:
    @strawberry.field(description="Sanctuary cases your organization hosts or supports.")
    async def sanctuary_cases(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        status: Annotated[
            list[SanctuaryCaseStatus] | None, strawberry.argument(description="Only cases in these states.")
        ] = None,
        updated_since: UpdatedSinceArg = None,
    ) -> Connection[SanctuaryCase]:  # fmt: skip
        statement = apply_in(
            readable(info.context.viewer, CaseRow), info.context.viewer, CaseRow.status, status, "status"
        )
        statement = apply_updated_since(statement, info.context.viewer, CaseRow, updated_since)
        return await paginate(
            info, statement, CaseRow, name="sanctuaryCases", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip

    @strawberry.field(description="Hospitality shifts of cases you may read.")
    async def hospitality_shifts(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        status: Annotated[list[ShiftStatus] | None, strawberry.argument(description="Only these states.")] = None,
        starts_from: Annotated[
            datetime | None, strawberry.argument(description="Only shifts starting at or after this time.")
        ] = None,
        starts_before: Annotated[
            datetime | None, strawberry.argument(description="Only shifts starting before this time.")
        ] = None,
        updated_since: UpdatedSinceArg = None,
    ) -> Connection[HospitalityShift]:  # fmt: skip
        statement = apply_in(
            readable(info.context.viewer, ShiftRow), info.context.viewer, ShiftRow.status, status, "status"
        )
        statement = apply_range(
            statement, info.context.viewer, ShiftRow.starts_at, starts_from, starts_before, "starts"
        )
        statement = apply_updated_since(statement, info.context.viewer, ShiftRow, updated_since)
        return await paginate(
            info, statement, ShiftRow, name="hospitalityShifts", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
