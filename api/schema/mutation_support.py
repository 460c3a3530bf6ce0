"""What every mutation shares: the permission guard (one table, checked first) and its audit record."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.types.unset import UNSET

from api.auth.permissions import MUTATIONS, may_call
from api.models.enums import AuditOutcome
from api.schema.context import Info
from api.schema.errors import ForbiddenError
from api.services.errors import UserFacingError


@dataclass
class MutationRecord:
    """What the audit log will say about one mutation field of a request."""

    name: str
    outcome: AuditOutcome
    fields: list[str]
    record_ids: list[uuid.UUID] = field(default_factory=list)


class Guard(FieldExtension):
    """Refuse callers the permission table does not allow; record every call for the audit log."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        context = info.context
        record = MutationRecord(self.name, AuditOutcome.ALLOWED, _input_fields(kwargs.get("input")))
        context.mutations.append(record)
        if not may_call(context.viewer, self.name):
            record.outcome = AuditOutcome.DENIED
            raise ForbiddenError("You may not call this mutation.")
        payload = await next_(source, info, **kwargs)
        record.record_ids = list(getattr(payload, "record_ids", []))
        if getattr(payload, "user_errors", None):
            record.outcome = AuditOutcome.FAILED
        return payload


def mutation(name: str, description: str) -> Any:
    """A mutation field guarded by the permission table, its allowed roles echoed in its description."""
    roles = ", ".join(sorted(role.value for role in MUTATIONS[name]))
    return strawberry.mutation(
        description=f"{description} Allowed to: {roles} (with the `write` scope).",
        extensions=[Guard(name)],
        metadata={"mutation": name},
    )


@strawberry.type(description="An expected failure: nothing was changed.")
class UserError:
    code: str = strawberry.field(description="Machine-readable code from this mutation's error codes.")
    field: str | None = strawberry.field(description="The input field at fault, if any.")
    message: str = strawberry.field(description="What went wrong, for people; never echoes the input.")

    @classmethod
    def of(cls, error: UserFacingError) -> list[UserError]:
        return [cls(code=error.code, field=error.field, message=error.message)]


def _input_fields(value: Any) -> list[str]:
    if value is None or not dataclasses.is_dataclass(value):
        return []
    return sorted(f.name for f in dataclasses.fields(value) if getattr(value, f.name) is not UNSET)
