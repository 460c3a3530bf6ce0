"""A member's consents to partner apps acting for them: list (``myAppConsents``) and revoke (``appConsentRevoke``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.models import OAuthConsent
from api.models.base import Tier
from api.schema.engine.context import Info
from api.schema.engine.ids import encode_global_id
from api.schema.engine.mutation_support import Done, codes, mutation
from api.schema.engine.relay import parse_id
from api.services.network import consents


@strawberry.type(description="Your consent to a partner app acting for you (remembered until you revoke it).")
class AppConsent:
    id: strawberry.ID = strawberry.field(description="The consent's opaque id (to revoke it).")
    app_name: str = strawberry.field(description="The app's name.")
    client_id: str = strawberry.field(description="The app's OAuth client id.")
    scopes: list[str] = strawberry.field(description="The scopes you allowed (`read`, `write`).")
    granted_at: datetime = strawberry.field(description="When you first allowed the app.")
    updated_at: datetime = strawberry.field(description="When you last allowed it (or widened its scopes).")
    revoked_at: datetime | None = strawberry.field(description="When you revoked it, if you did.")


def _consent(row: OAuthConsent, app_name: str, client_id: str) -> AppConsent:
    return AppConsent(
        id=strawberry.ID(encode_global_id("AppConsent", row.id)), app_name=app_name, client_id=client_id,
        scopes=list(row.scopes), granted_at=row.created_at, updated_at=row.updated_at, revoked_at=row.revoked_at,
    )  # fmt: skip


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        description="Your live consents to partner apps, newest first (at most 200). Empty through a partner "
        "app's token: only your own sign-in (or a token you created) lists them. Members only.",
        metadata={"tier": Tier.T1},
    )
    async def my_app_consents(self, info: Info) -> list[AppConsent]:
        context = info.context
        async with context.exclusive():
            rows = await consents.my_consents(context.session, context.viewer)
        return [_consent(consent, app.name, app.client_id) for consent, app in rows]


@strawberry.input(description="The consent to revoke.")
class AppConsentRevokeInput:
    id: strawberry.ID = strawberry.field(description="The consent (its id, from `myAppConsents`).")


@strawberry.type
class ConsentMutations:
    @mutation(
        "appConsentRevoke",
        "Revoke your consent to a partner app: it asks again next time, and its sessions acting for you end "
        "on their next request. Only through your own sign-in (or a token you created), never a partner app.",
        returns=("app_consent", AppConsent, "The revoked consent."),
        errors=codes(
            CONSENT_NOT_FOUND="You have no live consent with this id.",
            OWN_CREDENTIAL_REQUIRED="The credential you used is a partner app's acting for you.",
        ),
    )
    async def app_consent_revoke(
        self, info: Info, input: Annotated[AppConsentRevokeInput, strawberry.argument(description="Which consent.")]
    ) -> Done:
        context = info.context
        row, app = await consents.revoke_consent(context.session, context.viewer, parse_id(input.id, "AppConsent"))
        return Done(_consent(row, app.name, app.client_id), record_ids=[row.id, app.id])
