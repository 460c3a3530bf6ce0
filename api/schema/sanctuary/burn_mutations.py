"""The sanctuary case burn: two org admins of the host organization erase a case's critical data."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry

from api.schema.engine.context import Info
from api.schema.engine.mutation_support import Done, codes, mutation
from api.schema.engine.relay import parse_id
from api.schema.sanctuary.types import SanctuaryCase
from api.services.sanctuary import burn


@strawberry.enum(description="Where a sanctuary case burn stands after `sanctuaryCaseBurn`.")
class BurnStatus(enum.Enum):
    AWAITING_CONFIRMATION = strawberry.enum_value(
        "AWAITING_CONFIRMATION",
        description="Requested: another org admin of the organization must confirm before it expires.",
    )
    BURNED = strawberry.enum_value(
        "BURNED", description="Confirmed by a second org admin: the critical data is erased, for good."
    )


@strawberry.input(description="The sanctuary case whose critical data to erase.")
class SanctuaryCaseBurnInput:
    id: strawberry.ID = strawberry.field(description="The case (hosted by your organization).")


@strawberry.type
class BurnMutations:
    @mutation(
        "sanctuaryCaseBurn",
        "Erase a sanctuary case's critical data for good: the case's legal status summary and location detail, "
        "the guest's legal name and A-number, and the guest's household relations. Needs two org admins of the "
        "host organization, each with a credential of their own: the first call requests it "
        "(AWAITING_CONFIRMATION), a call by a different org admin, who was already one when it was requested, "
        "before the request expires burns (BURNED). The audit log keeps an attestation naming both admins.",
        returns=("sanctuary_case", SanctuaryCase, "The case as it is now."),
        errors=codes(
            "NOT_FOUND",
            SECOND_ADMIN_REQUIRED="You requested this burn: a different org admin must confirm it.",
            ADMIN_BEFORE_REQUEST_REQUIRED="You became an org admin after the burn was requested.",
            OWN_CREDENTIAL_REQUIRED="The token you used was not created by you (nor by the operator for you).",
        ),
        extra={"burn_status": (BurnStatus, "Whether the case was burned or waits for a second org admin.")},
    )
    async def sanctuary_case_burn(
        self, info: Info, input: Annotated[SanctuaryCaseBurnInput, strawberry.argument(description="The case.")]
    ) -> Done:
        context = info.context
        window = timedelta(hours=context.settings.burn_confirmation_hours)
        result = await burn.burn(
            context.session,
            context.viewer,
            parse_id(input.id, "SanctuaryCase"),
            now=datetime.now(UTC),
            window=window,
            request_id=context.request_id,
        )
        status = BurnStatus.BURNED if result.burned else BurnStatus.AWAITING_CONFIRMATION
        return Done(result.case, {"burn_status": status})  # the attestation event names the other records
