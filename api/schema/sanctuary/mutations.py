"""Sanctuary mutations: register a person, open an inquiry and walk it, keep its details, supporters and consent."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.models import Person as PersonRow
from api.models import SanctuaryCase as CaseRow
from api.models.enums import ExitOutcome, SupportRole
from api.schema.engine.context import Info
from api.schema.engine.mutation_support import (
    TRANSITION_CODES,
    codes,
    expected_version_field,
    idempotency_key_field,
    mutation,
)
from api.schema.engine.relay import parse_id
from api.schema.network.people import Person
from api.schema.sanctuary.types import SanctuaryCase
from api.services.network import persons
from api.services.sanctuary import cases as sanctuary
from api.services.shared.lifecycles import SanctuaryCaseAction

_CASE = ("sanctuary_case", SanctuaryCase, "The case as it is now.")


@strawberry.input(description="A person your organization protects.")
class PersonCreateInput:
    preferred_name: str = strawberry.field(description="The name the person wants to be called (1-120 characters).")
    legal_name: str | None = strawberry.field(default=None, description="Legal name (up to 200; sealed at rest).")
    a_number: str | None = strawberry.field(
        default=None, description="A-number: 8 or 9 digits, optionally with an `A` prefix and dashes (sealed)."
    )
    country_of_origin: str | None = strawberry.field(default=None, description="Country of origin (up to 80).")
    languages: list[str] | None = strawberry.field(default=None, description="Languages (BCP 47 tags, at most 20).")
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="A sanctuary inquiry for a person, at a congregation of your organization.")
class SanctuaryCaseOpenInput:
    person_id: strawberry.ID = strawberry.field(description="The person (registered by your organization).")
    host_congregation_id: strawberry.ID = strawberry.field(description="Your organization's congregation.")
    location_detail: str | None = strawberry.field(
        default=None, description="Where on the property the guest would stay (up to 500; sealed)."
    )
    legal_status_summary: str | None = strawberry.field(
        default=None, description="Summary of the immigration case (up to 4000; sealed)."
    )
    idempotency_key: str | None = idempotency_key_field()


@strawberry.input(description="A move in a sanctuary case's lifecycle.")
class SanctuaryCaseTransitionInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    action: SanctuaryCaseAction = strawberry.field(description="The move to make.")
    exit_outcome: ExitOutcome | None = strawberry.field(
        default=None, description="How the stay ended: required with EXIT, refused with any other action."
    )
    expected_version: int | None = expected_version_field()


@strawberry.input(description="New critical details of an open case; omitted fields stay, an empty string clears.")
class SanctuaryCaseUpdateInput:
    id: strawberry.ID = strawberry.field(description="The case.")
    expected_version: int | None = expected_version_field()
    location_detail: str | None = strawberry.field(default=None, description="Where the guest stays (up to 500).")
    legal_status_summary: str | None = strawberry.field(
        default=None, description="Summary of the immigration case (up to 4000)."
    )


@strawberry.input(description="A congregation supporting an open case, and what it does for it.")
class SanctuaryCaseSupporterAddInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    congregation_id: strawberry.ID = strawberry.field(description="The supporting congregation (not the host).")
    roles: list[SupportRole] = strawberry.field(
        description="What it does (1-5, each once); replaces its roles if it already supports the case."
    )
    expected_version: int | None = expected_version_field()


@strawberry.input(description="A supporting congregation to remove from an open case.")
class SanctuaryCaseSupporterRemoveInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    congregation_id: strawberry.ID = strawberry.field(description="The supporting congregation.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="The open case whose guest consents to a public story.")
class SanctuaryCaseConsentRecordInput:
    case_id: strawberry.ID = strawberry.field(description="The case.")
    expected_version: int | None = expected_version_field()


@strawberry.input(description="The case whose guest withdraws consent to a public story.")
class SanctuaryCaseConsentWithdrawInput:
    case_id: strawberry.ID = strawberry.field(description="The case (in any state).")


@strawberry.type
class SanctuaryMutations:
    @mutation(
        "personCreate",
        "Register a person your organization protects; legal name and A-number are sealed at rest.",
        returns=("person", Person, "The person as registered."),
        errors=codes(
            "INVALID_INPUT",
            "IDEMPOTENCY_KEY_REUSED",
            DUPLICATE_A_NUMBER="Your organization already registered a person with this A-number (find them with "
            "`persons(aNumber:)`).",
        ),
        creates=PersonRow,
    )
    async def person_create(
        self, info: Info, input: Annotated[PersonCreateInput, strawberry.argument(description="The person.")]
    ) -> PersonRow:
        new = persons.NewPerson(
            preferred_name=input.preferred_name, legal_name=input.legal_name, a_number=input.a_number,
            country_of_origin=input.country_of_origin, languages=tuple(input.languages or ()),
        )  # fmt: skip
        context = info.context
        return await persons.create(context.session, context.viewer, context.sealer, new)

    @mutation(
        "sanctuaryCaseOpen",
        "Open a sanctuary inquiry (status INQUIRY) for a person at your congregation.",
        returns=_CASE,
        errors=codes(
            "NOT_FOUND",
            "INVALID_INPUT",
            "IDEMPOTENCY_KEY_REUSED",
            PERSON_HAS_OPEN_CASE="The person already has a sanctuary case that is not exited, closed or declined.",
        ),
        creates=CaseRow,
    )
    async def sanctuary_case_open(
        self, info: Info, input: Annotated[SanctuaryCaseOpenInput, strawberry.argument(description="The inquiry.")]
    ) -> CaseRow:
        opening = sanctuary.Opening(
            person_id=parse_id(input.person_id, "Person"),
            host_congregation_id=parse_id(input.host_congregation_id, "Congregation"),
            location_detail=input.location_detail, legal_status_summary=input.legal_status_summary,
        )  # fmt: skip
        context = info.context
        return await sanctuary.open_case(context.session, context.viewer, context.sealer, opening)

    @mutation(
        "sanctuaryCaseTransition",
        "Move a case your organization hosts through its lifecycle.",
        returns=_CASE,
        errors=codes(
            *TRANSITION_CODES, "INVALID_INPUT", EXIT_OUTCOME_REQUIRED="EXIT needs `exitOutcome`: how the stay ended."
        ),
    )
    async def sanctuary_case_transition(
        self, info: Info, input: Annotated[SanctuaryCaseTransitionInput, strawberry.argument(description="The move.")]
    ) -> CaseRow:
        case_id = parse_id(input.id, "SanctuaryCase")
        return await sanctuary.transition(
            info.context.session, info.context.viewer, case_id, input.action, input.exit_outcome,
            input.expected_version,
        )  # fmt: skip

    @mutation(
        "sanctuaryCaseUpdate",
        "Change the sealed location detail or legal status summary of an open case your organization hosts.",
        returns=_CASE,
        errors=codes(*TRANSITION_CODES, "INVALID_INPUT"),
    )
    async def sanctuary_case_update(
        self, info: Info, input: Annotated[SanctuaryCaseUpdateInput, strawberry.argument(description="The changes.")]
    ) -> CaseRow:
        details = sanctuary.Details(input.location_detail, input.legal_status_summary)
        context, case_id = info.context, parse_id(input.id, "SanctuaryCase")
        return await sanctuary.change_details(
            context.session, context.viewer, context.sealer, case_id, details, input.expected_version
        )

    @mutation(
        "sanctuaryCaseSupporterAdd",
        "Add a supporting congregation to an open case your organization hosts, or change its roles there.",
        returns=_CASE,
        errors=codes(*TRANSITION_CODES, "INVALID_INPUT", CONGREGATION_NOT_FOUND="No congregation has this id."),
    )
    async def sanctuary_case_supporter_add(
        self, info: Info, input: Annotated[SanctuaryCaseSupporterAddInput, strawberry.argument(description="Who.")]
    ) -> CaseRow:
        case_id = parse_id(input.case_id, "SanctuaryCase")
        congregation_id = parse_id(input.congregation_id, "Congregation")
        return await sanctuary.add_supporter(
            info.context.session, info.context.viewer, case_id, congregation_id, input.roles, input.expected_version
        )

    @mutation(
        "sanctuaryCaseSupporterRemove",
        "Remove a supporting congregation from an open case; it stops staffing the case's unfinished shifts.",
        returns=_CASE,
        errors=codes(*TRANSITION_CODES, SUPPORTER_NOT_FOUND="The congregation does not support the case."),
    )
    async def sanctuary_case_supporter_remove(
        self, info: Info, input: Annotated[SanctuaryCaseSupporterRemoveInput, strawberry.argument(description="Who.")]
    ) -> CaseRow:
        case_id = parse_id(input.case_id, "SanctuaryCase")
        congregation_id = parse_id(input.congregation_id, "Congregation")
        return await sanctuary.remove_supporter(
            info.context.session, info.context.viewer, case_id, congregation_id, input.expected_version
        )

    @mutation(
        "sanctuaryCaseConsentRecord",
        "Record the guest's consent to a public story (open cases only); advocacy actions may then tell it.",
        returns=_CASE,
        errors=codes(*TRANSITION_CODES),
    )
    async def sanctuary_case_consent_record(
        self, info: Info, input: Annotated[SanctuaryCaseConsentRecordInput, strawberry.argument(description="Which.")]
    ) -> CaseRow:
        case_id = parse_id(input.case_id, "SanctuaryCase")
        return await sanctuary.record_consent(
            info.context.session, info.context.viewer, case_id, input.expected_version
        )

    @mutation(
        "sanctuaryCaseConsentWithdraw",
        "Withdraw the guest's consent to a public story (any state); actions not yet held stop telling it.",
        returns=_CASE,
        errors=codes("NOT_FOUND"),
    )
    async def sanctuary_case_consent_withdraw(
        self,
        info: Info,
        input: Annotated[SanctuaryCaseConsentWithdrawInput, strawberry.argument(description="Which.")],
    ) -> CaseRow:
        case_id = parse_id(input.case_id, "SanctuaryCase")
        return await sanctuary.withdraw_consent(info.context.session, info.context.viewer, case_id)
