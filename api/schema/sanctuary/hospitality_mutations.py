"""Hospitality mutations: coordinators schedule shifts and settle them; volunteers sign up and withdraw."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.models import HospitalityShift as ShiftRow
from api.schema.engine.context import Info
from api.schema.engine.mutation_support import codes, expected_version_field, idempotency_key_field, mutation
from api.schema.engine.relay import parse_id
from api.schema.sanctuary.types import HospitalityShift
from api.services.sanctuary import hospitality

_SHIFT = ("hospitality_shift", HospitalityShift, "The shift as it is now.")
_STARTED = {"SHIFT_STARTED": "The shift has already started."}


@strawberry.input(description="A hospitality shift for a case your organization hosts.")
class HospitalityShiftCreateInput:
    case_id: strawberry.ID = strawberry.field(description="The case (PREPARING or IN_SANCTUARY).")
    starts_at: datetime = strawberry.field(description="Start (with a time zone; from a day ago to a year ahead).")
    ends_at: datetime = strawberry.field(description="End: after the start, at most 24 hours later.")
    needed_volunteers: int = strawberry.field(description="How many volunteers the shift needs (2-20).")
    supporting_congregation_id: strawberry.ID | None = strawberry.field(
        default=None, description="A congregation supporting the case that staffs the shift."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="The shift to sign up for.")
class HospitalityShiftSignUpInput:
    id: strawberry.ID = strawberry.field(description="The shift.")


@strawberry.input(description="The shift whose sign-up you withdraw.")
class HospitalityShiftWithdrawInput:
    id: strawberry.ID = strawberry.field(description="The shift.")


@strawberry.input(description="The shift to settle.")
class HospitalityShiftSettleInput:
    id: strawberry.ID = strawberry.field(description="The shift.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="The filled shift that took place.")
class HospitalityShiftCompleteInput(HospitalityShiftSettleInput):
    pass


@strawberry.input(description="The open or filled shift that was not kept.")
class HospitalityShiftMissInput(HospitalityShiftSettleInput):
    pass


@strawberry.type
class HospitalityMutations:
    @mutation(
        "hospitalityShiftCreate",
        "Schedule an OPEN hospitality shift for a case your organization hosts (PREPARING or IN_SANCTUARY).",
        returns=_SHIFT,
        errors=codes(
            "NOT_FOUND",
            "ILLEGAL_TRANSITION",
            "INVALID_INPUT",
            "IDEMPOTENCY_KEY_REUSED",
            NOT_A_SUPPORTER="The congregation does not support the case.",
        ),
        creates=ShiftRow,
    )
    async def hospitality_shift_create(
        self, info: Info, input: Annotated[HospitalityShiftCreateInput, strawberry.argument(description="The shift.")]
    ) -> ShiftRow:
        supporter = input.supporting_congregation_id
        new = hospitality.NewShift(
            case_id=parse_id(input.case_id, "SanctuaryCase"), starts_at=input.starts_at, ends_at=input.ends_at,
            needed_volunteers=input.needed_volunteers,
            supporting_congregation_id=None if supporter is None else parse_id(supporter, "Congregation"),
        )  # fmt: skip
        return await hospitality.create(info.context.session, info.context.viewer, new)

    @mutation(
        "hospitalityShiftSignUp",
        "Sign up for an OPEN shift you may staff before it starts; the last place needed makes it FILLED.",
        returns=_SHIFT,
        errors=codes(
            "NOT_FOUND",
            "ILLEGAL_TRANSITION",
            **_STARTED,
            ALREADY_SIGNED_UP="You are already signed up for this shift.",
        ),
    )
    async def hospitality_shift_sign_up(
        self, info: Info, input: Annotated[HospitalityShiftSignUpInput, strawberry.argument(description="Which.")]
    ) -> ShiftRow:
        shift_id = parse_id(input.id, "HospitalityShift")
        return await hospitality.sign_up(info.context.session, info.context.viewer, shift_id)

    @mutation(
        "hospitalityShiftWithdraw",
        "Withdraw your sign-up before the shift starts; a FILLED shift falling below its need reopens.",
        returns=_SHIFT,
        errors=codes("NOT_FOUND", "ILLEGAL_TRANSITION", **_STARTED),
    )
    async def hospitality_shift_withdraw(
        self, info: Info, input: Annotated[HospitalityShiftWithdrawInput, strawberry.argument(description="Which.")]
    ) -> ShiftRow:
        shift_id = parse_id(input.id, "HospitalityShift")
        return await hospitality.withdraw(info.context.session, info.context.viewer, shift_id)

    @mutation(
        "hospitalityShiftComplete",
        "Mark a FILLED shift that has started COMPLETED (its volunteers ATTENDED): the host's coordinators or "
        "a volunteer signed up on it.",
        returns=_SHIFT,
        errors=codes(
            "NOT_FOUND",
            "CONFLICT",
            "ILLEGAL_TRANSITION",
            SHIFT_NOT_STARTED="The shift has not started yet.",
        ),
    )
    async def hospitality_shift_complete(
        self, info: Info, input: Annotated[HospitalityShiftCompleteInput, strawberry.argument(description="Which.")]
    ) -> ShiftRow:
        shift_id = parse_id(input.id, "HospitalityShift")
        return await hospitality.complete(info.context.session, info.context.viewer, shift_id, input.expected_version)

    @mutation(
        "hospitalityShiftMiss",
        "Mark an OPEN or FILLED shift of a case your organization hosts MISSED (its volunteers ABSENT).",
        returns=_SHIFT,
        errors=codes("NOT_FOUND", "CONFLICT", "ILLEGAL_TRANSITION"),
    )
    async def hospitality_shift_miss(
        self, info: Info, input: Annotated[HospitalityShiftMissInput, strawberry.argument(description="Which.")]
    ) -> ShiftRow:
        shift_id = parse_id(input.id, "HospitalityShift")
        return await hospitality.miss(info.context.session, info.context.viewer, shift_id, input.expected_version)
