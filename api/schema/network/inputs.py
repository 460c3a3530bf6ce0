"""Inputs of the administration mutations: regions, organizations, congregations, members, trainings."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.models.enums import Commitment, OrganizationKind, Role, TrainingKind
from api.schema.engine.mutation_support import expected_version_field, idempotency_key_field


@strawberry.input(description="A new region.")
class RegionCreateInput:
    name: str = strawberry.field(description="Name (1-120 characters).")
    code: str = strawberry.field(description="Unique short code: lowercase letters, digits and dashes (2-40).")
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="Changes to a region; omitted fields stay.")
class RegionUpdateInput:
    id: strawberry.ID = strawberry.field(description="The region.")
    expected_version: int | None = expected_version_field()
    name: str | None = strawberry.field(default=None, description="New name (1-120 characters).")
    rapid_response_organization_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The RAPID_RESPONSE organization responsible for the region: its dispatchers dispatch there, "
        "and detentions in the region are routed to it.",
    )
    clear_rapid_response_organization: bool = strawberry.field(
        default=False, description="True to remove the region's designated rapid-response organization."
    )


@strawberry.input(description="A congregation's sanctuary profile. In updates omitted fields stay; blank text clears.")
class CongregationDetailsInput:
    public_name: str | None = strawberry.field(default=None, description="Public name (1-200 characters).")
    faith_tradition: str | None = strawberry.field(default=None, description="Faith tradition (1-120 characters).")
    city: str | None = strawberry.field(default=None, description="City (1-120 characters).")
    commitment: Commitment | None = strawberry.field(default=None, description="Sanctuary commitment.")
    public_declaration: bool | None = strawberry.field(
        default=None, description="True when the commitment is declared publicly (then anyone sees the profile)."
    )
    capacity: int | None = strawberry.field(default=None, description="How many guests it can shelter (0-100).")
    accessibility_notes: str | None = strawberry.field(
        default=None, description="Accessibility of the space (up to 2000 characters)."
    )
    contact_name: str | None = strawberry.field(default=None, description="Contact person (up to 200 characters).")
    contact_phone: str | None = strawberry.field(default=None, description="Contact phone (up to 40 characters).")
    contact_email: str | None = strawberry.field(default=None, description="Contact email address.")


@strawberry.input(description="A new member organization of the network.")
class OrganizationCreateInput:
    name: str = strawberry.field(description="Name (1-200 characters).")
    kind: OrganizationKind = strawberry.field(
        description="What kind of organization (never changes; not NETWORK_HUB: the network has one hub)."
    )
    region_id: strawberry.ID = strawberry.field(description="The region it works in.")
    congregation: CongregationDetailsInput | None = strawberry.field(
        default=None,
        description="Required for kind CONGREGATION (public name, faith tradition, city and commitment at least); "
        "not allowed for other kinds.",
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="Changes to an organization; omitted fields stay.")
class OrganizationUpdateInput:
    id: strawberry.ID = strawberry.field(description="The organization.")
    expected_version: int | None = expected_version_field()
    name: str | None = strawberry.field(default=None, description="New name (1-200 characters).")
    region_id: strawberry.ID | None = strawberry.field(default=None, description="New region.")


@strawberry.input(description="Changes to a congregation's sanctuary profile; omitted fields stay, blank text clears.")
class CongregationUpdateInput(CongregationDetailsInput):
    id: strawberry.ID = strawberry.field(description="The congregation.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="A new member of your organization.")
class MemberCreateInput:
    email: str = strawberry.field(description="Sign-in email address (unique in the network; stored lowercase).")
    alias: str = strawberry.field(description="The name they go by in the network (1-80 characters).")
    legal_name: str | None = strawberry.field(default=None, description="Legal name (up to 200 characters).")
    phone: str | None = strawberry.field(default=None, description="Phone number (up to 40 characters).")
    languages: list[str] | None = strawberry.field(
        default=None, description="Languages spoken (BCP 47 tags such as `es`; at most 20)."
    )
    roles: list[Role] | None = strawberry.field(
        default=None, description="Roles in your organization; each must fit its kind (see `ROLE_NOT_ALLOWED`)."
    )
    region_id: strawberry.ID | None = strawberry.field(default=None, description="The region they usually serve.")
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="Changes to a member of your organization; omitted fields stay, blank text clears.")
class MemberUpdateInput:
    id: strawberry.ID = strawberry.field(description="The member.")
    expected_version: int | None = expected_version_field()
    alias: str | None = strawberry.field(default=None, description="New alias (1-80 characters).")
    legal_name: str | None = strawberry.field(default=None, description="New legal name (up to 200 characters).")
    phone: str | None = strawberry.field(default=None, description="New phone number (up to 40 characters).")
    languages: list[str] | None = strawberry.field(default=None, description="The languages (replaces the list).")
    roles: list[Role] | None = strawberry.field(
        default=None, description="The roles (replaces the list); they apply from the member's next request."
    )
    region_id: strawberry.ID | None = strawberry.field(default=None, description="New region.")


@strawberry.input(description="The member to deactivate.")
class MemberDeactivateInput:
    id: strawberry.ID = strawberry.field(description="The member (not yourself).")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="The member to invite to enroll a passkey (a one-time link).")
class MemberInviteInput:
    member_id: strawberry.ID = strawberry.field(description="The member (active, of your organization).")
    valid_hours: int | None = strawberry.field(
        default=None, description="How long the link works, in hours (1-720); the server's setting when omitted."
    )
    revoke_passkeys: bool = strawberry.field(
        default=False,
        description="Recovery: when the link is used, the member's earlier passkeys and sessions end.",
    )


@strawberry.input(description="A training a member of your organization completed.")
class TrainingRecordInput:
    member_id: strawberry.ID = strawberry.field(description="The member (active, of your organization).")
    kind: TrainingKind = strawberry.field(description="Which training.")
    completed_at: datetime = strawberry.field(description="When it was completed (with a time zone; not ahead).")
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it expires: after completion, within 10 years of it; omit if never."
    )
    idempotency_key: str | None = idempotency_key_field()
