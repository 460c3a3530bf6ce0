"""Credentials of an organization: personal access tokens and partner apps (org admins)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.models import Member as MemberRow
from api.models import OAuthClient as AppRow
from api.models import PersonalAccessToken as TokenRow
from api.models.base import Tier
from api.models.enums import Role
from api.schema.context import Info
from api.schema.fields import plain
from api.schema.lookup import related, to_one
from api.schema.mutation_support import UserError, mutation
from api.schema.relay import Node, node_type, parse_id
from api.services import credentials
from api.services.errors import UserFacingError

if TYPE_CHECKING:
    from api.schema.people import Member


@node_type(TokenRow, floor=Tier.T2, description="A member's personal access token (its secret is never shown again).")
class PersonalAccessToken(Node):
    name: str = plain(TokenRow.name, "What the token is for.")
    created_at: datetime = plain(TokenRow.created_at, "When it was created.")
    expires_at: datetime = plain(TokenRow.expires_at, "When it stops working.")
    revoked_at: datetime | None = plain(TokenRow.revoked_at, "When it was revoked, if it was.")

    @strawberry.field(description="The member the token acts as.", metadata=to_one(MemberRow, "member_id"))
    def member(
        self, root: strawberry.Parent[TokenRow], info: Info
    ) -> Annotated[Member, strawberry.lazy("api.schema.people")] | None:
        return related(info, MemberRow, root.member_id)


@node_type(AppRow, floor=Tier.T1, description="A partner app of your organization (an OAuth 2.0 client).")
class PartnerApp(Node):
    name: str = plain(AppRow.name, "Name of the app.")
    client_id: str = plain(AppRow.client_id, "The app's OAuth 2.0 client id.")
    scopes: list[str] = plain(AppRow.scopes, "Scopes the app may request (`read`, `write`).")
    disabled_at: datetime | None = plain(AppRow.disabled_at, "When the app was disabled, if it was.")

    @strawberry.field(description="The roles the app may act with at most (its ceiling). Network (T1).")
    def max_roles(self, root: strawberry.Parent[AppRow]) -> list[Role]:
        return [Role(role) for role in root.max_roles]


@strawberry.enum(description="Why creating a personal access token failed.")
class PersonalAccessTokenCreateErrorCode(enum.Enum):
    MEMBER_NOT_FOUND = strawberry.enum_value("MEMBER_NOT_FOUND", description="No active member of yours has it.")
    INVALID_LIFETIME = strawberry.enum_value("INVALID_LIFETIME", description="Lifetime outside 1-366 days.")
    INVALID_NAME = strawberry.enum_value("INVALID_NAME", description="Name empty or longer than 120 characters.")


@strawberry.input(description="A new personal access token for a member of your organization.")
class PersonalAccessTokenCreateInput:
    member_id: strawberry.ID = strawberry.field(description="The member (its id).")
    name: str = strawberry.field(description="What the token is for (1-120 characters).")
    expires_in_days: int = strawberry.field(description="Lifetime in days (1-366).")


@strawberry.type(description="The created token. `token` is the secret: shown this once, stored only as a hash.")
class PersonalAccessTokenCreatePayload:
    token: str | None = strawberry.field(description="The secret to send as `Authorization: Bearer <token>`.")
    personal_access_token: PersonalAccessToken | None = strawberry.field(description="The token's record.")
    user_errors: list[UserError] = strawberry.field(
        description="Codes: " + ", ".join(c.name for c in PersonalAccessTokenCreateErrorCode)
    )
    record_ids: strawberry.Private[list[uuid.UUID]]


@strawberry.input(description="The token to revoke.")
class PersonalAccessTokenRevokeInput:
    id: strawberry.ID = strawberry.field(description="The token (its id).")


@strawberry.type(description="The revoked token; it stops working on the very next request.")
class PersonalAccessTokenRevokePayload:
    personal_access_token: PersonalAccessToken | None = strawberry.field(description="The token's record.")
    user_errors: list[UserError] = strawberry.field(description="Codes: TOKEN_NOT_FOUND.")
    record_ids: strawberry.Private[list[uuid.UUID]]


@strawberry.input(description="A new partner app of your organization.")
class PartnerAppCreateInput:
    name: str = strawberry.field(description="Name of the app (1-120 characters).")
    scopes: list[str] = strawberry.field(description="Scopes it may request: `read`, `write`.")
    max_roles: list[Role] = strawberry.field(description="The roles it may act with at most.")


@strawberry.type(description="The created app. `clientSecret` is shown this once and stored only as a hash.")
class PartnerAppCreatePayload:
    partner_app: PartnerApp | None = strawberry.field(description="The app's record.")
    client_secret: str | None = strawberry.field(description="The client secret for the token endpoint.")
    user_errors: list[UserError] = strawberry.field(description="Codes: INVALID_NAME, INVALID_GRANT.")
    record_ids: strawberry.Private[list[uuid.UUID]]


@strawberry.input(description="The partner app to disable.")
class PartnerAppDisableInput:
    id: strawberry.ID = strawberry.field(description="The app (its id).")


@strawberry.type(description="The disabled app; its tokens stop working on the very next request.")
class PartnerAppDisablePayload:
    partner_app: PartnerApp | None = strawberry.field(description="The app's record.")
    user_errors: list[UserError] = strawberry.field(description="Codes: APP_NOT_FOUND.")
    record_ids: strawberry.Private[list[uuid.UUID]]


@strawberry.type
class CredentialMutations:
    @mutation("personalAccessTokenCreate", "Create a personal access token for a member of your organization.")
    async def personal_access_token_create(
        self, info: Info, input: Annotated[PersonalAccessTokenCreateInput, strawberry.argument(description="What.")]
    ) -> PersonalAccessTokenCreatePayload:
        context = info.context
        try:
            member_id = parse_id(input.member_id, "Member")
            async with context.exclusive():
                row, secret = await credentials.create_member_token(
                    context.session, context.viewer, member_id, name=input.name, days=input.expires_in_days
                )
        except UserFacingError as error:
            return PersonalAccessTokenCreatePayload(
                token=None, personal_access_token=None, user_errors=UserError.of(error), record_ids=[]
            )
        return PersonalAccessTokenCreatePayload(
            token=secret,
            personal_access_token=row,  # type: ignore[arg-type]
            user_errors=[],
            record_ids=[row.id, row.member_id],
        )

    @mutation("personalAccessTokenRevoke", "Revoke a personal access token of your organization.")
    async def personal_access_token_revoke(
        self, info: Info, input: Annotated[PersonalAccessTokenRevokeInput, strawberry.argument(description="What.")]
    ) -> PersonalAccessTokenRevokePayload:
        context = info.context
        try:
            async with context.exclusive():
                row = await credentials.revoke_member_token(
                    context.session, context.viewer, parse_id(input.id, "PersonalAccessToken")
                )
        except UserFacingError as error:
            return PersonalAccessTokenRevokePayload(
                personal_access_token=None, user_errors=UserError.of(error), record_ids=[]
            )
        return PersonalAccessTokenRevokePayload(personal_access_token=row, user_errors=[], record_ids=[row.id])  # type: ignore[arg-type]

    @mutation("partnerAppCreate", "Register a partner app of your organization.")
    async def partner_app_create(
        self, info: Info, input: Annotated[PartnerAppCreateInput, strawberry.argument(description="What.")]
    ) -> PartnerAppCreatePayload:
        context = info.context
        if len(input.scopes) > 10 or len(input.max_roles) > len(Role):
            raise_user = UserFacingError("INVALID_GRANT", "Too many scopes or roles.", "scopes")
            return PartnerAppCreatePayload(
                partner_app=None, client_secret=None, user_errors=UserError.of(raise_user), record_ids=[]
            )
        try:
            async with context.exclusive():
                row, secret = await credentials.register_partner_app(
                    context.session, context.viewer, name=input.name, scopes=input.scopes,
                    max_roles=[role.value for role in input.max_roles],
                )  # fmt: skip
        except UserFacingError as error:
            return PartnerAppCreatePayload(
                partner_app=None, client_secret=None, user_errors=UserError.of(error), record_ids=[]
            )
        return PartnerAppCreatePayload(partner_app=row, client_secret=secret, user_errors=[], record_ids=[row.id])  # type: ignore[arg-type]

    @mutation("partnerAppDisable", "Disable a partner app of your organization.")
    async def partner_app_disable(
        self, info: Info, input: Annotated[PartnerAppDisableInput, strawberry.argument(description="What.")]
    ) -> PartnerAppDisablePayload:
        context = info.context
        try:
            async with context.exclusive():
                row = await credentials.disable_partner_app(
                    context.session, context.viewer, parse_id(input.id, "PartnerApp")
                )
        except UserFacingError as error:
            return PartnerAppDisablePayload(partner_app=None, user_errors=UserError.of(error), record_ids=[])
        return PartnerAppDisablePayload(partner_app=row, user_errors=[], record_ids=[row.id])  # type: ignore[arg-type]
