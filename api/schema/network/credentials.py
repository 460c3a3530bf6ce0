"""Credentials of an organization: personal access tokens and partner apps (org admins)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from api.models import Member as MemberRow
from api.models import OAuthClient as AppRow
from api.models import PersonalAccessToken as TokenRow
from api.models.base import Tier
from api.models.enums import Role
from api.schema.engine.context import Info
from api.schema.engine.fields import plain
from api.schema.engine.lookup import related, to_one
from api.schema.engine.mutation_support import Done, codes, mutation
from api.schema.engine.relay import Node, node_type, parse_id
from api.services.network import credentials
from api.services.shared.errors import UserFacingError

if TYPE_CHECKING:
    from api.schema.network.people import Member


@node_type(TokenRow, floor=Tier.T2, description="A member's personal access token (its secret is never shown again).")
class PersonalAccessToken(Node):
    name: str = plain(TokenRow.name, "What the token is for.")
    created_at: datetime = plain(TokenRow.created_at, "When it was created.")
    expires_at: datetime = plain(TokenRow.expires_at, "When it stops working.")
    revoked_at: datetime | None = plain(TokenRow.revoked_at, "When it was revoked, if it was.")

    @strawberry.field(description="The member the token acts as.", metadata=to_one(MemberRow, "member_id"))
    def member(
        self, root: strawberry.Parent[TokenRow], info: Info
    ) -> Annotated[Member, strawberry.lazy("api.schema.network.people")] | None:
        return related(info, MemberRow, root.member_id)


@strawberry.enum(description="An OAuth grant a partner app may use.")
class PartnerAppGrant(enum.Enum):
    CLIENT_CREDENTIALS = strawberry.enum_value("client_credentials", description="Act for its organization.")
    AUTHORIZATION_CODE = strawberry.enum_value(
        "authorization_code", description="Act for a person who signs in and consents (with PKCE S256; refresh)."
    )
    DEVICE_CODE = strawberry.enum_value(
        "device_code", description="Act for a person who approves a code on /signin/device (RFC 8628; refresh)."
    )


@node_type(AppRow, floor=Tier.T1, description="A partner app of your organization (an OAuth 2.0 client).")
class PartnerApp(Node):
    name: str = plain(AppRow.name, "Name of the app.")
    client_id: str = plain(AppRow.client_id, "The app's OAuth 2.0 client id.")
    scopes: list[str] = plain(AppRow.scopes, "Scopes the app may request (`read`, `write`).")
    disabled_at: datetime | None = plain(AppRow.disabled_at, "When the app was disabled, if it was.")
    redirect_uris: list[str] = plain(
        AppRow.redirect_uris, "Where the authorization code grant may send people back (matched exactly)."
    )
    public: bool = plain(AppRow.public, "A public app (single-page, native, script) holds no secret; PKCE proves it.")

    @strawberry.field(description="The grants the app may use. Network (T1).")
    def grants(self, root: strawberry.Parent[AppRow]) -> list[PartnerAppGrant]:
        return [PartnerAppGrant(grant) for grant in root.grant_types]

    @strawberry.field(description="The roles the app may act with at most (its ceiling). Network (T1).")
    def max_roles(self, root: strawberry.Parent[AppRow]) -> list[Role]:
        return [Role(role) for role in root.max_roles]


@strawberry.input(description="A new personal access token for yourself (a token is a person's own).")
class PersonalAccessTokenCreateInput:
    member_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Your own member id, if given (optional): another member's id is refused (`NOT_YOUR_OWN`); "
        "nobody creates a token for someone else.",
    )
    name: str = strawberry.field(description="What the token is for (1-120 characters).")
    expires_in_days: int = strawberry.field(description="Lifetime in days (1-366).")


@strawberry.input(description="The token to revoke.")
class PersonalAccessTokenRevokeInput:
    id: strawberry.ID = strawberry.field(description="The token (its id).")


@strawberry.input(description="A new partner app of your organization.")
class PartnerAppCreateInput:
    name: str = strawberry.field(description="Name of the app (1-120 characters).")
    scopes: list[str] = strawberry.field(description="Scopes it may request: `read`, `write`.")
    max_roles: list[Role] = strawberry.field(
        description="The roles it may act with at most: only roles a member of your organization may hold "
        "(as for `memberUpdate`), otherwise `ROLE_NOT_ALLOWED`. Acting for a person, it gets the intersection "
        "of that person's roles and these."
    )
    grants: list[PartnerAppGrant] | None = strawberry.field(
        default=None, description="The grants it may use (default: client credentials only)."
    )
    redirect_uris: list[str] | None = strawberry.field(
        default=None,
        description="Where people come back after signing in (authorization code; at most 10, matched exactly): "
        "https, or http on localhost or 127.0.0.1; no fragment. Otherwise `INVALID_REDIRECT_URI`.",
    )
    public: bool = strawberry.field(
        default=False,
        description="A public app (single-page, native, script): no usable secret, PKCE only; not with client "
        "credentials.",
    )


@strawberry.input(description="The partner app to disable.")
class PartnerAppDisableInput:
    id: strawberry.ID = strawberry.field(description="The app (its id).")


_TOKEN = ("personal_access_token", PersonalAccessToken, "The token's record.")
_APP = ("partner_app", PartnerApp, "The app's record.")


@strawberry.type
class CredentialMutations:
    @mutation(
        "personalAccessTokenCreate",
        "Create a personal access token for yourself (org admins; never for another member, never by a partner "
        "app). `token` is the secret: shown this once, stored only as a hash.",
        returns=_TOKEN,
        errors=codes(
            NOT_YOUR_OWN="The member id is not yours: a token is created only by its own member.",
            OWN_CREDENTIAL_REQUIRED="The token you used was not created by you (nor by the operator for you).",
            INVALID_LIFETIME="Lifetime outside 1-366 days.",
            INVALID_NAME="Name empty or longer than 120 characters.",
        ),
        extra={"token": (str, "The secret to send as `Authorization: Bearer <token>`.")},
    )
    async def personal_access_token_create(
        self, info: Info, input: Annotated[PersonalAccessTokenCreateInput, strawberry.argument(description="What.")]
    ) -> Done:
        context = info.context
        member_id = parse_id(input.member_id, "Member") if input.member_id is not None else None
        row, secret = await credentials.create_own_token(
            context.session, context.viewer, member_id, name=input.name, days=input.expires_in_days
        )
        return Done(row, {"token": secret}, [row.id, row.member_id])

    @mutation(
        "personalAccessTokenRevoke",
        "Revoke a personal access token of your organization; it stops working on the very next request.",
        returns=_TOKEN,
        errors=codes(TOKEN_NOT_FOUND="No token of your organization has this id."),  # noqa: S106
    )
    async def personal_access_token_revoke(
        self, info: Info, input: Annotated[PersonalAccessTokenRevokeInput, strawberry.argument(description="What.")]
    ) -> TokenRow:
        context = info.context
        return await credentials.revoke_member_token(
            context.session, context.viewer, parse_id(input.id, "PersonalAccessToken")
        )

    @mutation(
        "partnerAppCreate",
        "Register a partner app of your organization. `clientSecret` is shown this once and stored only as a hash "
        "(a public app's is of no use: it proves itself with PKCE).",
        returns=_APP,
        errors=codes(
            INVALID_NAME="Name empty or longer than 120 characters.",
            INVALID_GRANT="Scopes or grants that cannot be granted, or an empty ceiling.",
            INVALID_REDIRECT_URI="A redirect URI is not https (or loopback http), has a fragment, or is missing.",
            ROLE_NOT_ALLOWED="A role of the ceiling is not one a member of your organization may hold.",
        ),
        extra={"client_secret": (str, "The client secret for the token endpoint.")},
    )
    async def partner_app_create(
        self, info: Info, input: Annotated[PartnerAppCreateInput, strawberry.argument(description="What.")]
    ) -> Done:
        context = info.context
        if len(input.scopes) > 10 or len(input.max_roles) > len(Role):
            raise UserFacingError("INVALID_GRANT", "Too many scopes or roles.", "scopes")
        if len(input.redirect_uris or []) > 10:
            raise UserFacingError("INVALID_REDIRECT_URI", "At most 10 redirect URIs.", "redirectUris")
        row, secret = await credentials.register_partner_app(
            context.session, context.viewer, name=input.name, scopes=input.scopes,
            max_roles=[role.value for role in input.max_roles],
            grants=[str(grant.value) for grant in input.grants or []], redirect_uris=input.redirect_uris,
            public=input.public,
        )  # fmt: skip
        return Done(row, {"client_secret": secret})

    @mutation(
        "partnerAppDisable",
        "Disable a partner app of your organization; its tokens stop working on the very next request.",
        returns=_APP,
        errors=codes(APP_NOT_FOUND="No partner app of your organization has this id."),
    )
    async def partner_app_disable(
        self, info: Info, input: Annotated[PartnerAppDisableInput, strawberry.argument(description="What.")]
    ) -> AppRow:
        context = info.context
        return await credentials.disable_partner_app(context.session, context.viewer, parse_id(input.id, "PartnerApp"))
