"""What every mutation shares: the permission guard, the payload, all-or-nothing writes, idempotency, audit.

A mutation resolver only calls its service and returns the changed row (or a :class:`Done`).
:func:`mutation` builds the rest from one declaration: the per-mutation error-code enum and
payload type, and the :class:`Guard` that checks the permission table first, runs the resolver in
a savepoint (a user error undoes every write it made), replays idempotent creates, maps stale
versions to ``CONFLICT`` and records the call for the audit log.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

import strawberry
from sqlalchemy.orm.exc import StaleDataError
from strawberry.extensions import FieldExtension
from strawberry.types.unset import UNSET
from strawberry.utils.str_converters import to_camel_case

from api.auth.facts import load_facts
from api.auth.permissions import MUTATIONS, may_call
from api.models.enums import AuditOutcome
from api.schema.engine.context import Context, Info
from api.schema.engine.errors import ForbiddenError
from api.services.shared import checks, idempotency
from api.services.shared.errors import UserFacingError

COMMON_CODES: Mapping[str, str] = {
    "NOT_FOUND": "No record you may change has this id.",
    "CONFLICT": "Someone changed the record since you read it: read it again (its `version`) and retry.",
    "ILLEGAL_TRANSITION": "The record's current state does not allow this change.",
    "INVALID_INPUT": "A value is missing, too long, out of range or malformed (see `field`).",
    "IDEMPOTENCY_KEY_REUSED": "This idempotency key was already used with different input.",
}
# the codes of a mutation that moves an existing record through its lifecycle
TRANSITION_CODES = ("NOT_FOUND", "CONFLICT", "ILLEGAL_TRANSITION")


def expected_version_field() -> Any:
    """The ``expectedVersion`` input field of an update (one description everywhere)."""
    return strawberry.field(
        default=None,
        description="The `version` you read; a CONFLICT user error if the record changed since. Omit to skip "
        "the check.",
    )


def idempotency_key_field() -> Any:
    """The ``idempotencyKey`` input field of a create (one description everywhere)."""
    return strawberry.field(
        default=None,
        description="Repeat a request with the same key (1-200 characters) to get its first result instead of "
        "a duplicate; kept 24 hours.",
    )


def codes(*common: str, **specific: str) -> dict[str, str]:
    """A mutation's error codes: some of :data:`COMMON_CODES` plus its own, each with a description."""
    return {name: COMMON_CODES[name] for name in common} | specific


@dataclass
class MutationRecord:
    """What the audit log will say about one mutation field of a request."""

    name: str
    outcome: AuditOutcome
    fields: list[str]
    record_ids: list[uuid.UUID] = field(default_factory=list)


@dataclass
class Done:
    """A resolver's result when the payload carries more than the changed object."""

    node: Any
    extra: dict[str, Any] = field(default_factory=dict)
    record_ids: list[uuid.UUID] = field(default_factory=list)
    replayed: bool = False  # an idempotent repeat: nothing was written


@dataclass(frozen=True)
class Spec:
    """One mutation's declaration."""

    name: str
    returns: str
    payload: type[Any]
    error: type[Any]
    creates: type[Any] | None


