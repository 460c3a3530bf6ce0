"""Advocacy mutations: organizers plan, edit, announce, hold or cancel actions and link consenting stories."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.models import AdvocacyAction as ActionRow
from api.models.enums import AdvocacyKind, AdvocacyLevel, Visibility
from api.schema.advocacy.types import AdvocacyAction
from api.schema.engine.context import Info
from api.schema.engine.mutation_support import (
    TRANSITION_CODES,
    codes,
    expected_version_field,
    idempotency_key_field,
    mutation,
)
from api.schema.engine.relay import parse_id
from api.services.advocacy import actions as advocacy
from api.services.shared.lifecycles import AdvocacyActionStep

_RETURNS = ("advocacy_action", AdvocacyAction, "The action as it is now.")


@strawberry.input(description="A new advocacy action, organized by your organization.")
class AdvocacyActionPlanInput:
    title: str = strawberry.field(description="Title (1-200 characters).")
    kind: AdvocacyKind = strawberry.field(description="What kind of action.")
    level: AdvocacyLevel = strawberry.field(description="The level of government it targets.")
    starts_at: datetime = strawberry.field(
        description="When it starts (with a time zone; within a year back, 3 ahead)."
    )
    visibility: Visibility = strawberry.field(description="Who may see it once announced.")
    target: str | None = strawberry.field(default=None, description="Who it addresses (up to 200 characters).")
    place: str | None = strawberry.field(default=None, description="Where it happens (up to 300 characters).")
    co_organizer_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Other organizations organizing it (at most 20)."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="Changes to an action that is still PLANNED or ANNOUNCED; omitted fields stay.")
class AdvocacyActionUpdateInput:
    id: strawberry.ID = strawberry.field(description="The action.")
    expected_version: int | None = expected_version_field()
    title: str | None = strawberry.field(default=None, description="New title (1-200 characters).")
    target: str | None = strawberry.field(default=None, description="New target (up to 200 characters).")
    starts_at: datetime | None = strawberry.field(default=None, description="New start time.")
    place: str | None = strawberry.field(default=None, description="New place (up to 300 characters).")
    visibility: Visibility | None = strawberry.field(default=None, description="New visibility.")


@strawberry.input(description="A move in an action's lifecycle.")
class AdvocacyActionTransitionInput:
    id: strawberry.ID = strawberry.field(description="The action.")
    step: AdvocacyActionStep = strawberry.field(description="The move to make.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="A sanctuary case whose public story the action tells.")
class AdvocacyActionLinkCaseInput:
    id: strawberry.ID = strawberry.field(description="The action.")
    sanctuary_case_id: strawberry.ID = strawberry.field(description="The case; it must have public-story consent.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="The action whose sanctuary case link to remove.")
class AdvocacyActionUnlinkCaseInput:
    id: strawberry.ID = strawberry.field(description="The action.")
    expected_version: int | None = expected_version_field()


@strawberry.type
class AdvocacyMutations:
    @mutation(
        "advocacyActionPlan",
        "Plan an advocacy action organized by your organization (status PLANNED).",
        returns=_RETURNS,
        errors=codes(
            "INVALID_INPUT",
            "IDEMPOTENCY_KEY_REUSED",
            ORGANIZATION_NOT_FOUND="A co-organizer id is not an organization of the network.",
        ),
        creates=ActionRow,
    )
    async def advocacy_action_plan(
        self, info: Info, input: Annotated[AdvocacyActionPlanInput, strawberry.argument(description="The action.")]
    ) -> ActionRow:
        plan = advocacy.Plan(
            title=input.title, kind=input.kind, level=input.level, starts_at=input.starts_at,
            visibility=input.visibility, target=input.target, place=input.place,
            co_organizer_ids=tuple(parse_id(i, "Organization") for i in input.co_organizer_ids or []),
        )  # fmt: skip
        return await advocacy.plan(info.context.session, info.context.viewer, plan)

    @mutation(
        "advocacyActionUpdate",
        "Change an action your organization organizes while it is PLANNED or ANNOUNCED.",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES, "INVALID_INPUT"),
    )
    async def advocacy_action_update(
        self, info: Info, input: Annotated[AdvocacyActionUpdateInput, strawberry.argument(description="The changes.")]
    ) -> ActionRow:
        changes = advocacy.Changes(
            title=input.title, target=input.target, starts_at=input.starts_at, place=input.place,
            visibility=input.visibility,
        )  # fmt: skip
        action_id = parse_id(input.id, "AdvocacyAction")
        return await advocacy.edit(
            info.context.session, info.context.viewer, action_id, changes, input.expected_version
        )

    @mutation(
        "advocacyActionTransition",
        "Announce, hold or cancel an action your organization organizes.",
        returns=_RETURNS,
        errors=codes(*TRANSITION_CODES),
    )
    async def advocacy_action_transition(
        self, info: Info, input: Annotated[AdvocacyActionTransitionInput, strawberry.argument(description="The move.")]
    ) -> ActionRow:
        action_id = parse_id(input.id, "AdvocacyAction")
        return await advocacy.move(
            info.context.session, info.context.viewer, action_id, input.step, input.expected_version
        )

    @mutation(
        "advocacyActionLinkCase",
        "Tell the public story of a sanctuary case in an action; only while the case has public-story consent.",
        returns=_RETURNS,
        errors=codes(
            *TRANSITION_CODES,
            CASE_NOT_FOUND="No sanctuary case you may see has this id.",
            NO_PUBLIC_STORY_CONSENT="The guest has not consented to a public story.",
        ),
    )
    async def advocacy_action_link_case(
        self, info: Info, input: Annotated[AdvocacyActionLinkCaseInput, strawberry.argument(description="The link.")]
    ) -> ActionRow:
        action_id = parse_id(input.id, "AdvocacyAction")
        case_id = parse_id(input.sanctuary_case_id, "SanctuaryCase")
        context = info.context
        return await advocacy.link_case(context.session, context.viewer, action_id, case_id, input.expected_version)

    @mutation(
        "advocacyActionUnlinkCase",
        "Stop telling a sanctuary case's story in an action.",
        returns=_RETURNS,
        errors=codes("NOT_FOUND", "CONFLICT"),
    )
    async def advocacy_action_unlink_case(
        self, info: Info, input: Annotated[AdvocacyActionUnlinkCaseInput, strawberry.argument(description="Which.")]
    ) -> ActionRow:
        action_id = parse_id(input.id, "AdvocacyAction")
        return await advocacy.unlink_case(info.context.session, info.context.viewer, action_id, input.expected_version)
