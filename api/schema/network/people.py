"""Members and their trainings; the people the network protects and their households."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select

from api.auth.access import readable
from api.auth.roles import has_role
from api.models import HouseholdLink as HouseholdLinkRow
from api.models import Member as MemberRow
from api.models import Organization as OrganizationRow
from api.models import Person as PersonRow
from api.models import Region as RegionRow
from api.models import Training as TrainingRow
from api.models.base import Tier
from api.models.enums import Role, TrainingKind
from api.schema.engine.bounded import LIST_DEFAULT, ListFirstArg, first_children
from api.schema.engine.context import Info
from api.schema.engine.errors import BadRequestError
from api.schema.engine.fields import plain, tiered
from api.schema.engine.filters import UpdatedSinceArg, apply_updated_since, restricted
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
    parse_id,
)
from api.services.network import trainings
from api.services.network.persons import a_number_of
from api.services.shared.errors import UserFacingError

if TYPE_CHECKING:
    from api.schema.network.organizations import Organization, Region


@node_type(MemberRow, floor=Tier.T1, description="A person who uses the system: a volunteer or staff member.")
class Member(Node):
    alias: str = plain(MemberRow.alias, "The name the member goes by in the network.")
    languages: list[str] = plain(MemberRow.languages, "Languages spoken (BCP 47 tags such as `es`, `ht`).")
    active: bool = plain(MemberRow.active, "False once the member left or was deactivated.")
    version: int = plain(MemberRow.version, "Version for optimistic concurrency; pass it back as `expectedVersion`.")
    email = tiered(MemberRow.email, "Sign-in email.")
    legal_name = tiered(MemberRow.legal_name, "Legal name.")
    phone = tiered(MemberRow.phone, "Phone number.")

    @strawberry.field(description="Roles the member holds in their organization. Network (T1).")
    def roles(self, root: strawberry.Parent[MemberRow]) -> list[Role]:
        return [Role(role) for role in root.roles]

    @strawberry.field(description="The member's organization.", metadata=to_one(OrganizationRow, "organization_id"))
    def organization(
        self, root: strawberry.Parent[MemberRow], info: Info
    ) -> Annotated[Organization, strawberry.lazy("api.schema.network.organizations")] | None:
        return related(info, OrganizationRow, root.organization_id)

    @strawberry.field(description="The region the member usually serves.", metadata=to_one(RegionRow, "region_id"))
    def region(
        self, root: strawberry.Parent[MemberRow], info: Info
    ) -> Annotated[Region, strawberry.lazy("api.schema.network.organizations")] | None:
        return related(info, RegionRow, root.region_id)

    @strawberry.field(
        description="Trainings the member completed, oldest first.", metadata=to_many(TrainingRow.member_id)
    )
    def trainings(
        self, root: strawberry.Parent[MemberRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[Training]:
        return first_children(info, TrainingRow.member_id, root.id, first)


@node_type(TrainingRow, floor=Tier.T1, description="A training a member completed, and when it expires.")
class Training(Node):
    kind: TrainingKind = plain(TrainingRow.kind, "Which training.")
    completed_at: datetime = plain(TrainingRow.completed_at, "When it was completed.")
    expires_at: datetime | None = plain(TrainingRow.expires_at, "When it expires; null if it does not.")

    @strawberry.field(description="True while the training counts: completed and not expired. Network (T1).")
    def is_current(self, root: strawberry.Parent[TrainingRow]) -> bool:
        return trainings.is_valid_at(root, datetime.now(UTC))

    @strawberry.field(description="The member who completed it.", metadata=to_one(MemberRow, "member_id"))
    def member(self, root: strawberry.Parent[TrainingRow], info: Info) -> Member | None:
        return related(info, MemberRow, root.member_id)


@node_type(
    PersonRow,
    floor=Tier.T1,
    description="Someone the network protects: a guest in sanctuary, a person accompanied, or a person "
    "affected by a raid. Visible to the organization that registered them.",
)
class Person(Node):
    version: int = plain(PersonRow.version, "Version for optimistic concurrency; pass it back when updating.")
    languages: list[str] = plain(PersonRow.languages, "Languages spoken (BCP 47 tags).")
    preferred_name = tiered(PersonRow.preferred_name, "The name the person wants to be called.")
    legal_name = tiered(PersonRow.legal_name, "Legal name.")
    a_number = tiered(PersonRow.a_number, "Alien registration number (A-number).")
    country_of_origin = tiered(PersonRow.country_of_origin, "Country of origin.")

    @strawberry.field(
        description="Household relations of this person that you may read.",
        metadata=to_many(HouseholdLinkRow.person_id),
    )
    def household(
        self, root: strawberry.Parent[PersonRow], info: Info, first: ListFirstArg = LIST_DEFAULT
    ) -> list[HouseholdLink]:
        return first_children(info, HouseholdLinkRow.person_id, root.id, first)


@node_type(HouseholdLinkRow, floor=Tier.T1, description="A household relation between two protected people.")
class HouseholdLink(Node):
    relation = tiered(HouseholdLinkRow.relation, "How the related person is related (e.g. child, spouse).")

    @strawberry.field(description="The person whose household this is.", metadata=to_one(PersonRow, "person_id"))
    def person(self, root: strawberry.Parent[HouseholdLinkRow], info: Info) -> Person | None:
        return related(info, PersonRow, root.person_id)

    @strawberry.field(description="The related person.", metadata=to_one(PersonRow, "related_person_id"))
    def related_person(self, root: strawberry.Parent[HouseholdLinkRow], info: Info) -> Person | None:
        return related(info, PersonRow, root.related_person_id)


@strawberry.type
class PeopleQueries:
    @strawberry.field(description="Members of the network (by alias); restricted fields only for their own org.")
    async def members(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        organization: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only members of this organization (its id).")
        ] = None,
        role: Annotated[Role | None, strawberry.argument(description="Only members holding this role.")] = None,
        updated_since: UpdatedSinceArg = None,
    ) -> Connection[Member]:  # fmt: skip
        statement = readable(info.context.viewer, MemberRow)
        if organization is not None:
            statement = statement.where(MemberRow.organization_id == parse_id(organization, "Organization"))
        if role is not None:
            statement = statement.where(has_role(role))
        statement = apply_updated_since(statement, info.context.viewer, MemberRow, updated_since)
        return await paginate(
            info, statement, MemberRow, name="members", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip

    @strawberry.field(description="People your organization registered.")
    async def persons(
        self, info: Info, first: FirstArg = None, after: AfterArg = None, last: LastArg = None,
        before: BeforeArg = None, order_by: OrderArg = ConnectionOrder.CREATED_AT,
        updated_since: UpdatedSinceArg = None,
        a_number: Annotated[str | None, strawberry.argument(
            description="Only the person with this A-number (exact match through a keyed blind index; among "
            "the people whose A-number you may read). Every lookup is recorded in the audit log, found or not."
        )] = None,
    ) -> Connection[Person]:  # fmt: skip
        statement = apply_updated_since(
            readable(info.context.viewer, PersonRow), info.context.viewer, PersonRow, updated_since
        )
        statement = await apply_a_number(statement, info, a_number)
        page = await paginate(
            info, statement, PersonRow, name="persons", order=order_by,
            first=first, after=after, last=last, before=before,
        )  # fmt: skip
        if a_number is not None:  # a lookup by A-number is a read of it, whatever fields are selected
            for edge in page.edges:
                info.context.record_read(edge.node.id, "Person.aNumber")
        return page


async def apply_a_number(statement: Select[Any], info: Info, value: str | None) -> Select[Any]:
    """Exact match on a person's A-number through its keyed blind index (no row is decrypted), among the
    people whose A-number the viewer may read. Every lookup is audited (the field, never the value), found
    or not: probing for A-numbers leaves a trace."""
    if value is None:
        return statement
    context = info.context
    context.record_read(None, "Person.aNumber")
    try:
        canonical = a_number_of(value)
    except UserFacingError:
        raise BadRequestError("`aNumber` is not an A-number (8 or 9 digits, optionally with an A).") from None
    if canonical is None:
        raise BadRequestError("`aNumber` is empty.")
    async with context.exclusive():
        digest = await context.sealer.blind_index(context.session, canonical)
    return restricted(statement, context.viewer, PersonRow.a_number).where(PersonRow.a_number_index == digest)