class Guard(FieldExtension):
    """Permission first; then the resolver in a savepoint, its result wrapped in the payload; audit always."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        context, spec = info.context, self.spec
        value = kwargs.get("input")
        record = MutationRecord(spec.name, AuditOutcome.ALLOWED, _input_fields(value))
        context.mutations.append(record)
        if not may_call(context.viewer, spec.name):
            record.outcome = AuditOutcome.DENIED
            raise ForbiddenError("You may not call this mutation.")
        try:
            _check_text(value)
            async with context.exclusive():
                done = await self._run(context, lambda: next_(source, info, **kwargs), value)
                if not done.replayed:
                    context.facts = await load_facts(context.session, context.viewer)  # new ties count at once
        except UserFacingError as error:
            record.outcome = AuditOutcome.FAILED
            return self._failed(error)
        record.record_ids = done.record_ids or [done.node.id]
        return spec.payload(**{spec.returns: done.node}, **done.extra, user_errors=[])

    async def _run(self, context: Context, call: Callable[[], Awaitable[Any]], value: Any) -> Done:
        session = context.session
        try:
            async with session.begin_nested():
                claim = None
                if self.spec.creates is not None:
                    claim = await idempotency.claim(session, context.sealer, context.viewer, self.spec.name, value)
                    if claim is not None and claim.record_id is not None:
                        return Done(await session.get_one(self.spec.creates, claim.record_id), replayed=True)
                result = await call()
                done = result if isinstance(result, Done) else Done(result)
                if claim is not None:
                    await idempotency.remember(session, claim, done.node.id)
                return done
        except StaleDataError:
            raise UserFacingError("CONFLICT", COMMON_CODES["CONFLICT"]) from None

    def _failed(self, error: UserFacingError) -> Any:
        user_errors = []
        for each in getattr(error, "errors", [error]):  # UserFacingErrors: one per refused item
            if each.code not in self.spec.error.codes:  # a service raised a code this mutation does not declare
                raise RuntimeError(f"undeclared error code {each.code} in {self.spec.name}")
            user_errors.append(
                self.spec.error(code=self.spec.error.codes[each.code], field=each.field, message=each.message)
            )
        extra = dict.fromkeys(self.spec.payload.extra_fields)
        return self.spec.payload(**{self.spec.returns: None}, **extra, user_errors=user_errors)


def mutation(
    name: str,
    description: str,
    *,
    returns: tuple[str, Any, str],
    errors: Mapping[str, str],
    creates: type[Any] | None = None,
    extra: Mapping[str, tuple[Any, str]] | None = None,
) -> Any:
    """A mutation field guarded by the permission table, with its payload and error enum built from here.

    ``returns`` is (payload field, GraphQL type, description) of the changed object; ``errors`` its
    error codes (see :func:`codes`; INVALID_INPUT is always one); ``creates`` the model a create mutation makes (its input then
    takes an ``idempotencyKey``); ``extra`` more payload fields, filled from :class:`Done`.
    """
    type_name = name[0].upper() + name[1:]
    if "INVALID_INPUT" not in errors:  # the guard refuses any input whose text holds a NUL character
        errors = {**errors, "INVALID_INPUT": COMMON_CODES["INVALID_INPUT"]}
    error = _error_type(type_name, errors)
    payload = _payload_type(type_name, returns, error, extra or {})
    spec = Spec(name, returns[0], payload, error, creates)
    roles = ", ".join(sorted(role.value for role in MUTATIONS[name]))
    return strawberry.mutation(
        description=f"{description} Allowed to: {roles} (with the `write` scope).",
        extensions=[Guard(spec)],
        graphql_type=payload,
        metadata={"mutation": name},
    )


def _error_type(type_name: str, errors: Mapping[str, str]) -> Any:
    members = {code: strawberry.enum_value(code, description=text) for code, text in errors.items()}
    error_codes: Any = enum.Enum(f"{type_name}ErrorCode", members)  # type: ignore[misc]
    code_enum: Any = strawberry.enum(
        error_codes,
        description=f"Why `{type_name[0].lower() + type_name[1:]}` failed.",
    )
    namespace = {
        "__annotations__": {"code": code_enum, "field": Optional[str], "message": str},  # noqa: UP045
        "code": strawberry.field(description="Machine-readable reason."),
        "field": strawberry.field(description="The input field at fault (its camelCase name), if any."),
        "message": strawberry.field(description="What went wrong, for people; never echoes the input."),
    }
    error: Any = strawberry.type(
        type(f"{type_name}Error", (), namespace), description="An expected failure: nothing was changed."
    )
    error.codes = {member.name: member for member in code_enum}
    return error


def _payload_type(
    type_name: str, returns: tuple[str, Any, str], error: Any, extra: Mapping[str, tuple[Any, str]]
) -> type[Any]:
    field_name, node_type, node_description = returns
    annotations: dict[str, Any] = {field_name: Optional[node_type]}  # noqa: UP045
    namespace: dict[str, Any] = {field_name: strawberry.field(description=node_description)}
    for extra_name, (extra_type, extra_description) in extra.items():
        annotations[extra_name] = Optional[extra_type]  # noqa: UP045
        namespace[extra_name] = strawberry.field(description=extra_description)
    annotations["user_errors"] = list[error]
    namespace["user_errors"] = strawberry.field(description="Expected failures; when present nothing was changed.")
    namespace["__annotations__"] = annotations
    payload: Any = strawberry.type(
        type(f"{type_name}Payload", (), namespace),
        description=f"The result of `{type_name[0].lower() + type_name[1:]}`.",
    )
    payload.extra_fields = tuple(extra)
    return payload


def _check_text(value: Any) -> None:
    """Every text of the input is free of NUL characters (an INVALID_INPUT naming the input field)."""
    if not dataclasses.is_dataclass(value):
        checks.no_nul(value, "input")
        return
    for item in dataclasses.fields(value):
        checks.no_nul(getattr(value, item.name), to_camel_case(item.name))


def _input_fields(value: Any) -> list[str]:
    if value is None or not dataclasses.is_dataclass(value):
        return []
    return sorted(f.name for f in dataclasses.fields(value) if getattr(value, f.name) is not UNSET)
