"""Administration mutations: hub coordinators shape the network; org admins manage their members."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry

from api.models import Congregation as CongregationRow
from api.models import Member as MemberRow
from api.models import Organization as OrganizationRow
from api.models import Region as RegionRow
from api.models import Training as TrainingRow
from api.schema.engine.context import Info
from api.schema.engine.mutation_support import Done, codes, mutation
from api.schema.engine.relay import parse_id
from api.schema.network.inputs import (
    CongregationUpdateInput,
    MemberCreateInput,
    MemberDeactivateInput,
    MemberInviteInput,
    MemberUpdateInput,
    OrganizationCreateInput,
    OrganizationUpdateInput,
    RegionCreateInput,
    RegionUpdateInput,
    TrainingRecordInput,
)
from api.schema.network.organizations import Congregation, Organization, Region
from api.schema.network.people import Member, Training
from api.services.network import invitations
from api.services.network import members as admin_members
from api.services.network import organizations as admin

_HUB_ONLY = {"HUB_ONLY": "Only network coordinators of the network hub organization may do this."}
_REGION = {"REGION_NOT_FOUND": "No region has this id."}
_ROLES = {"ROLE_NOT_ALLOWED": "A role does not fit the organization's kind (e.g. SANCTUARY_COORDINATOR outside a "
          "congregation, NETWORK_COORDINATOR outside the hub)."}  # fmt: skip
_LAST_ADMIN = {"LAST_ADMIN": "The organization would be left without an active ORG_ADMIN."}
_ADMIN_CHANGE = ("NOT_FOUND", "CONFLICT", "INVALID_INPUT")
_CREATE = ("INVALID_INPUT", "IDEMPOTENCY_KEY_REUSED")
_DETAIL_FIELDS = tuple(f.name for f in dataclasses.fields(admin.CongregationDetails))


def _details(value: Any) -> admin.CongregationDetails:
    return admin.CongregationDetails(**{name: getattr(value, name) for name in _DETAIL_FIELDS})


def _member_fields(value: MemberCreateInput | MemberUpdateInput) -> admin_members.MemberFields:
    region_id = parse_id(value.region_id, "Region") if value.region_id is not None else None
    return admin_members.MemberFields(
        alias=value.alias, legal_name=value.legal_name, phone=value.phone, languages=value.languages,
        roles=value.roles, region_id=region_id,
    )  # fmt: skip


@strawberry.type
class AdminMutations:
    @mutation(
        "regionCreate",
        "Add a region (coarse geography used for routing and alerts).",
        returns=("region", Region, "The new region."),
        errors=codes(*_CREATE, **_HUB_ONLY, CODE_TAKEN="Another region already has this code."),
        creates=RegionRow,
    )
    async def region_create(
        self, info: Info, input: Annotated[RegionCreateInput, strawberry.argument(description="The region.")]
    ) -> RegionRow:
        return await admin.create_region(info.context.session, info.context.viewer, input.name, input.code)

    @mutation(
        "regionUpdate",
        "Rename a region or designate the rapid-response organization responsible for it.",
        returns=("region", Region, "The region as it is now."),
        errors=codes(*_ADMIN_CHANGE),
    )
    async def region_update(
        self, info: Info, input: Annotated[RegionUpdateInput, strawberry.argument(description="The changes.")]
    ) -> RegionRow:
        team = input.rapid_response_organization_id
        change = admin.RegionChange(
            name=input.name,
            team=parse_id(team, "Organization") if team is not None else None,
            clear_team=input.clear_rapid_response_organization,
        )
        return await admin.update_region(
            info.context.session, info.context.viewer, parse_id(input.id, "Region"), change, input.expected_version
        )

    @mutation(
        "organizationCreate",
        "Add a member organization (with its congregation profile for kind CONGREGATION).",
        returns=("organization", Organization, "The new organization."),
        errors=codes(
            *_CREATE,
            **_HUB_ONLY,
            **_REGION,
            CONGREGATION_DETAILS_REQUIRED="A CONGREGATION organization needs `congregation` details.",
        ),
        creates=OrganizationRow,
    )
    async def organization_create(
        self,
        info: Info,
        input: Annotated[OrganizationCreateInput, strawberry.argument(description="The organization.")],
    ) -> OrganizationRow:
        details = _details(input.congregation) if input.congregation is not None else None
        new = admin.NewOrganization(
            name=input.name, kind=input.kind, region_id=parse_id(input.region_id, "Region"), congregation=details
        )
        return await admin.create_organization(info.context.session, info.context.viewer, new)

    @mutation(
        "organizationUpdate",
        "Rename an organization or move it to another region (org admins: their own organization).",
        returns=("organization", Organization, "The organization as it is now."),
        errors=codes(*_ADMIN_CHANGE, **_REGION),
    )
    async def organization_update(
        self, info: Info, input: Annotated[OrganizationUpdateInput, strawberry.argument(description="The changes.")]
    ) -> OrganizationRow:
        region_id = parse_id(input.region_id, "Region") if input.region_id is not None else None
        return await admin.update_organization(
            info.context.session, info.context.viewer, parse_id(input.id, "Organization"),
            name=input.name, region_id=region_id, expected_version=input.expected_version,
        )  # fmt: skip

    @mutation(
        "congregationUpdate",
        "Change a congregation's sanctuary profile (org admins: their own congregation).",
        returns=("congregation", Congregation, "The congregation as it is now."),
        errors=codes(*_ADMIN_CHANGE),
    )
    async def congregation_update(
        self, info: Info, input: Annotated[CongregationUpdateInput, strawberry.argument(description="The changes.")]
    ) -> CongregationRow:
        details = _details(input)
        congregation_id = parse_id(input.id, "Congregation")
        return await admin.update_congregation(
            info.context.session, info.context.viewer, congregation_id, details, input.expected_version
        )

    @mutation(
        "memberCreate",
        "Add a member to your organization, with roles that fit its kind.",
        returns=("member", Member, "The new member."),
        errors=codes(*_CREATE, **_REGION, **_ROLES, EMAIL_TAKEN="Another member already uses this email address."),
        creates=MemberRow,
    )
    async def member_create(
        self, info: Info, input: Annotated[MemberCreateInput, strawberry.argument(description="The member.")]
    ) -> MemberRow:
        context = info.context
        return await admin_members.create_member(context.session, context.viewer, input.email, _member_fields(input))

    @mutation(
        "memberUpdate",
        "Change a member of your organization: roles (effective from their next request) and details.",
        returns=("member", Member, "The member as they are now."),
        errors=codes(*_ADMIN_CHANGE, **_REGION, **_ROLES, **_LAST_ADMIN),
    )
    async def member_update(
        self, info: Info, input: Annotated[MemberUpdateInput, strawberry.argument(description="The changes.")]
    ) -> MemberRow:
        return await admin_members.update_member(
            info.context.session, info.context.viewer, parse_id(input.id, "Member"), _member_fields(input),
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "memberDeactivate",
        "Deactivate a member of your organization: their tokens stop working on their next request.",
        returns=("member", Member, "The member, now inactive."),
        errors=codes("NOT_FOUND", "CONFLICT", **_LAST_ADMIN, CANNOT_DEACTIVATE_SELF="You cannot deactivate yourself."),
    )
    async def member_deactivate(
        self, info: Info, input: Annotated[MemberDeactivateInput, strawberry.argument(description="The member.")]
    ) -> MemberRow:
        return await admin_members.deactivate_member(
            info.context.session, info.context.viewer, parse_id(input.id, "Member"), input.expected_version
        )

    @mutation(
        "memberInvite",
        "Invite a member of your organization to enroll a passkey: `link` is a one-time link (shown this once, "
        "stored only as a hash) to hand over however you like. A new invitation replaces an unused one.",
        returns=("member", Member, "The invited member."),
        errors=codes("NOT_FOUND", "INVALID_INPUT", MEMBER_INACTIVE="The member was deactivated."),
        extra={
            "link": (str, "The invitation link (secret; shown once)."),
            "expires_at": (datetime, "When the link stops working."),
        },
    )
    async def member_invite(
        self, info: Info, input: Annotated[MemberInviteInput, strawberry.argument(description="The invitation.")]
    ) -> Done:
        context = info.context
        hours = input.valid_hours if input.valid_hours is not None else context.settings.invitation_hours
        member, invitation, token = await invitations.invite_member(
            context.session, context.viewer, parse_id(input.member_id, "Member"),
            valid=timedelta(hours=hours), revoke_passkeys=input.revoke_passkeys,
        )  # fmt: skip
        link = invitations.invitation_link(context.settings.public_url, token)
        return Done(member, {"link": link, "expires_at": invitation.expires_at}, [member.id, invitation.id])

    @mutation(
        "trainingRecord",
        "Record a training an active member of your organization completed.",
        returns=("training", Training, "The recorded training (its `member` shows all their trainings)."),
        errors=codes(
            "NOT_FOUND", *_CREATE, MEMBER_INACTIVE="The member was deactivated; trainings are not recorded for them."
        ),
        creates=TrainingRow,
    )
    async def training_record(
        self, info: Info, input: Annotated[TrainingRecordInput, strawberry.argument(description="The training.")]
    ) -> TrainingRow:
        return await admin_members.record_training(
            info.context.session, info.context.viewer, parse_id(input.member_id, "Member"), input.kind,
            input.completed_at, input.expires_at,
        )  # fmt: skip
